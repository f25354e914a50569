"""Backups of the database and their restore (OPS-3): ``manage.py backup`` and ``restore``.

SQLite (and SQLCipher) through the online backup API, PostgreSQL through pg_dump/pg_restore.
Backups are written atomically with mode 0600 into ``ARAGORA_BACKUP_DIR`` and kept
``ARAGORA_BACKUP_RETENTION_DAYS`` days. deploy/RUNBOOK.md says what to do around a restore.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from aragora.backups import postgres, sqlite
from aragora.backups.files import BackupError, atomic_file, new_name, prune

__all__ = ["BackupError", "check_backup", "create_backup", "prune_backups", "restore_backup"]


def _engine(wrapper: BaseDatabaseWrapper) -> ModuleType:
    if wrapper.vendor == "sqlite":
        return sqlite
    if wrapper.vendor == "postgresql":
        return postgres
    raise BackupError(f"no backup method for the {wrapper.vendor} database")


def create_backup(*, directory: Path | None = None, alias: str = DEFAULT_DB_ALIAS) -> Path:
    """Write a consistent backup of the database; return its path."""
    wrapper = connections[alias]
    engine = _engine(wrapper)
    final = new_name(directory or Path(settings.BACKUP_DIR), engine.EXTENSION)
    with atomic_file(final) as temp:
        engine.dump(wrapper, temp)
    return final


def check_backup(*, path: Path, alias: str = DEFAULT_DB_ALIAS) -> None:
    """Raise ``BackupError`` unless ``path`` is a backup this database can be restored from."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    _engine(connections[alias]).check(connections[alias], path)


def restore_backup(*, path: Path, alias: str = DEFAULT_DB_ALIAS) -> None:
    """Replace the database's content with the backup at ``path``. A missing or damaged file
    raises ``BackupError`` before anything changes. Every connection of this process is
    closed first; other processes (servers, workers) must be stopped (deploy/RUNBOOK.md)."""
    check_backup(path=path, alias=alias)
    wrapper = connections[alias]
    _engine(wrapper).load(wrapper, path)


def prune_backups(*, directory: Path | None = None, days: int | None = None) -> list[Path]:
    """Delete our backups older than ``ARAGORA_BACKUP_RETENTION_DAYS`` days."""
    return prune(
        directory=directory or Path(settings.BACKUP_DIR),
        days=settings.BACKUP_RETENTION_DAYS if days is None else days,
    )
