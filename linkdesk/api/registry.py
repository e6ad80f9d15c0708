"""API: centers and services."""
from flask import jsonify, request
from sqlalchemy import or_, select

from ..accounts.access import api_roles
from ..extensions import db
from ..models import Center, Province, Service
from ..query_args import MAX_SEARCH_LENGTH, search_text
from ..tickets.workflow import WorkflowError
from . import bp
from .serializers import center_json


@bp.get("/centers")
@api_roles()
def centers():
    """All centers (the registry is public to every logged-in user), filtered by ?q=."""
    query = select(Center).join(Center.province).order_by(Center.code)
    text = search_text(request.args)
    if text is None:
        raise WorkflowError({"q": [f"搜索内容不能超过 {MAX_SEARCH_LENGTH} 个字符。"]})
    if text:
        query = query.where(
            or_(
                Center.code == text,
                Center.short_name.contains(text, autoescape=True),
                Center.name.contains(text, autoescape=True),
                Province.short_name == text,
            )
        )
    return jsonify([center_json(center) for center in db.session.scalars(query)])


@bp.get("/services")
@api_roles()
def services():
    listing = db.session.scalars(select(Service).order_by(Service.position, Service.code))
    return jsonify([{"code": service.code, "name": service.name} for service in listing])
