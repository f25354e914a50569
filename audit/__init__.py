"""The audit trail. ``audit.record(EventType.X, actor=..., target=..., request=..., **data)``."""

from __future__ import annotations

from typing import Any


def record(*args: Any, **kwargs: Any) -> Any:
    """The single entry point for security events (see ``audit.services.record``)."""
    from audit.services import record as _record

    return _record(*args, **kwargs)
