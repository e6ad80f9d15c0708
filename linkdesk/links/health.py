"""Link health (链接健康): probe the live links and the newly filed addresses, keep the results,
and tell a center once when one of its links starts failing.

The probing itself (DNS, TLS, redirects, the SSRF guard) is ``probe.py``; this module decides
what to probe, with which settings, and what to remember.
"""
import ipaddress
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import current_app

from ..extensions import db
from ..models import LinkCheck, LinkRecord, User
from ..models.types import utcnow
from ..notify.events import notify_link
from .registry import filtered, scoped_links


def probe_options() -> dict:
    """The prober's settings from configuration (the allow-list is empty unless configured)."""
    config = current_app.config
    options = {
        "timeout": config["LINKDESK_PROBE_TIMEOUT_SECONDS"],
        "allow_networks": tuple(ipaddress.ip_network(net) for net in config["LINKDESK_PROBE_ALLOW_NETWORKS"]),
        "allowed_ports": tuple(config["LINKDESK_PROBE_PORTS"]),
    }
    if config["LINKDESK_PROBE_CA_FILE"]:
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=config["LINKDESK_PROBE_CA_FILE"])
        options["ssl_context"] = context
    return options


def probe_url(url: str, **overrides):
    """Probe one address with the configured settings (the admin's ``links probe``)."""
    from .probe import probe

    return probe(url, **{**probe_options(), **overrides})


def filing_warning(url: str) -> dict | None:
    """The new address probed once at filing, briefly: a warning when it is not healthy.

    Never a refusal: the address may not be live before the cutover, or the network may be down.
    The caller's transaction is ended first, so that no lock (on SQLite, the database's write
    lock) is held while the network answers; call it before writing anything.
    """
    if not current_app.config["LINKDESK_PROBE_ON_FILING"]:
        return None
    db.session.commit()  # only reads so far: end them rather than hold them over the network
    result = probe_url(url, timeout=current_app.config["LINKDESK_FILING_PROBE_TIMEOUT_SECONDS"])
    if result.healthy:
        return None
    return {"code": "probe", "message": f"新地址检测未通过：{result.problem_label}（仅供参考，不影响提交）。"}


def unhealthy_links(user: User, province: str = "", center: str = "") -> list[LinkRecord]:
    """Failing links in the user's scope, as in annex 1 of the notice: by province and center."""
    query = scoped_links(user).where(LinkRecord.unhealthy_since.is_not(None))
    return list(db.session.scalars(filtered(query, province=province, center=center)))


@dataclass
class CheckRun:
    checked: int = 0
    healthy: int = 0
    newly_unhealthy: int = 0


def check_links(links: Iterable[LinkRecord], progress: Callable[[int], None] = lambda done: None) -> CheckRun:
    """Probe the links concurrently (bounded in total and per host) and store every result."""
    from .probe import probe_many

    config = current_app.config
    by_url: dict[str, list[LinkRecord]] = {}
    for link in links:
        by_url.setdefault(link.url, []).append(link)
    run = CheckRun()
    results = probe_many(list(by_url), concurrency=config["LINKDESK_PROBE_CONCURRENCY"],
                         per_host=config["LINKDESK_PROBE_PER_HOST"], **probe_options())
    for result in results:
        for link in by_url.get(result.url, []):
            run.checked += 1
            run.healthy += result.healthy
            run.newly_unhealthy += record_result(link, result)
        db.session.commit()
        progress(1)
    return run


def record_result(link: LinkRecord, result) -> bool:
    """Store a probe of a link; True when this turns a healthy (or unchecked) link unhealthy,
    in which case its center is told once."""
    check = LinkCheck(
        link_id=link.id, url=result.url, checked_at=result.checked_at or utcnow(), healthy=result.healthy,
        problem=result.problem, problem_label=result.problem_label, status=result.status,
        final_url=result.final_url, elapsed_ms=result.elapsed_ms, tls_days_left=result.tls_days_left,
        detail=(result.detail or "")[:1000] or None, hops=[_hop(hop) for hop in result.hops],
    )
    db.session.add(check)
    db.session.flush()
    link.last_check_id = check.id
    if result.healthy:
        link.unhealthy_since = None
        return False
    if link.unhealthy_since is not None:
        return False
    link.unhealthy_since = check.checked_at
    notify_link("link_unhealthy", link, f"{result.problem_label}（{link.url}）",
                dedupe=f"unhealthy:{link.id}:{check.checked_at.isoformat()}")
    return True


def _hop(hop) -> dict:
    if isinstance(hop, dict):
        return {key: value for key, value in hop.items() if isinstance(value, str | int | float | bool | None)}
    return {key: getattr(hop, key) for key in ("url", "status", "ip") if hasattr(hop, key)}
