"""Plugs through which the apps above ``aragora`` join its generic machinery (#11).

Layers point one way (README "Architecture"): ``aragora`` is the floor and imports no app. Two
of its pieces need an upper app's knowledge, so that app plugs in from its ``AppConfig.ready()``:

- the rate gate (``aragora.ratelimit.enforce``, RATE-1, RATE-2), used by accounts' views and
  authentication, asks an ``AbuseGuard`` whether a client is blocked (RATE-4), tells it of each
  429 (strikes and escalation) and of each refusal (sampled audit, AUDIT-1): the ``abuse`` app;
- the HTTP layer's refusals (``aragora.http.rejections``, AUDIT-1) go to a ``RejectionSink``:
  the ``audit`` app.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.conf import settings
from django.core.checks import Error, register
from django.http import HttpRequest

logger = logging.getLogger(__name__)
UNPLUGGED_RETRY_SECONDS = 60


class AbuseGuard(Protocol):
    """What the rate gate asks of the abuse app (RATE-4, AUDIT-1)."""

    def blocked_seconds(self, *keys: str) -> int: ...

    def strike(self, request: HttpRequest, key: str) -> None: ...

    def note_refusal(self, request: HttpRequest, *, key: str, policy: str, reason: str) -> None: ...


class RejectionSink(Protocol):
    """Records a request the HTTP layer refused (AUDIT-1)."""

    def __call__(self, request: HttpRequest, *, status: int, code: str) -> None: ...


class Unplugged:
    """The guard until an abuse app plugs in one. Fails closed where it matters (RATE-4):
    nothing can then say whether a client is blocked, so every request the rate gate sees is
    refused as blocked (429 with ``Retry-After``), never let in unchecked. The system check
    ``aragora.E101`` stops a process from starting that way. Strikes and refusals are dropped:
    there is nothing to escalate to, and the refusal itself already happened."""

    def blocked_seconds(self, *keys: str) -> int:
        return UNPLUGGED_RETRY_SECONDS

    def strike(self, request: HttpRequest, key: str) -> None:
        return None

    def note_refusal(self, request: HttpRequest, *, key: str, policy: str, reason: str) -> None:
        return None


def _log_rejection(request: HttpRequest, *, status: int, code: str) -> None:
    """The sink until the audit app plugs in one: the refusal stands, only its record is lost."""
    logger.warning("no audit sink: unrecorded refusal %s %s", status, code)


class _Plugs:
    def __init__(self) -> None:
        self.abuse_guard: AbuseGuard = Unplugged()
        self.rejection_sink: RejectionSink = _log_rejection


_plugs = _Plugs()


def plug_abuse_guard(guard: AbuseGuard | None) -> None:
    """Install the abuse app's guard (``None``: back to the fail-closed ``Unplugged``)."""
    _plugs.abuse_guard = guard if guard is not None else Unplugged()


def abuse_guard() -> AbuseGuard:
    return _plugs.abuse_guard


def plug_rejection_sink(sink: RejectionSink | None) -> None:
    """Install the audit app's sink for refused requests (``None``: log only)."""
    _plugs.rejection_sink = sink if sink is not None else _log_rejection


def rejection_sink() -> RejectionSink:
    return _plugs.rejection_sink


@register()
def abuse_guard_plugged(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """``aragora.E101``: rate limits are on but no abuse app plugged in a guard, so the gate
    would refuse every request it sees (fail closed, see ``Unplugged``)."""
    if not settings.RATELIMIT_ENABLE or not isinstance(abuse_guard(), Unplugged):
        return []
    return [
        Error(
            "No abuse guard is plugged into the rate gate: every rate-limited request would be "
            "refused.",
            hint="Add 'abuse' to INSTALLED_APPS (its AppConfig.ready() plugs the guard in).",
            id="aragora.E101",
        )
    ]
