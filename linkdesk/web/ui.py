"""What templates share: navigation by role, home tiles, date and time filters."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request, url_for
from flask_login import current_user

from ..labels import WARNING_LABELS, service_short, weekday_zh
from ..links.address_policy import AddressCheck, check_address
from ..links.probe_state import probe_state
from ..models import ROLE_LABELS, ReviewStage, Role, TicketStatus
from ..notify.inbox import unread_count
from ..overview.provinces import OVERVIEW_ROLES
from ..tickets.diff import url_diff
from ..tickets.evidence import TYPE_LABELS, human_size
from ..tickets.operations import EDITABLE_FIELDS
from ..tickets.workflow import ACTION_LABELS
from ..workdays.calendar import BEIJING

ALL_ROLES = tuple(Role)

# (label, endpoint, roles). An entry whose endpoint is not registered yet is left out,
# so a feature's blueprint appears in the menu as soon as it exists.
NAVIGATION = (
    ("首页", "main.home", ALL_ROLES),
    ("我的工单", "tickets.index", (Role.CENTER_STAFF,)),
    ("新建工单", "tickets.new", (Role.CENTER_STAFF,)),
    ("待审工单", "review.queue", (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER)),
    ("工单查询", "tickets.index", (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER, Role.ADMIN)),
    ("总览", "overview.index", OVERVIEW_ROLES),
    ("切换日历", "cutovers.month", ALL_ROLES),
    ("链接台账", "links.registry", ALL_ROLES),
    ("链接健康", "links.health", ALL_ROLES),
    ("工作日历", "workdays.year", ALL_ROLES),
    ("用户管理", "accounts.users", (Role.ADMIN,)),
    ("API 令牌", "accounts.all_tokens", (Role.ADMIN,)),
    ("通知", "notify.channels", (Role.ADMIN,)),
    ("站内消息", "inbox.index", ALL_ROLES),
)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    endpoint: str
    current: bool = False


@dataclass(frozen=True)
class Tile:
    label: str
    count: int
    hint: str
    url: str
    urgent: bool = False


def nav_items() -> list[NavItem]:
    """The menu for the current user's role."""
    if not current_user.is_authenticated:
        return []
    items = [
        NavItem(label, url_for(endpoint), endpoint)
        for label, endpoint, roles in NAVIGATION
        if current_user.role in roles and endpoint in current_app.view_functions
    ]
    # One item is lit: the one whose address is the longest start of this page's
    # (on /tickets/new 新建工单, not 我的工单 too; the home page only on itself).
    path = request.path
    matching = [item for item in items if path == item.url or (item.url != "/" and path.startswith(item.url))]
    current = max(matching, key=lambda item: len(item.url), default=None)
    return [dataclasses.replace(item, current=item is current) for item in items]


def _url(endpoint: str, **values) -> str:
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return url_for("main.home")


def home_tiles(counts: dict[TicketStatus, int]) -> list[Tile]:
    """What the home page shows this role: the work waiting for them first."""
    role = current_user.role
    if role is Role.CENTER_STAFF:
        return [
            Tile("已退回待修改", counts[TicketStatus.RETURNED], "请修改后重新提交", _url("tickets.index", status="returned"), True),
            Tile("审核中", counts[TicketStatus.PENDING], "等待省级或部级审核", _url("tickets.index", status="pending")),
            Tile("已批准待切换", counts[TicketStatus.APPROVED], "按计划日期切换", _url("tickets.index", status="approved")),
        ]
    if role in (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER):
        return [
            Tile("待审工单", counts.get("awaiting_me", counts[TicketStatus.PENDING]), "需要您审核", _url("review.queue"), True),
            Tile("审核逾期", counts.get("overdue", 0), "已过审核截止日", _url("review.queue", due="overdue"), bool(counts.get("overdue"))),
            Tile("即将逾期", counts.get("due_soon", 0), "今天或下一个工作日截止", _url("review.queue", due="soon")),
            Tile("已批准待切换", counts[TicketStatus.APPROVED], "范围内计划切换", _url("cutovers.month")),
        ]
    return [Tile("用户管理", counts.get("users", 0), "创建和停用账号", _url("accounts.users"))]


