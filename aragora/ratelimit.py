"""Named rate policies (RATE-1, RATE-2, RATE-3) counted through django-ratelimit's core, and the
one gate every entry point passes (``enforce``: check blocks, count, strike; RATE-4).

Policies: ``auth`` (per client IP), ``debates`` and ``upload`` (per user), ``default`` (per API
token, else user, else IP). Rates come from settings (``ARAGORA_RATE_LIMIT_*``, django-ratelimit
syntax, checked at startup). Counting is one atomic ``add``/``INCR`` on the shared cache (Redis
in service mode), so under a parallel burst exactly ``limit`` requests pass per window and every
request sees its own count. Windows are fixed length, aligned per key, so ``X-RateLimit-Reset``
is the true end of the window. An IP is counted by ``client_ip.ip_key`` (IPv6: its /64).

Rate parsing, windows and counter keys live in ``aragora.rates``: the few lines of
django-ratelimit we used, owned rather than imported from its private internals (#11; that
module says why not its public API), with the same arithmetic and cache keys.

``enforce`` is used by the DRF throttle, the page decorator and the failed-authentication hook,
so a block made on one path is refused on every path (#10 item 11), and requests that fail
authentication count per IP against ``default`` like any other request (#10 item 7).

Fail closed: when the shared cache is unreachable we count in the per-process ``local`` cache
instead of letting requests through uncounted (each process then enforces the limit alone).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from aragora import metrics, rates
from aragora.hooks import abuse_guard
from aragora.http.client_ip import client_key
from aragora.http.notes import request_notes
from aragora.rates import Usage

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)
_FUDGE_SECONDS = 5


def policy_key(request: HttpRequest, policy: str) -> str:
    """The identity a policy counts: IP for ``auth``, user for per-user policies, else token."""
    user = getattr(request, "user", None)
    if policy == "auth" or user is None or not user.is_authenticated:
        return f"ip:{client_key(request)}"
    token_id = _api_token_id(request)
    if policy == "default" and token_id is not None:
        return f"token:{token_id}"
    return f"user:{user.pk}"


def block_keys(request: HttpRequest, key: str) -> list[str]:
    """The token and user keys a block may name for this request (IPs: ``BlockedIPMiddleware``)."""
    keys = {key}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.add(f"user:{user.pk}")
    token_id = _api_token_id(request)
    if token_id is not None:
        keys.add(f"token:{token_id}")
    return sorted(k for k in keys if not k.startswith("ip:"))


def _api_token_id(request: HttpRequest) -> int | None:
    """The API token the request authenticated with (``AuthContext``), if any."""
    auth = request_notes(request).auth
    return auth.api_token_id if auth is not None else None


def enforce(request: HttpRequest, policy: str, *, key: str | None = None) -> Usage:
    """The one rate gate (RATE-1, RATE-2, RATE-4): refuse a blocked client without counting,
    else count the request against ``policy`` and strike toward a block when over the limit.

    Records the usage in the request's notes (``RateLimitHeadersMiddleware`` turns it into
    headers) and audits a refusal (aggregated, by the abuse app's guard, ``aragora.hooks``). The
    caller refuses with 429 when ``usage.limited``.
    """
    key = key or policy_key(request, policy)
    guard = abuse_guard()  # the abuse app's blocks and escalation (fail closed when absent)
    blocked = guard.blocked_seconds(*block_keys(request, key))
    if blocked:
        usage = Usage(policy, 0, 0, int(time.time()) + blocked, blocked=True)
    else:
        usage = hit(request, policy, key=key)
        if usage.limited:
            guard.strike(request, key)
    request_notes(request).ratelimit_usage = usage
    if usage.limited:
        reason = "blocked" if usage.blocked else "limit"
        metrics.count_rate_limit_refusal(policy, reason)  # every refusal, unsampled (OPS-1)
        guard.note_refusal(request, key=key, policy=policy, reason=reason)
    return usage


def count_failed_authentication(request: HttpRequest) -> None:
    """RATE-1: a request whose credentials failed (a bad, expired or revoked JWT, an unknown or
    wrong API token, a bad auth cookie) counts per IP against ``default`` and strikes toward a
    block like any refusal (RATE-4), so token guessing is limited like password guessing.

    Raises ``Throttled`` (429 ``rate_limited``) past the limit; otherwise the caller's 401
    stands, with the ``X-RateLimit-*`` headers.
    """
    if not settings.RATELIMIT_ENABLE:
        return
    usage = enforce(request, "default", key=f"ip:{client_key(request)}")
    if usage.limited:
        raise Throttled(wait=usage.retry_after)


def hit(request: HttpRequest, policy: str, *, key: str | None = None) -> Usage:
    """Count one request against ``policy`` (under ``key``, by default the policy's key)."""
    rate = settings.RATE_LIMITS[policy]
    key = key or policy_key(request, policy)
    try:
        return _count(caches[settings.RATELIMIT_USE_CACHE], policy, rate, key)
    except Exception:  # Redis down: fail closed onto the per-process counter, never open
        logger.warning("rate limit store unreachable; counting per process", exc_info=True)
        return _count(caches["local"], policy, rate, key)


def _count(cache, policy: str, rate: str, key: str) -> Usage:
    """One atomic increment; a missing counter is created with ``add`` (first writer wins).

    Incrementing first makes the common case (the window's counter exists) one round trip.
    """
    limit, period = rates.parse_rate(rate)
    window = rates.window_end(key, period)
    prefix = settings.RATELIMIT_CACHE_PREFIX
    cache_key = rates.counter_key(f"aragora.{policy}", rate, key, window, prefix)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # no counter yet for this window
        count = 1 if cache.add(cache_key, 1, period + _FUDGE_SECONDS) else cache.incr(cache_key)
    return Usage(policy=policy, limit=limit, count=int(count), reset=window)


def view_policy(view: APIView, request: Request) -> str | None:
    """The policy a view declares for this method (``rate_policy``), ``default`` otherwise.

    A view sets ``rate_policy = "auth"`` or a mapping such as ``{"POST": "debates"}``; methods
    the mapping does not name fall back to ``default``. ``None`` exempts a view (health checks).
    """
    declared = getattr(view, "rate_policy", "default")
    if isinstance(declared, dict):
        return declared.get(request.method, "default")
    return declared


class RatePolicyThrottle(BaseThrottle):
    """DRF throttle applying the view's named policy and recording the usage for the headers."""

    usage: Usage | None = None

    def allow_request(self, request: Request, view: APIView) -> bool:
        policy = view_policy(view, request)
        if policy is None or not settings.RATELIMIT_ENABLE:
            return True
        self.usage = enforce(request._request, policy)
        return not self.usage.limited

    def wait(self) -> float | None:
        return self.usage.retry_after if self.usage else None


def rate_limit(
    policy: str,
    methods: tuple[str, ...] = ("POST",),
    when: Callable[[HttpRequest], bool] | None = None,
):
    """Decorator applying a named policy to a Django (page) view for the given methods (and
    requests ``when`` accepts), through the same gate as the API (``enforce``): a blocked user
    is refused by pages and API alike."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if (
                request.method in methods
                and (when is None or when(request))
                and settings.RATELIMIT_ENABLE
                and enforce(request, policy).limited
            ):
                # Imported here to break a real cycle: aragora.http.errors imports DRF's views,
                # whose import loads the authentication classes, which import this module.
                from aragora.http.errors import error_response

                return error_response(request, 429)  # Retry-After from the recorded usage
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
