"""LOCK-3 (#10 red team 2): how many attempts may wait for a slot on one key at once.

An attempt that finds its key's budget held by attempts in flight sleeps in its worker thread
for up to ``LOCKOUT_WAIT`` seconds. Unbounded, a flood of correct logins for one account (or
from one IP) would park every gunicorn thread for that long. So at most
``LOCKOUT_MAX_WAITERS`` attempts wait per email or IP key, counted in the shared cache across
processes; beyond that an attempt gets 429 ``locked_out`` with ``Retry-After`` at once,
unverified and uncounted. If the shared cache is unreachable the count is kept per process
(``caches["local"]``): still bounded, never unbounded (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from django.conf import settings
from django.core.cache import caches

from accounts.lockout.stores import Key

PREFIX = "lockout:waiters:"


@contextmanager
def waiting(keys: Sequence[Key]) -> Iterator[bool]:
    """Count this attempt as waiting on every key; yield whether each has room for it."""
    joined: list[tuple[str, str]] = []
    try:
        room = True
        for key in keys:
            name = f"{PREFIX}{key.key_type}:{key.value}"
            alias, count = _join(name)
            joined.append((alias, name))
            room = room and count <= settings.LOCKOUT_MAX_WAITERS
        yield room
    finally:
        for alias, name in joined:
            _leave(alias, name)


def forget(keys: Sequence[Key]) -> None:
    """Drop the waiters' counts of ``keys`` (erasure, PRIV-4: the key names an email)."""
    for key in keys:
        for alias in ("default", "local"):
            with suppress(Exception):  # unreachable: the timeout forgets it
                caches[alias].delete(f"{PREFIX}{key.key_type}:{key.value}")


def _join(name: str) -> tuple[str, int]:
    timeout = int(settings.LOCKOUT_WAIT) + 60  # a process that died waiting is forgotten
    for alias in ("default", "local"):
        try:
            caches[alias].add(name, 0, timeout=timeout)
            return alias, int(caches[alias].incr(name))
        except Exception:  # noqa: S112  (shared cache unreachable: count per process)
            continue
    raise RuntimeError("no cache to count lockout waiters")  # pragma: no cover


def _leave(alias: str, name: str) -> None:
    with suppress(Exception):  # gone or unreachable: the timeout forgets it
        caches[alias].decr(name)
