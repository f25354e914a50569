"""One rule for every helper that mirrors durable state in the shared cache (#10 item 9).

Blocks (``abuse.services``) and revocations (``accounts.revocation``) are written to the
database first, then mirrored in Redis, and readers trust Redis while its loaded-sentinel is
there. A mirror write that fails leaves Redis trusted but incomplete: every reader would fail
open until the entry expired. So the writer marks that cache untrusted *in the database*
(``mark_untrusted``): the mark outlives the writer, a short-lived task or management command
included, and is seen even by readers whose Redis is up while the writer's was down.

Readers ask ``untrusted(name)`` before trusting the cache. It reads the marks from the database
at most every ``ARAGORA_UNTRUSTED_CACHE_CHECK`` seconds per process (the bound on how late such
a write reaches every process). While a mark stands the reader answers from the database and
reloads the cache from it; the reload lifts the mark (``trust_again``) unless a newer failure
bumped its version meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from aragora.models import CacheMark

logger = logging.getLogger(__name__)


class _Snapshot:
    """This process's copy of the marks, and when it was read (monotonic seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.marks: dict[str, int] = {}
        self.read_at = float("-inf")


_snapshot = _Snapshot()


def mark_untrusted(name: str) -> None:
    """A write to cache ``name`` failed: every process reads the database until a reload."""
    try:
        _bump(name)
    except Exception:  # the database too: nothing durable can be said; the caller's row stands
        logger.exception("shared state: could not mark the %s cache untrusted", name)
    forget()  # this process asks again on its next read


def _bump(name: str) -> None:
    now = timezone.now()
    if CacheMark.objects.filter(name=name).update(version=F("version") + 1, marked_at=now):
        return
    try:
        with transaction.atomic():
            CacheMark.objects.create(name=name, marked_at=now)
    except IntegrityError:  # another process created it first: bump theirs
        CacheMark.objects.filter(name=name).update(version=F("version") + 1, marked_at=now)


def untrusted(name: str) -> int | None:
    """The version of the mark on cache ``name``; ``None`` while the cache can be trusted."""
    now = time.monotonic()
    if now - _snapshot.read_at >= settings.UNTRUSTED_CACHE_CHECK:
        marks = dict(CacheMark.objects.values_list("name", "version"))
        with _snapshot.lock:
            _snapshot.marks, _snapshot.read_at = marks, now
    return _snapshot.marks.get(name)


def trust_again(name: str, version: int) -> None:
    """The cache was reloaded from the database after the mark ``version`` was read: lift it
    (a newer mark, from a failure during the reload, stays)."""
    CacheMark.objects.filter(name=name, version=version).delete()
    forget()


def forget() -> None:
    """Read the marks again on the next check (tests; a process that just wrote one)."""
    with _snapshot.lock:
        _snapshot.marks, _snapshot.read_at = {}, float("-inf")
