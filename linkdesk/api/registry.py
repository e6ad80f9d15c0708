"""API: centers and services."""

from flask import jsonify
from sqlalchemy import or_, select

from ..accounts.access import api_roles
from ..extensions import db
from ..models import Center, Province, Service
from ..shapes.registry import center_json, service_json
from .blueprint import bp
from .bodies import CenterSearch, read_query


@bp.get("/centers")
@api_roles()
def centers():
    """All centers (the registry is public to every logged-in user), filtered by ?q=."""
    query = select(Center).join(Center.province).order_by(Center.code)
    text = read_query(CenterSearch).q
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
    return jsonify([service_json(service) for service in listing])
