"""Link health (链接健康): probe the live links, keep the results, and tell a center once when
one of its links starts failing (announced by ``events.link_failed``; notify listens).

The probing itself (DNS, TLS, redirects, the SSRF guard) is ``probe.py``; this module decides
what to probe, with which settings, and what to remember. A ticket's newly filed address is
probed by ``filing_probe.py``.
"""

import ipaddress
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..extensions import db
from ..models import LinkCheck, LinkRecord, User
from ..models.types import utcnow
from .events import link_failed
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
    results = probe_many(
        list(by_url), concurrency=config["LINKDESK_PROBE_CONCURRENCY"], per_host=config["LINKDESK_PROBE_PER_HOST"], **probe_options()
    )
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
        link_id=link.id,
        url=result.url,
        checked_at=result.checked_at or utcnow(),
        healthy=result.healthy,
        problem=result.problem,
        problem_label=result.problem_label,
        status=result.status,
        final_url=result.final_url,
        elapsed_ms=result.elapsed_ms,
        tls_days_left=result.tls_days_left,
        detail=(result.detail or "")[:1000] or None,
        hops=[_hop(hop) for hop in result.hops],
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
    # Announced, in this transaction: notify tells the center (once, by the dedupe key).
    link_failed.send(link, note=f"{result.problem_label}（{link.url}）", dedupe=f"unhealthy:{link.id}:{check.checked_at.isoformat()}")
    return True


def _hop(hop) -> dict:
    if isinstance(hop, dict):
        return {key: value for key, value in hop.items() if isinstance(value, str | int | float | bool | None)}
    return {key: getattr(hop, key) for key in ("url", "status", "ip") if hasattr(hop, key)}


RECHECK_INTERVAL = timedelta(minutes=10)  # 重新检测: once per link per ten minutes, whoever asks


class RecheckRefused(Exception):
    """A recheck asked too soon after the last check; ``wait`` says for how long (Chinese message)."""

    def __init__(self, wait: timedelta):
        self.wait = wait
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        super().__init__(f"该链接刚检测过，请 {minutes} 分钟后再重新检测。")


def recheck(user: User, link_id: int):
    """Probe one link of the user's scope now, with the same SSRF-safe prober as ``links check``.

    None when the link is not in the user's scope; RecheckRefused within ten minutes of its last
    check. The read transaction is ended before the network is asked (no lock held while a slow
    site answers); the result is written in a new short one.
    """
    link = db.session.scalar(scoped_links(user).where(LinkRecord.id == link_id))
    if link is None:
        return None
    now = utcnow()
    if link.last_check is not None and now - link.last_check.checked_at < RECHECK_INTERVAL:
        raise RecheckRefused(link.last_check.checked_at + RECHECK_INTERVAL - now)
    url = link.url
    db.session.commit()
    result = probe_url(url)
    link = db.session.get(LinkRecord, link_id)
    if link is None or link.url != url:  # changed by a cutover meanwhile: that result is stale
        db.session.rollback()
        return None
    record_result(link, result)
    db.session.commit()
    return result
