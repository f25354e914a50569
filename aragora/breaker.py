"""A small circuit breaker for calls to shared services (OPS-2).

After a failure the breaker opens for ``cooldown`` seconds: callers skip the service and use
their fallback at once instead of waiting on a socket timeout for every request. After the
cooldown one call is let through to probe; success closes the breaker.
"""

from __future__ import annotations

import threading
import time


class CircuitBreaker:
    """Open after a failure, half-open after ``cooldown`` seconds, closed after a success."""

    def __init__(self, name: str, cooldown: float = 5.0) -> None:
        self.name = name
        self.cooldown = cooldown
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._opened_at is None:
                return True
            if time.monotonic() - self._opened_at >= self.cooldown:
                self._opened_at = time.monotonic()  # let this one call probe
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._opened_at = time.monotonic()

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None
