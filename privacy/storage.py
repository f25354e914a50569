"""Where export archives live (PRIV-3): ``ARAGORA_EXPORT_DIR``, private (0700), files 0600,
under random names that only the database knows.

A file is written as ``<name>.part`` and renamed to ``<name>`` when complete, so a crash never
leaves something that looks finished. Only names of that shape are ever touched here: an
operator who points the setting at a shared folder loses nothing else.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from django.conf import settings

PART = ".part"
_NAME = re.compile(r"[0-9a-f]{64}\.zip")


class BadName(ValueError):
    """Not a name this module made: never turned into a path."""


def export_dir() -> Path:
    """The archive directory, created private (0700) when missing."""
    path = Path(settings.EXPORT_DIR)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:  # made by someone else, or before: ours alone if we can
        with suppress(PermissionError):  # the files are 0600 whatever the directory allows
            path.chmod(0o700)
    return path


def new_name() -> str:
    """A fresh, unguessable file name (256 random bits)."""
    return f"{secrets.token_hex(32)}.zip"


def path_of(name: str) -> Path:
    """The finished archive's path; ``BadName`` for anything but a name ``new_name`` makes."""
    if not _NAME.fullmatch(name):
        raise BadName("not an export file name")
    return export_dir() / name


def part_of(name: str) -> Path:
    """Where the archive is written until it is complete."""
    return path_of(name).with_name(name + PART)


def create_private(path: Path) -> int:
    """Open a new file for writing, readable by this user only (0600); fails if it exists."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


def remove(name: str) -> bool:
    """Delete the archive and any partial file of ``name``; whether a file was there."""
    found = False
    for path in (path_of(name), part_of(name)):
        try:
            path.unlink()
            found = True
        except FileNotFoundError:
            pass
    return found


def stray_files(keep: set[str], older_than: float) -> Iterator[Path]:
    """Archive or partial files no export in ``keep`` owns, untouched for ``older_than``
    seconds (left by a crash or an erased account)."""
    cutoff = time.time() - older_than
    for path in export_dir().iterdir():
        name = path.name.removesuffix(PART)
        if _NAME.fullmatch(name) and name not in keep and path.stat().st_mtime < cutoff:
            yield path
