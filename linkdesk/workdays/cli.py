"""flask --app linkdesk workdays …: earliest, check, import, import-notice."""

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from ..labels import weekday_zh
from ..tickets.flags import import_schedule  # flags the open tickets the new year breaks
from .calendar import (
    CalendarRangeError,
    ScheduleError,
    YearSchedule,
    parse_schedule_file,
)
from .notice import NoticeParseError
from .operations import KIND_LABELS, ImportPlan, ImportPreview, prepare_import, schedule_from_notice
from .schedules import current_calendar

workdays = AppGroup("workdays", help="The official working-day calendar.")


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"“{value}”不是有效日期，格式应为 YYYY-MM-DD。", param, ctx)


@workdays.command("earliest")
@click.argument("submitted", type=IsoDate())
def earliest_command(submitted: date):
    """Print E(D), the earliest cutover date for a request submitted on that date."""
    try:
        answer = current_calendar().earliest_cutover(submitted)
    except CalendarRangeError as error:
        raise click.ClickException(str(error)) from None
    click.echo(answer.earliest_cutover.isoformat() + (" provisional" if answer.provisional else ""))


@workdays.command("check")
@click.argument("day", type=IsoDate())
def check_command(day: date):
    """Print `workday` or `off`, followed by ` provisional` when the day's year has no official
    notice yet (the answer then rests on the statutory holidays alone and may change)."""
    try:
        calendar = current_calendar()
        answer = "workday" if calendar.is_working_day(day) else "off"
        click.echo(answer + (" provisional" if calendar.is_provisional(day) else ""))
    except CalendarRangeError as error:
        raise click.ClickException(str(error)) from None


def _show(schedule: YearSchedule) -> None:
    click.echo(f"{schedule.year} 年 · 来源：{schedule.source}")
    days = sorted([(d, "放假") for d in schedule.holidays] + [(d, "调休上班") for d in schedule.makeup_workdays])
    for day, kind in days:
        click.echo(f"  {day.isoformat()} {weekday_zh(day)} {kind}")
    click.echo(f"共 {len(schedule.holidays)} 天放假，{len(schedule.makeup_workdays)} 天调休上班。")


def _show_steps(preview: ImportPreview) -> None:
    """Every notice the import is made of, in the order applied, and what each changes."""
    plan = preview.plan
    if plan.steps:
        click.echo(f"读出的通知（按套用顺序）：{len(plan.steps)}")
    for number, step in enumerate(plan.steps, start=1):
        click.echo(f"  {number}. {step.label}：{step.source}；变化的日子 {len(step.days)}")
        for change in step.days:
            click.echo(f"     {change.day.isoformat()} {weekday_zh(change.day)} {KIND_LABELS[change.before]} → {KIND_LABELS[change.after]}")
    for source in plan.dropped:
        click.echo(f"去掉现行的调整通知：{source}")
    for title in plan.mentions:
        click.echo(f"另外提到但没有正文、未导入的通知：{title}")


def _show_changes(preview: ImportPreview) -> None:
    _show_steps(preview)
    if preview.amends:
        click.echo(f"调整通知：{preview.amends}")
    click.echo(f"与现行安排相比变化的日子：{len(preview.days)}")
    for change in preview.days:
        click.echo(f"  {change.day.isoformat()} {weekday_zh(change.day)} {KIND_LABELS[change.before]} → {KIND_LABELS[change.after]}")
    click.echo(f"最早切换日期或切换日受影响的未完成工单：{len(preview.tickets)}")
    for item in preview.tickets:
        ticket = item.ticket
        line = f"  {ticket.number} {ticket.center.short_name} 切换日 {ticket.cutover_date.isoformat()}"
        if item.earliest_before != item.earliest_after:
            line += f"；最早切换日期 {item.earliest_before.isoformat()} → {item.earliest_after.isoformat()}"
        if item.cutover_working_before != item.cutover_working_after:
            line += "；切换日" + ("变为非工作日" if item.cutover_working_before else "变为工作日")
        click.echo(line)


def _read(path: Path, parse):
    try:
        return parse(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise click.ClickException("文件不是 UTF-8 编码的文本，请另存为 UTF-8 后再导入。") from None
    except (ScheduleError, NoticeParseError) as error:
        raise click.ClickException(str(error)) from None


def _store(plan: ImportPlan, dry_run: bool, yes: bool) -> None:
    preview = prepare_import(plan)
    schedule = plan.schedule
    _show(schedule)
    _show_changes(preview)
    if preview.nothing_to_do:
        click.echo("这份调整通知的安排已在现行安排之中，没有任何日期变化，无需导入。")
        return
    if dry_run:
        click.echo("（试运行，未保存）")
        return
    if not yes:
        click.confirm("确认导入以上安排？", abort=True)
    result = import_schedule(schedule)
    click.echo(f"已导入 {schedule.year} 年{'（替换了之前的导入）' if result.replaced else ''}；受影响并已标记的工单：{len(result.flagged)}")
    for ticket in result.flagged:
        click.echo(f"  {ticket.number} {ticket.center.short_name} {ticket.cutover_date.isoformat()}")


@workdays.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Parse and print, store nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def import_command(path: Path, dry_run: bool, yes: bool):
    """Import a year's schedule from a JSON or CSV file (see linkdesk/data/holidays/README.md)."""
    _store(ImportPlan(_read(path, parse_schedule_file)), dry_run, yes)


@workdays.command("import-notice")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Parse and print, store nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--drop-adjustment",
    "drop",
    multiple=True,
    metavar="NAME",
    help="Remove an adjustment notice in force (part of its title or 文号) instead of keeping it on top of the yearly notice.",
)
def import_notice_command(path: Path, dry_run: bool, yes: bool, drop: tuple[str, ...]):
    """Import a year from the State Council's notices (as pasted from a web page: a yearly notice,
    adjustment notices, or both). Adjustments in force are kept unless --drop-adjustment names them."""
    _store(_read(path, lambda text: schedule_from_notice(text, drop)), dry_run, yes)