def beijing(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp shown in Beijing time."""
    if moment is None:
        return "—"
    return moment.astimezone(BEIJING).strftime(fmt)


def display_host(url: str) -> str | None:
    """The Unicode form of an internationalized host, when it differs from the stored one."""
    check: AddressCheck = check_address(url)
    if check.display_host and check.display_host != check.ascii_host:
        return check.display_host
    return None


def _per_request() -> dict:
    unread = unread_count(current_user) if current_user.is_authenticated else 0
    return {"nav_items": nav_items(), "inbox_unread": unread}


def _template_globals() -> dict:
    # Jinja globals, not a context processor: macros imported from macros.html see them too.
    return {
        "home_tiles": home_tiles,
        "url_diff": url_diff,
        "display_host": display_host,
        "warning_labels": WARNING_LABELS,
        "probe_state": probe_state,
        "action_labels": ACTION_LABELS,
        "edited_field_labels": EDITABLE_FIELDS,
        "status_labels": {status.value: status.label for status in TicketStatus},
        "stage_labels": {stage.value: stage.label for stage in ReviewStage},
        "role_labels": {role.value: label for role, label in ROLE_LABELS.items()},
        "attachment_type_labels": TYPE_LABELS,
        "human_size": human_size,
    }


def link_arg_name(name: object) -> bool:
    """Whether a query argument may be carried into a link built by ``url_for``: not one of its own
    keywords (``endpoint``, ``_method``, ``_anchor``, ``_external``, ``_scheme``, and any other
    ``_…`` a later Flask adds) — ``_method=POST`` is a BuildError (a 500), ``_external=1`` a link to
    whatever Host the request named, ``_anchor``/``_scheme`` a changed link."""
    return isinstance(name, str) and bool(name) and not name.startswith("_") and name != "endpoint"


def as_query(filters, **extra) -> dict:
    """The filters that are set, as query arguments for ``url_for``, plus ``extra``: the one way a
    page carries its query into its links.

    ``filters`` is a dataclass of known filters or a mapping — ``current_query(...)`` for the
    arguments of this request. A link is built from known names only, never from all of
    ``request.args``: an argument named like a route's variable (``kind``) would change the link,
    and one named like ``url_for``'s own keywords would break it (those are never carried).
    """
    items = dataclasses.asdict(filters).items() if dataclasses.is_dataclass(filters) else filters.items()
    query = {name: "1" if value is True else value for name, value in items if value and link_arg_name(name)}
    return {**query, **extra}


def current_query(*names: str) -> dict[str, str]:
    """The arguments ``names`` of this request's query string, for ``as_query``."""
    return {name: request.args.get(name, "") for name in names if link_arg_name(name)}


_MARKER = 7_777_777_777  # a value no id, date or filter of a link takes


def link_maker(endpoint: str, *keys: str, **values) -> Callable[[object], str]:
    """``url_for(endpoint, **values)`` with each of ``keys`` set to one value, for pages that
    link to hundreds of tickets or days (the month grid): built once, then the value put in
    by a string replace, where ``url_for`` costs ~15 µs a link. The value must need no
    escaping in a URL (an id, an ISO date)."""
    built = url_for(endpoint, **values, **dict.fromkeys(keys, _MARKER))
    if built.count(str(_MARKER)) != len(keys):
        return lambda value: url_for(endpoint, **values, **dict.fromkeys(keys, value))
    return lambda value: built.replace(str(_MARKER), str(value))


def init_app(app) -> None:
    """Register the template helpers."""
    app.context_processor(_per_request)
    app.jinja_env.globals.update(_template_globals())
    app.add_template_filter(beijing, "beijing")
    app.add_template_filter(weekday_zh, "weekday")
    app.add_template_filter(as_query, "as_query")
    app.add_template_filter(service_short, "service_short")
