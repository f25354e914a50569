"""Where lockout state lives: Redis in service mode, the database in embedded mode (LOCK-4).

Both stores give the same atomic operations over a set of keys (the email key and the IP key
of one attempt), which is what makes reserve-then-verify race-free (LOCK-3):

- ``reserve``: refuse if any key is locked (no counting); answer *busy* if the attempts already
  in flight would reach the next lock (the caller waits for a slot, see ``service.reserve``);
  otherwise record this attempt as in flight on every key;
- ``fail``: count a failure on every key, drop this attempt's reservation, lock the key when
  its failure count reaches a tier. An unknown token counts too: it was reserved in the other
  store during a Redis blip, or went stale, and its password was still checked (#10 item 10);
- ``succeed``: drop the reservation; for keys to reset (the email), forget failures and lock.

In service mode the database counts the failures for both stores and Redis keeps the
reservations (see ``accounts.lockout.switch``), so that switching stores never hands out a
fresh budget.

A reservation older than ``STALE_SECONDS`` is dropped (its request died before resolving).
Counters decay: a key with no failure for ``DECAY_SECONDS`` starts again from zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from accounts.lockout.tiers import Tiers, lock_seconds, next_lock_at
from accounts.models import LockoutState

STALE_SECONDS = 60
DECAY_SECONDS = 24 * 3600
BUSY_RETRY_SECONDS = 1


@dataclass(frozen=True)
class Key:
    key_type: str  # "email" or "ip": separate namespaces, so an email never touches an IP key
    value: str

    @property
    def redis_key(self) -> str:
        return f"aragora:lockout:{self.key_type}:{self.value}"


@dataclass(frozen=True)
class Entry:
    key_type: str
    key: str
    failures: int
    locked_until: float


@dataclass(frozen=True)
class Verdict:
    """``allowed``; else locked (``retry_after`` seconds) or ``busy`` (wait for a slot)."""

    allowed: bool
    retry_after: float = 0.0
    busy: bool = False


@dataclass(frozen=True)
class Floor:
    """What the database knows of a key, which the Redis store must not undercut."""

    failures: int = 0
    locked_until: float = 0.0
    in_flight: int = 0


@dataclass(frozen=True)
class KeyState:
    """A key after a failure: its count, lock, and the seconds of a lock set just now (0)."""

    key: Key
    failures: int
    locked_until: float
    seconds: int


def _decayed(row: LockoutState, now: float) -> bool:
    return bool(row.last_failure_at) and now - row.last_failure_at > DECAY_SECONDS


def _live(reservations: dict[str, float], now: float) -> dict[str, float]:
    return {t: at for t, at in reservations.items() if at > now - STALE_SECONDS}


class DatabaseStore:
    """Lockout state in ``LockoutState`` rows, each operation one transaction over row locks
    taken in key order (so two attempts on the same keys queue instead of deadlocking)."""

    name = "database"

    def _rows(self, keys: list[Key], now: float) -> list[LockoutState]:
        rows = []
        for key in sorted(keys, key=lambda k: (k.key_type, k.value)):
            LockoutState.objects.get_or_create(key_type=key.key_type, key=key.value)
            row = LockoutState.objects.select_for_update().get(key_type=key.key_type, key=key.value)
            if _decayed(row, now):
                row.failures, row.locked_until = 0, 0.0
            row.reservations = _live(row.reservations, now)
            rows.append(row)
        return rows

    def reserve(
        self, keys: list[Key], token: str, now: float, tiers: Tiers, *, hold: bool = False
    ) -> Verdict:
        """``hold``: answer locked or busy, never reserve (the switch is settling)."""
        with transaction.atomic():
            rows = self._rows(keys, now)
            wait = max((row.locked_until - now for row in rows), default=0)
            if wait > 0:
                return Verdict(False, wait)
            if hold or any(
                row.failures + len(row.reservations) >= next_lock_at(tiers, row.failures)
                for row in rows
            ):
                return Verdict(False, BUSY_RETRY_SECONDS, busy=True)
            for row in rows:
                row.reservations[token] = now
                row.save(update_fields=["failures", "locked_until", "reservations"])
            return Verdict(True)

    def fail(self, keys: list[Key], token: str, now: float, tiers: Tiers) -> list[KeyState]:
        states = []
        with transaction.atomic():
            for row in self._rows(keys, now):
                row.reservations.pop(token, None)  # absent: reserved elsewhere; counts all the same
                row.failures += 1
                row.last_failure_at = now
                seconds = lock_seconds(tiers, row.failures)
                if seconds:
                    row.locked_until = now + seconds
                row.save()
                key = Key(row.key_type, row.key)
                states.append(KeyState(key, row.failures, row.locked_until, seconds))
        return states

    def floors(self, keys: list[Key], now: float) -> list[Floor]:
        """Each key's failures, lock and live reservations, in ``keys`` order (no lock taken)."""
        match = Q(pk__in=[])
        for key in keys:
            match |= Q(key_type=key.key_type, key=key.value)
        rows = {(r.key_type, r.key): r for r in LockoutState.objects.filter(match)}
        floors = []
        for key in keys:
            row = rows.get((key.key_type, key.value))
            if row is None or _decayed(row, now):
                floors.append(Floor(in_flight=len(_live(row.reservations, now)) if row else 0))
            else:
                live = len(_live(row.reservations, now))
                floors.append(Floor(row.failures, row.locked_until, live))
        return floors

    def succeed(self, keys: list[Key], token: str, reset: list[bool]) -> None:
        resets = {k for k, r in zip(keys, reset, strict=True) if r}
        with transaction.atomic():
            for key in keys:
                row = (
                    LockoutState.objects.select_for_update()
                    .filter(key_type=key.key_type, key=key.value)
                    .first()
                )
                if row is None:
                    continue
                row.reservations.pop(token, None)
                if key in resets:
                    row.failures, row.locked_until = 0, 0.0
                row.save()

    def reset(self, keys: list[Key]) -> None:
        """Forget failures and lock of ``keys`` (one UPDATE each, a no-op when clean)."""
        for key in keys:
            LockoutState.objects.filter(key_type=key.key_type, key=key.value).exclude(
                failures=0, locked_until=0
            ).update(failures=0, locked_until=0.0)

    def entries(self) -> list[Entry]:
        rows = LockoutState.objects.filter(failures__gt=0)
        return [Entry(r.key_type, r.key, r.failures, r.locked_until) for r in rows]

    def clear(self, keys: list[Key]) -> int:
        cleared = 0
        for key in keys:
            rows = LockoutState.objects.filter(key_type=key.key_type, key=key.value)
            cleared += rows.filter(failures__gt=0).count()
            rows.delete()
        return cleared

    def purge_idle(self, now: float) -> int:
        """Drop rows with nothing to remember: no failures left, or decayed."""
        idle = LockoutState.objects.filter(failures=0, reservations={})
        decayed = LockoutState.objects.filter(
            last_failure_at__gt=0, last_failure_at__lt=now - DECAY_SECONDS
        )
        return idle.delete()[0] + decayed.delete()[0]
