"""Escalation and blocking (RATE-4).

Each 429 from a rate policy is a strike against the client key (token, user or IP) that hit
it. ``ESCALATION_STRIKES`` strikes within ``ESCALATION_WINDOW`` seconds block that key for
``BLOCK_BASE_SECONDS``, doubled for every earlier block in the last day (capped at a day).
Separately, an IP collecting ``SEVERE_ABUSE_STRIKES`` strikes within an hour is put on the
blocklist for a day. Blocks are refused before any expensive work (IP blocks in middleware,
before authentication; token and user blocks before the view), are stored in the database and
mirrored in the cache, survive restarts, and are listed and cleared by admins (audited).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from aragora.http.client_ip import client_ip
from aragora.models import ClientBlock

logger = logging.getLogger(__name__)
DAY = 86400


def _cache():  # type: ignore[no-untyped-def]
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


def strike(request: HttpRequest, key: str) -> None:
    """A 429 was served to ``key``: escalate to a block when it keeps happening."""
    strikes = _incr(f"abuse:strikes:{key}", settings.ESCALATION_WINDOW)
    if strikes >= settings.ESCALATION_STRIKES:
        _cache().delete(f"abuse:strikes:{key}")
        level = _incr(f"abuse:level:{key}", DAY)
        seconds = min(DAY, settings.BLOCK_BASE_SECONDS * 2 ** (level - 1))
        block(
            key, seconds=seconds, reason=ClientBlock.Reason.ESCALATION, level=level, request=request
        )
    ip_key = f"ip:{client_ip(request)}"
    if _incr(f"abuse:severe:{ip_key}", 3600) == settings.SEVERE_ABUSE_STRIKES:
        block(ip_key, seconds=DAY, reason=ClientBlock.Reason.SEVERE_ABUSE, level=0, request=request)


def block(
    key: str,
    *,
    seconds: int,
    reason: str,
    level: int,
    request: HttpRequest | None = None,
    actor=None,
) -> ClientBlock:  # type: ignore[no-untyped-def]
    expires = timezone.now() + timedelta(seconds=seconds)
    entry, _ = ClientBlock.objects.update_or_create(
        key=key, defaults={"reason": reason, "level": level, "expires_at": expires}
    )
    _mirror(key, expires.timestamp(), seconds)
    from audit import record
    from audit.events import EventType

    record(
        EventType.CLIENT_BLOCKED,
        actor=actor,
        request=request,
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
        logger.warning("abuse: cache unreachable; the database holds the block")


SENTINEL = "abuse:blocks-loaded"


def blocked_seconds(*keys: str) -> int:
    """Seconds left on the longest block among ``keys`` (0: not blocked). Fails closed.

    The cache answers (Redis in service mode, the process cache in embedded mode). A missing
    sentinel means the cache lost its data (a Redis restart, a new process): the blocks are
    reloaded from the database, which answers this once. If Redis is unreachable the database
    answers.
    """
    now = timezone.now().timestamp()
    try:
        found = _cache().get_many([SENTINEL, *(f"abuse:block:{k}" for k in keys)])
        if SENTINEL not in found:
            _reload()
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


def _reload() -> None:
    for entry in active_blocks():
        seconds = int((entry.expires_at - timezone.now()).total_seconds()) + 1
        _cache().set(f"abuse:block:{entry.key}", entry.expires_at.timestamp(), seconds)
    _cache().set(SENTINEL, 1, None)


def clear(*, key: str, actor=None, request: HttpRequest | None = None) -> int:  # type: ignore[no-untyped-def]
    """Lift a block (and its escalation level); audited."""
    deleted, _ = ClientBlock.objects.filter(key=key).delete()
    for name in (
        f"abuse:block:{key}",
        f"abuse:level:{key}",
        f"abuse:strikes:{key}",
        f"abuse:severe:{key}",
    ):
        try:
            _cache().delete(name)
        except Exception:
            logger.warning("abuse: cache unreachable while clearing %s", name)
    from audit import record
    from audit.events import EventType

    record(EventType.CLIENT_UNBLOCKED, actor=actor, request=request, key=key)
    return deleted


def active_blocks() -> list[ClientBlock]:
    return list(ClientBlock.objects.filter(expires_at__gt=timezone.now()))


class BlockedIPMiddleware:
    """Refuse a blocked IP before authentication or any other work."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = blocked_seconds(f"ip:{client_ip(request)}")
        if seconds:
            return blocked_response(request, seconds)
        return self.get_response(request)


def blocked_response(request: HttpRequest, seconds: int) -> HttpResponse:
    from aragora.http.errors import error_response

    response = error_response(request, 429)
    response["Retry-After"] = str(seconds)
    return response
