"""Errors to Sentry (OPS-1, optional): on only when ``SENTRY_DSN`` is set.

Nothing leaves the process unredacted. Every event, transaction (tracing) and breadcrumb passes
the same redaction as the logs (``aragora.redaction``: passwords, tokens, codes, ``Authorization``,
cookies, JWTs and API tokens, by name and by shape), and email addresses are masked too, since
an exception message may name one. The SDK is also told to collect as little as it can:
``send_default_pii=False`` (no user email, IP or cookies), no request bodies, no local
variables of stack frames (they hold passwords and tokens under names no redaction can guess).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

from aragora.redaction import redact_data

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

logger = logging.getLogger(__name__)

EMAIL_MASK = "[EMAIL]"
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


def _mask_emails(value: Any) -> Any:
    if isinstance(value, str):
        return _EMAIL_RE.sub(EMAIL_MASK, value)
    if isinstance(value, dict):
        return {k: _mask_emails(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_emails(v) for v in value]
    return value


def scrub(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` (an event or a breadcrumb) with every secret and email address replaced."""
    cleaned: dict[str, Any] = _mask_emails(redact_data(payload))
    return cleaned


def before_send(event: Event, hint: Hint) -> Event | None:
    """Sentry's ``before_send``: the redacted event, or nothing if redaction itself failed."""
    try:
        return cast("Event", scrub(dict(event)))
    except Exception:  # never send what could not be cleaned
        logger.warning("sentry: an event could not be redacted and was dropped")
        return None


def before_send_transaction(event: Event, hint: Hint) -> Event | None:
    """Sentry's ``before_send_transaction``: with tracing on, transactions (request URL and
    query string, span descriptions such as SQL, Redis commands and outgoing URLs) never pass
    ``before_send``; they are redacted the same way, or dropped."""
    return before_send(event, hint)


def before_breadcrumb(crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb | None:
    """Sentry's ``before_breadcrumb``: log lines, SQL and HTTP calls, redacted likewise."""
    try:
        return scrub(dict(crumb))
    except Exception:
        return None


def dsn_is_valid(dsn: str) -> bool:
    """Whether sentry-sdk accepts ``dsn`` (checked at start, ``aragora.E047``)."""
    from sentry_sdk.utils import BadDsn, Dsn

    try:
        Dsn(dsn)
    except BadDsn:
        return False
    return True


def init_sentry(*, dsn: str, environment: str, traces_sample_rate: float) -> bool:
    """Start sentry-sdk (Django, Celery and logging integrations are enabled automatically).
    A DSN that does not parse starts nothing here: the system check ``aragora.E047`` then
    refuses to start the process, naming the variable, not its value."""
    if not dsn_is_valid(dsn):
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate if 0.0 <= traces_sample_rate <= 1.0 else 0.0,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=before_send,
        before_send_transaction=before_send_transaction,
        before_breadcrumb=before_breadcrumb,
    )
    return True
