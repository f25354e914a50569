"""Verifying the trail's seals and chains (AUDIT-3); the design is in ``audit.integrity``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from audit import integrity
from audit.events import AUDIT, EventType
from audit.models import AuditEvent, ChainHead

_HEAD = ("chain", "seq", "last_seal")
_COLUMNS = ("id", "seal", *integrity.SEALED_FIELDS, "erased_in", "erasure_seal")


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
class _Erasures:
    """The erasure events (PRIV-4, ``audit.erasure``) and the rows the walk finds marked with
    each: per erasure and chain, how many and a running digest of their ``seq`` numbers."""

    events: dict[int, tuple[int, dict[str, Any]]]  # erasure seq: (its id, its per-chain counts)
    seen: dict[tuple[int, str], tuple[int, Any]] = field(default_factory=dict)

    def known(self, erased_in: int, audit_cut: int) -> bool:
        return erased_in in self.events or erased_in <= audit_cut  # else: an invented erasure

    def count(self, erased_in: int, chain: str, seq: int) -> None:
        count, digest = self.seen.get((erased_in, chain), (0, hashlib.sha256()))
        digest.update(f"{seq}\n".encode())  # the walk goes in seq order: as seq_digest
        self.seen[(erased_in, chain)] = (count + 1, digest)

    def check(self, cuts: dict[str, tuple[int, str]]) -> None:
        """Each erasure marked exactly the rows it counted (unless retention cut into them)."""
        for erased_in, (event_id, rows) in sorted(self.events.items()):
            chains = set(rows) | {chain for seq, chain in self.seen if seq == erased_in}
            for chain in sorted(chains):
                expected = rows.get(chain)
                count, digest = self.seen.get((erased_in, chain), (0, hashlib.sha256()))
                if expected is None:
                    raise _Bad(event_id)  # rows marked with an erasure that did not count them
                if cuts.get(chain, (0, ""))[0] >= expected.get("first_seq", 0):
                    continue  # partly purged since: each survivor was checked by its seal
                if (count, digest.hexdigest()) != (expected.get("count"), expected.get("digest")):
                    raise _Bad(event_id)  # a row put back from before the erasure, or missing


@dataclass
class _Walk:
    keys: dict[str, bytes]
    cuts: dict[str, tuple[int, str]]
    erasures: _Erasures
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
        if not self._holds(row):
            raise _Bad(row["id"])  # edited, forged, renumbered, or an unknown key
        follows = row["seq"] == state.seq + 1 and row["prev_seal"] == state.seal
        if not follows or (state.last_id is not None and row["id"] < state.last_id):
            raise _Bad(row["id"])  # a row deleted or inserted before it, or rows swapped
        state.seq, state.seal, state.last_id = row["seq"], row["seal"], row["id"]

    def _holds(self, row: dict[str, Any]) -> bool:
        erased_in = row["erased_in"]
        if erased_in is None:
            return integrity.seal_holds(row, self.keys)
        audit_cut = self.cuts.get(AUDIT, (0, ""))[0]
        if not self.erasures.known(erased_in, audit_cut):
            return False
        self.erasures.count(erased_in, row["chain"], row["seq"])
        return integrity.erasure_seal_holds(row, self.keys)

    def check_heads(self) -> None:
        """The newest event of each chain must be the one its head names (no truncation)."""
        heads = {c: (seq, seal) for c, seq, seal in ChainHead.objects.values_list(*_HEAD)}
        for chain in sorted(set(heads) | set(self.chains)):
            state, (head_seq, head_seal) = self.state(chain), heads.get(chain, (None, ""))
            if head_seq is None or (head_seq > state.cut_seq and head_seq != state.seq):
                raise _Bad(state.last_id)  # rows past the newest left, or the head removed
            if head_seq == state.seq and head_seal != state.seal:
                raise _Bad(state.last_id)  # the next event would chain onto a wrong seal


def retention_cuts(keys: dict[str, bytes]) -> dict[str, tuple[int, str]]:
    """Per chain, the newest cut recorded by a purge checkpoint: (last removed seq, its seal).

    Only checkpoints whose own seal holds count: a forged one cannot hide events.
    """
    cuts: dict[str, tuple[int, str]] = {}
    checkpoints = AuditEvent.objects.filter(event_type=EventType.TRAIL_PURGED).values(*_COLUMNS)
    for row in checkpoints.iterator(chunk_size=1000):
        if not integrity.seal_holds(row, keys):
            continue  # the walk reports it
        data = row["data"]
        chain, seq, seal = data.get("chain"), data.get("through_seq"), data.get("through_seal")
        if isinstance(chain, str) and isinstance(seq, int) and seq > cuts.get(chain, (0, ""))[0]:
            cuts[chain] = (seq, str(seal))
    return cuts


def erasure_events(keys: dict[str, bytes]) -> dict[int, tuple[int, dict[str, Any]]]:
    """The sealed ``audit.user.erased`` events by ``seq``: (id, per-chain counts of rows)."""
    events: dict[int, tuple[int, dict[str, Any]]] = {}
    rows = AuditEvent.objects.filter(event_type=EventType.USER_ERASED, chain=AUDIT)
    for row in rows.values(*_COLUMNS).iterator(chunk_size=1000):
        counted = row["data"].get("rows")
        if row["erased_in"] is None and integrity.seal_holds(row, keys):
            events[row["seq"]] = (row["id"], counted if isinstance(counted, dict) else {})
    return events


def verify_trail(*, chunk_size: int = 2000) -> VerifyResult:
    """Check every event's seal and place in its chain; stop at the first bad one (AUDIT-3).

    Streams the table in (chain, seq) order with ``.iterator()``: memory stays bounded
    whatever the size of the trail.
    """
    keys = integrity.keys()
    cuts = retention_cuts(keys)
    walk = _Walk(keys=keys, cuts=cuts, erasures=_Erasures(erasure_events(keys)))
    rows = AuditEvent.objects.order_by("chain", "seq").values(*_COLUMNS)
    try:
        for row in rows.iterator(chunk_size=chunk_size):
            walk.check(row)
        walk.check_heads()
        walk.erasures.check(cuts)
    except _Bad as bad:
        return VerifyResult(ok=False, checked=walk.checked, first_bad_id=bad.event_id)
    return VerifyResult(ok=True, checked=walk.checked, first_bad_id=None)
