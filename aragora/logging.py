"""Logging set-up: every record passes through ``RedactSecretsFilter`` (PWD-4).

``LOGGING`` in the settings names the filter; Django applies it with its default
``logging.config.dictConfig``. Production logs are JSON (python-json-logger); development logs
are plain text.
"""

from __future__ import annotations

import logging
from typing import Any

from aragora.redaction import REDACTED, SECRET_KEY_RE, redact_data, redact_text

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


class RedactSecretsFilter(logging.Filter):
    """Rewrite a record so no secret survives in its message, traceback or extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(_safe_message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        record.exc_info = None  # the redacted exc_text is what gets printed
        for name in [n for n in vars(record) if n not in _STANDARD_ATTRS]:
            setattr(record, name, _redact_extra(name, getattr(record, name)))
        return True


def _safe_message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a bad format string must not lose the record
        return str(record.msg)


def _redact_extra(name: str, value: Any) -> Any:
    if SECRET_KEY_RE.match(name):
        return REDACTED
    if name == "request":  # Django attaches the request; its repr holds the query string
        return redact_text(f"{getattr(value, 'method', '')} {getattr(value, 'path', '')}")
    if isinstance(value, (str, dict, list, tuple)):
        return redact_data(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact_text(repr(value))
