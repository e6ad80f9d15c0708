"""flask --app linkdesk links check | probe | probe-filings"""

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..accounts.users import find_center
from ..extensions import db
from ..models import LinkRecord

links_group = AppGroup("links", help="Link health: probe the registry's live addresses.")


@links_group.command("check")
@click.option("--all", "everything", is_flag=True, help="Every link in the registry.")
@click.option("--center", help="Only this center (code or short name).")
def check_command(everything: bool, center: str | None):
    """Probe live links concurrently and store the results (run from cron, e.g. hourly)."""
    from .health import check_links

    if not everything and not center:
        raise click.UsageError("请指定 --all 或 --center。")
    query = select(LinkRecord).order_by(LinkRecord.id)
    if center:
        found = find_center(center)
        if found is None:
            raise click.ClickException(f"没有中心“{center}”。")
        query = query.where(LinkRecord.center_id == found.id)
    links = db.session.scalars(query).all()
    urls = len({link.url for link in links})
    with click.progressbar(length=urls, label=f"检测 {urls} 个地址", show_pos=True) as bar:
        run = check_links(links, progress=bar.update)
    click.echo(f"已检测 {run.checked} 条链接：正常 {run.healthy}，异常 {run.checked - run.healthy}（新出现异常 {run.newly_unhealthy}）。")


@links_group.command("probe-filings")
def probe_filings_command():
    """Probe again the filed addresses whose probe never finished (its process ended; cron, e.g. hourly)."""
    from .filing_probe import probe_unfinished

    probed, stored = probe_unfinished()
    click.echo(f"已重新检测 {probed} 个未完成检测的工单新地址，记录结果 {stored} 个。")


@links_group.command("probe")
@click.argument("url")
def probe_command(url: str):
    """Probe one address and print the verdict and the redirect chain."""
    from .health import probe_url

    result = probe_url(url)
    click.echo(("正常" if result.healthy else f"异常：{result.problem_label}") + f"（{result.elapsed_ms} ms）")
    for number, hop in enumerate(result.hops, start=1):
        hop = hop if isinstance(hop, dict) else vars(hop)
        click.echo(f"  {number}. {hop.get('status') or '—'} {hop.get('url')} [{hop.get('ip') or ''}]")
    if result.final_url:
        click.echo(f"最终地址：{result.final_url}")
    if result.tls_days_left is not None:
        click.echo(f"证书剩余：{result.tls_days_left} 天")
    if result.detail and not result.healthy:
        click.echo(f"详情：{result.detail}")
    if not result.healthy:
        raise SystemExit(1)
