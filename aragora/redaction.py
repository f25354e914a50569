"""Redaction of secrets from text and mappings (PWD-4).

Used by the logging filter and the audit trail so that passwords, tokens, codes, API keys,
``Authorization`` values and cookies never reach a log line or an audit row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# Names whose values are secret wherever they appear (JSON keys, form fields, headers, extras).
# A pattern of names, not a secret:
_SECRET_NAME = (
    r"(?:[a-z0-9_\-]*password[a-z0-9_\-]*|passwd|pwd|secret|client_secret|token|access|refresh"  # noqa: S105
    r"|access_token|refresh_token|mfa_token|id_token|api_key|apikey|code|otp|backup_code"
    r"|authorization|cookie|set-cookie|csrfmiddlewaretoken|csrftoken|sessionid|x-api-key"
    r"|http_authorization|http_cookie|signing_key|encryption_key|pepper)"
)
SECRET_KEY_RE = re.compile(rf"^{_SECRET_NAME}$", re.IGNORECASE)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # "password": "value"  /  'token': 'value'
    (
        re.compile(rf"""(["']{_SECRET_NAME}["']\s*:\s*)(["'])(?:\\.|(?!\2).)*\2""", re.I),
        rf"\1\2{REDACTED}\2",
    ),
    # password='value' / token="value": keyword arguments and dataclass reprs (a traceback's
    # source line, an exception message)
    (
        re.compile(rf"""(\b{_SECRET_NAME}\s*=\s*)(["'])(?:\\.|(?!\2).)*\2""", re.I),
        rf"\1\2{REDACTED}\2",
    ),
    # password=value in query strings, form bodies and key=value log lines
    (re.compile(rf"(\b{_SECRET_NAME}=)[^&\s;,'\"]+", re.I), rf"\1{REDACTED}"),
    # Authorization: Bearer xyz / Cookie: a=b  (header dumps)
    (re.compile(r"(\b(?:authorization|cookie)\s*:\s*)[^\r\n]+", re.I), rf"\1{REDACTED}"),
    (re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=\-]+", re.I), rf"\1 {REDACTED}"),
    # JWTs and our API tokens, wherever they stand
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), REDACTED),
    (re.compile(r"\barg_[A-Za-z0-9]+\.[A-Za-z0-9_\-]+"), REDACTED),
]


def redact_text(text: str) -> str:
    """Return ``text`` with every recognisable secret replaced by ``[REDACTED]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    """Redact ``value`` when its name is secret, else redact secrets inside it."""
    if SECRET_KEY_RE.match(str(key)):
        return REDACTED
    return redact_data(value)


def redact_data(value: Any) -> Any:
    """Recursively redact a JSON-like structure."""
    if isinstance(value, Mapping):
        return {k: redact_value(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
