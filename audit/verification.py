"""Verifying the trail's seals and chains (AUDIT-3); the design is in ``audit.integrity``."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from audit import integrity
from audit.events import EventType
from audit.models import AuditEvent, ChainHead

_COLUMNS = ("id", "seal", *integrity.SEALED_FIELDS)


@dataclass(frozen=True)
class VerifyResult:
    """The answer of ``verify_trail``: the shape of ``GET /api/v1/audit/verify``."""

    ok: bool
    checked: int
    first_bad_id: int | None


class _Bad(Exception):
    def __init__(self, event_id: int | None) -> None:
        self.event_id = event_id


@dataclass
class _ChainState:
    """Where the walk of one chain stands: the cut made by retention, then the last event."""

    cut_seq: int = 0
    seq: int = 0
    seal: str = ""
    last_id: int | None = None


@dataclass
class _Walk:
    keys: dict[str, bytes]
    cuts: dict[str, tuple[int, str]]
    chains: dict[str, _ChainState] = field(default_factory=dict)
    checked: int = 0

    def state(self, chain: str) -> _ChainState:
        if chain not in self.chains:
            cut_seq, cut_seal = self.cuts.get(chain, (0, ""))
            self.chains[chain] = _ChainState(cut_seq=cut_seq, seq=cut_seq, seal=cut_seal)
        return self.chains[chain]

    def check(self, row: dict[str, Any]) -> None:
        state = self.state(row["chain"])
        if row["seq"] <= state.cut_seq:
            return  # cut by a retention purge (AUDIT-4); its deletion may still be under way
        self.checked += 1
        if not _sealed(row, self.keys):
            raise _Bad(row["id"])  # edited, forged, renumbered, or an unknown key
        follows = row["seq"] == state.seq + 1 and row["prev_seal"] == state.seal
        if not follows or (state.last_id is not None and row["id"] < state.last_id):
            raise _Bad(row["id"])  # a row deleted or inserted before it, or rows swapped
        state.seq, state.seal, state.last_id = row["seq"], row["seal"], row["id"]

    def check_heads(self) -> None:
        """The newest event of each chain must be the one its head names (no truncation)."""
        heads = dict(ChainHead.objects.values_list("chain", "seq"))
        for chain in sorted(set(heads) | set(self.chains)):
            state, head_seq = self.state(chain), heads.get(chain)
            if head_seq is None or (head_seq > state.cut_seq and head_seq != state.seq):
                raise _Bad(state.last_id)  # rows past the newest left, or the head removed


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _sealed(row: dict[str, Any], keys: dict[str, bytes]) -> bool:
    key = keys.get(row["key_id"])
    fields = {name: row[name] for name in integrity.SEALED_FIELDS}
    return key is not None and _same(integrity.compute_seal(key, fields), row["seal"])


def retention_cuts(keys: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    """Per chain, the newest cut recorded by a purge checkpoint: (last removed seq, its seal).

    Only checkpoints whose own seal holds count: a forged one cannot hide events.
    """
    cuts: dict[str, tuple[int, str]] = {}
    checkpoints = AuditEvent.objects.filter(event_type=EventType.TRAIL_PURGED).values(*_COLUMNS)
    for row in checkpoints.iterator(chunk_size=1000):
        if not _sealed(row, keys):
            continue  # the walk reports it
        data = row["data"]
        chain, seq, seal = data.get("chain"), data.get("through_seq"), data.get("through_seal")
        if isinstance(chain, str) and isinstance(seq, int) and seq > cuts.get(chain, (0, ""))[0]:
            cuts[chain] = (seq, str(seal))
    return cuts


def verify_trail(*, chunk_size: int = 2000) -> VerifyResult:
    """Check every event's seal and place in its chain; stop at the first bad one (AUDIT-3).

    Streams the table in (chain, seq) order with ``.iterator()``: memory stays bounded
    whatever the size of the trail.
    """
    keys = integrity.keys()
    walk = _Walk(keys=keys, cuts=retention_cuts(keys))
    rows = AuditEvent.objects.order_by("chain", "seq").values(*_COLUMNS)
    try:
        for row in rows.iterator(chunk_size=chunk_size):
            walk.check(row)
        walk.check_heads()
    except _Bad as bad:
        return VerifyResult(ok=False, checked=walk.checked, first_bad_id=bad.event_id)
    return VerifyResult(ok=True, checked=walk.checked, first_bad_id=None)
