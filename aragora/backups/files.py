"""Backup files: their names, atomic creation with mode 0600, and retention (OPS-3)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

# Only files with these names are ever deleted by the retention: ours, nobody else's.
BACKUP_NAME = re.compile(r"aragora-\d{8}T\d{6}Z(?:-\d+)?\.(?:sqlite3|pgdump)")
TEMP_NAME = re.compile(r"\.aragora-\d{8}T\d{6}Z(?:-\d+)?\.(?:sqlite3|pgdump)\.[0-9a-f]{8}\.tmp")
DAY = 86400


class BackupError(Exception):
    """A backup or restore that cannot be done; the text is safe to show (no secret)."""


def new_name(directory: Path, extension: str, now: datetime | None = None) -> Path:
    """``aragora-20261202T003000Z.<extension>`` (UTC), numbered if that name is taken."""
    stamp = f"aragora-{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}"
    path, n = directory / f"{stamp}.{extension}", 1
    while path.exists():
        n += 1
        path = directory / f"{stamp}-{n}.{extension}"
    return path


@contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Yield a new temporary file (mode 0600) beside ``final``; on success it is synced and
    renamed to ``final`` in one step, so a reader never sees a half-written backup; on failure
    it is removed."""
    final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, final)
        _fsync(final.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prune(*, directory: Path, days: int, now: Callable[[], float] | None = None) -> list[Path]:
    """Delete our backups (and temporary files left by a crashed run) last modified more than
    ``days`` days ago; return what was deleted. Other files in the folder are never touched."""
    if not directory.is_dir():
        return []
    cutoff = (now() if now else datetime.now(UTC).timestamp()) - days * DAY
    removed = []
    for entry in sorted(directory.iterdir()):
        ours = BACKUP_NAME.fullmatch(entry.name) or TEMP_NAME.fullmatch(entry.name)
        if ours and entry.is_file() and not entry.is_symlink() and entry.stat().st_mtime < cutoff:
            entry.unlink()
            removed.append(entry)
    return removed
