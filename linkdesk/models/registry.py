"""Provinces, centers, services and the link registry (链接台账)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, enum_column, utcnow


class ProvinceKind(StrEnum):
    PROVINCE = "province"
    AUTONOMOUS_REGION = "autonomous_region"
    MUNICIPALITY = "municipality"
    XPCC = "xpcc"


class Province(db.Model):
    """A provincial-level division, or the Xinjiang Production and Construction Corps."""

    __tablename__ = "province"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    short_name: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[ProvinceKind] = mapped_column(enum_column(ProvinceKind, "province_kind"))

    centers: Mapped[list["Center"]] = relationship(back_populates="province", order_by="Center.code")

    @classmethod
    def named(cls, key: str):
        """The condition "this province is ``key``": its code, short name (河南) or full name."""
        return or_(cls.code == key, cls.short_name == key, cls.name == key)

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.short_name}>"


class Center(db.Model):
    """A housing provident fund management center (住房公积金管理中心)."""

    __tablename__ = "center"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    short_name: Mapped[str] = mapped_column(String(32), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    province: Mapped[Province] = relationship(back_populates="centers")

    @classmethod
    def named(cls, key: str):
        """The condition "this center is ``key``": its code, short name (郑州) or full name."""
        return or_(cls.code == key, cls.short_name == key, cls.name == key)

    def __repr__(self) -> str:
        return f"<Center {self.code} {self.short_name}>"


class Service(db.Model):
    """A business service (业务事项) whose link the mini-program opens."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Service {self.code}>"


class LinkRecord(db.Model):
    """The address that is live now for one center and service."""

    __tablename__ = "link_record"
    __table_args__ = (UniqueConstraint("center_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("center.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    url: Mapped[str] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Link health: the latest probe, and since when the link has been failing (None: healthy).
    last_check_id: Mapped[int | None] = mapped_column(ForeignKey("link_check.id", use_alter=True, ondelete="SET NULL"))
    unhealthy_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    center: Mapped[Center] = relationship()
    service: Mapped[Service] = relationship()
    last_check: Mapped["LinkCheck | None"] = relationship(foreign_keys=[last_check_id])


class LinkRevision(db.Model):
    """One entry of a link's history: the address that became live on a date, and why."""

    __tablename__ = "link_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("center.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    url: Mapped[str] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"))
    note: Mapped[str | None] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkCheck(db.Model):
    """One probe of a link's address: healthy or the named problem, and how it got there."""

    __tablename__ = "link_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link_record.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    healthy: Mapped[bool]
    problem: Mapped[str | None] = mapped_column(String(32))
    problem_label: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int | None]
    tls_days_left: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)
    hops: Mapped[list] = mapped_column(JSON, default=list)
