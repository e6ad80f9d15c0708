"""Registry pages: parse, ask registry.py / health.py, render."""

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import func, select

from ..accounts.access import login_required, roles_required, scoped_centers
from ..extensions import db
from ..models import Center, LinkRecord, Role, Service
from ..spreadsheet import csv_text
from ..web.query_args import page_arg
from .health import RecheckRefused, recheck, unhealthy_links
from .registry import (
    RegistryImportError,
    export_csv,
    export_rows,
    filtered,
    history,
    link_filters,
    load_registry,
    parse_registry_csv,
    scoped_links,
)

bp = Blueprint("links", __name__, url_prefix="/links")

PER_PAGE = 50


def _filters() -> dict:
    return link_filters(request.args)


@bp.get("/")
@login_required
def registry():
    filters = _filters()
    page = db.paginate(filtered(scoped_links(current_user), **filters), page=page_arg(request.args), per_page=PER_PAGE, error_out=False)
    centers = db.session.scalars(scoped_centers(current_user).order_by(Center.code)).all()
    services = db.session.scalars(select(Service).order_by(Service.position)).all()
    return render_template("links/links.html", page=page, filters=filters, centers=centers if len(centers) > 1 else [], services=services)


@bp.get("/<center_code>/<service_code>")
@login_required
def show(center_code: str, service_code: str):
    center = db.session.scalar(scoped_centers(current_user).where(Center.code == center_code)) or abort(404)
    service = db.session.scalar(select(Service).where(Service.code == service_code)) or abort(404)
    link = db.session.scalar(filtered(scoped_links(current_user), center=center.code, service=service.code))
    return render_template("links/show.html", center=center, service=service, link=link, history=history(center.id, service.id))


@bp.get("/export.<kind>")
@login_required
def export(kind: str):
    """What the mini-program's operators load: center code and name, service code, URL, date."""
    links = db.session.scalars(filtered(scoped_links(current_user), **_filters())).all()
    if kind == "json":
        return jsonify({"links": export_rows(links)})
    if kind == "csv":
        return Response(export_csv(links), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=links.csv"})
    abort(404)


class ImportForm(FlaskForm):
    registry_file = FileField("台账 CSV 文件")


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_():
    """Upload, check every row, and load all of it or nothing."""
    form = ImportForm()
    problems = []
    if form.validate_on_submit():
        upload = request.files.get("registry_file")
        if not upload or not upload.filename:
            problems = ["请选择要导入的 CSV 文件。"]
        else:
            try:
                rows = parse_registry_csv(upload.read().decode("utf-8-sig"))
            except UnicodeDecodeError:
                problems = ["文件不是 UTF-8 编码的文本，请另存为“CSV UTF-8”后再上传。"]
            except RegistryImportError as refusal:
                problems = refusal.problems
            else:
                added, changed = load_registry(rows, current_user)
                flash(f"已导入 {len(rows)} 行：新增 {added} 条，更新 {changed} 条，其余与现行地址相同。", "success")
                return redirect(url_for("links.registry"))
    return render_template("links/import.html", form=form, problems=problems), 422 if problems else 200


@bp.post("/<int:link_id>/recheck")
@login_required
def recheck_link(link_id: int):
    """重新检测: probe one link now (once per link per ten minutes), then back where the button was."""
    back = url_for("main.home") if request.form.get("back") == "home" else None
    try:
        result = recheck(current_user, link_id)
    except RecheckRefused as refusal:
        flash(str(refusal), "warning")
        return redirect(back or url_for("links.registry"))
    if result is None:
        abort(404)
    if result.healthy:
        flash("重新检测完成：链接正常。", "success")
    else:
        flash(f"重新检测完成：{result.problem_label}。", "warning")
    link = db.session.get(LinkRecord, link_id)
    return redirect(back or url_for("links.show", center_code=link.center.code, service_code=link.service.code))


@bp.get("/health")
@login_required
def health():
    """链接健康: failing links by province and center, like annex 1 of the notice."""
    filters = _filters()
    failing = unhealthy_links(current_user, province=filters["province"], center=filters["center"])
    if request.args.get("format") == "csv":
        return Response(health_csv(failing), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=link-health.csv"})
    by_province: dict[str, list] = {}
    for link in failing:
        by_province.setdefault(link.center.province.short_name, []).append(link)
    checked = db.session.scalar(
        select(func.count()).select_from(scoped_links(current_user).where(LinkRecord.last_check_id.is_not(None)).subquery())
    )
    centers = db.session.scalars(scoped_centers(current_user).order_by(Center.code)).all()
    return render_template(
        "links/health.html",
        by_province=by_province,
        failing=failing,
        checked=checked,
        filters=filters,
        centers=centers if len(centers) > 1 else [],
    )


def health_csv(failing) -> str:
    return csv_text(
        ["省份", "中心代码", "中心", "业务事项", "地址", "问题", "异常开始", "最近检测"],
        (
            [
                link.center.province.short_name,
                link.center.code,
                link.center.name,
                link.service.name,
                link.url,
                link.last_check.problem_label if link.last_check else "",
                link.unhealthy_since.isoformat(),
                link.last_check.checked_at.isoformat() if link.last_check else "",
            ]
            for link in failing
        ),
    )
