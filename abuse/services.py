"""Escalation and blocking (RATE-4), and the audit of refusals (AUDIT-1).

Each 429 from a rate policy is a strike against the client key (token, user or IP) that hit
it. ``ESCALATION_STRIKES`` strikes within ``ESCALATION_WINDOW`` seconds block that key for
``BLOCK_BASE_SECONDS``, doubled for every earlier block in the last day (capped at a day).
Separately, an IP collecting ``SEVERE_ABUSE_STRIKES`` strikes within an hour is put on the
blocklist for a day. Blocks are refused before any expensive work (IP blocks in middleware,
``abuse.middleware``, before authentication; token and user blocks by the rate gate,
``aragora.ratelimit.enforce``, which this app plugs into from ``abuse.apps``), are stored in
the database and mirrored in the cache, survive restarts, and are listed and cleared by admins
(audited).

IP keys are ``ip:`` plus ``client_ip.ip_key``: an IPv6 client is one key per /64.

Fail closed (#10 item 9): a mirror write that fails marks the cache untrusted
(``aragora.shared_state``), so every process answers from the database until it is reloaded;
a cache that cannot be reached is never a reason to let a blocked client in, nor to turn a 429
into a 500.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from abuse.models import ClientBlock
from aragora import shared_state
from aragora.http.client_ip import client_info, client_key, ip_key
from aragora.http.notes import ClientInfo
from audit.events import EventType
from audit.services import record, record_aggregated

logger = logging.getLogger(__name__)
DAY = 86400
NAME = "abuse"  # this cache's name for shared_state
SENTINEL = "abuse:blocks-loaded"


def _cache() -> BaseCache:
    return caches["default"]


def _incr(key: str, ttl: int) -> int:
    cache = _cache()
    try:
        try:
            return int(cache.incr(key))
        except ValueError:
            return 1 if cache.add(key, 1, ttl) else int(cache.incr(key))
    except Exception:  # shared cache down: count per process rather than not at all
        local = caches["local"]
        return 1 if local.add(key, 1, ttl) else int(local.incr(key))


def _forget(name: str) -> None:
    """Delete a counter; if the cache is down the counter stays, which only errs strict."""
    try:
        _cache().delete(name)
    except Exception:
        logger.warning("abuse: cache unreachable while resetting %s", name)


def ip_block_key(request: HttpRequest) -> str:
    return f"ip:{client_key(request)}"


def normalize(key: str) -> str:
    """An ``ip:`` key for any address of a client, as blocks store it (IPv6: its /64)."""
    kind, _, value = key.partition(":")
    return f"ip:{ip_key(value)}" if kind == "ip" else key


def strike(request: HttpRequest, key: str) -> None:
    """A 429 was served to ``key``: escalate to a block when it keeps happening."""
    strikes = _incr(f"abuse:strikes:{key}", settings.ESCALATION_WINDOW)
    if strikes >= settings.ESCALATION_STRIKES:
        _forget(f"abuse:strikes:{key}")
        level = _incr(f"abuse:level:{key}", DAY)
        seconds = min(DAY, settings.BLOCK_BASE_SECONDS * 2 ** (level - 1))
        block(
            key,
            seconds=seconds,
            reason=ClientBlock.Reason.ESCALATION,
            level=level,
            client=client_info(request),
        )
    severe_key = ip_block_key(request)
    if _incr(f"abuse:severe:{severe_key}", 3600) == settings.SEVERE_ABUSE_STRIKES:
        block(
            severe_key,
            seconds=DAY,
            reason=ClientBlock.Reason.SEVERE_ABUSE,
            level=0,
            client=client_info(request),
        )


def block(
    key: str,
    *,
    seconds: int,
    reason: str,
    level: int,
    client: ClientInfo | None = None,
    actor: Model | None = None,
) -> ClientBlock:
    expires = timezone.now() + timedelta(seconds=seconds)
    entry, _ = ClientBlock.objects.update_or_create(
        key=key, defaults={"reason": reason, "level": level, "expires_at": expires}
    )
    _mirror(key, expires.timestamp(), seconds)
    record(
        EventType.CLIENT_BLOCKED,
        actor=actor,
        client=client,
        key=key,
        reason=reason,
        seconds=seconds,
        level=level,
    )
    return entry


def _mirror(key: str, until: float, seconds: int) -> None:
    try:
        _cache().set(f"abuse:block:{key}", until, seconds)
    except Exception:
        # The cache now lacks a block the database has: readers must not trust it (fail closed).
        logger.warning("abuse: cache unreachable; the database holds the block")
        shared_state.mark_untrusted(NAME)


def blocked_seconds(*keys: str) -> int:
    """Seconds left on the longest block among ``keys`` (0: not blocked). Fails closed.

    The cache answers (Redis in service mode, the process cache in embedded mode) while it can
    be trusted. A missing sentinel means the cache lost its data (a Redis restart, a new
    process); a mark from ``shared_state`` means a block did not reach it. Either way the
    blocks are reloaded from the database, which answers this once. If Redis is unreachable
    the database answers.
    """
    if not keys:
        return 0
    now = timezone.now().timestamp()
    try:
        found = _cache().get_many([SENTINEL, *(f"abuse:block:{k}" for k in keys)])
        mark = shared_state.untrusted(NAME) if settings.SERVICE_CACHE else None
        if SENTINEL not in found or mark is not None:
            _reload(mark)
            raise LookupError("reloaded")
    except Exception:
        latest = (
            ClientBlock.objects.filter(key__in=keys, expires_at__gt=timezone.now())
            .order_by("-expires_at")
            .values_list("expires_at", flat=True)
            .first()
        )
        return int(latest.timestamp() - now) + 1 if latest else 0
    values = [v for k, v in found.items() if k != SENTINEL]
    return max((int(v - now) + 1 for v in values if v and v > now), default=0)


def _reload(mark: int | None) -> None:
    for entry in active_blocks():
        seconds = int((entry.expires_at - timezone.now()).total_seconds()) + 1
        _cache().set(f"abuse:block:{entry.key}", entry.expires_at.timestamp(), seconds)
    _cache().set(SENTINEL, 1, None)
    if mark is not None:
        shared_state.trust_again(NAME, mark)


def clear(*, key: str, actor: Model | None = None, client: ClientInfo | None = None) -> int:
    """Lift a block (and its escalation level); audited. ``ip:`` keys take any address of the
    client (an IPv6 one is cleared for its whole /64)."""
    key = normalize(key)
    deleted, _ = ClientBlock.objects.filter(key=key).delete()
    for name in (
        f"abuse:block:{key}",
        f"abuse:level:{key}",
        f"abuse:strikes:{key}",
        f"abuse:severe:{key}",
    ):
        # A failed delete leaves the cached block until it expires: strict, never open.
        _forget(name)
    record(EventType.CLIENT_UNBLOCKED, actor=actor, client=client, key=key)
    return deleted


def active_blocks() -> list[ClientBlock]:
    return list(ClientBlock.objects.filter(expires_at__gt=timezone.now()))


def note_refusal(request: HttpRequest, *, key: str, policy: str, reason: str) -> None:
    """AUDIT-1: a rate-limit refusal is audited as ``http.request.rate_limited`` (#10 item 18).

    A flood must not flood the audit table: the one aggregating helper for flood-prone events
    (``audit.services.record_aggregated``, #14 item 4) counts refusals exactly per key and
    minute across processes, records the first at once and one summary with the exact count
    once the minute is over; a many-address flood is capped too.
    """
    user = getattr(request, "user", None)
    record_aggregated(
        EventType.RATE_LIMITED,
        counter_key=f"{key}:{policy}:{reason}",
        client=client_info(request),
        actor=user if user is not None and user.is_authenticated else None,
        key=key,
        policy=policy,
        reason=reason,
        minute=int(time.time()) // 60 * 60,
    )
