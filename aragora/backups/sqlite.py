"""SQLite (and SQLCipher) backups through SQLite's online backup API (OPS-3, ENC-1).

The backup API copies a consistent snapshot while the application keeps running. On SQLCipher
both ends are keyed with the database's key, so the copy is encrypted like the original.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from aragora.backups.files import BackupError
from aragora.sqlcipher import base as sqlcipher

EXTENSION = "sqlite3"


def _open(wrapper: BaseDatabaseWrapper, database: str, *, uri: bool = False) -> Any:
    options = wrapper.settings_dict.get("OPTIONS", {})
    if isinstance(wrapper, sqlcipher.DatabaseWrapper):
        return sqlcipher.connect(database, options.get("key", ""), uri=uri)
    conn = sqlite3.connect(database, uri=uri)
    conn.execute("SELECT count(*) FROM sqlite_master")
    return conn


def dump(wrapper: BaseDatabaseWrapper, target: Path) -> None:
    """Copy the live database into ``target`` (an empty file) as one self-contained file."""
    wrapper.ensure_connection()
    destination = _open(wrapper, str(target))
    try:
        wrapper.connection.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")  # the copy needs no -wal file
    finally:
        destination.close()


def check(wrapper: BaseDatabaseWrapper, path: Path) -> None:
    """Refuse a file that is not an intact Aragora database (for SQLCipher: under our key)."""
    try:
        source = _open(wrapper, f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            result = source.execute("PRAGMA integrity_check").fetchone()
            tables = source.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'django_migrations'"
            ).fetchone()
        finally:
            source.close()
    except (sqlite3.DatabaseError, sqlcipher.dbapi2.DatabaseError, sqlcipher.WrongSQLiteKey):
        raise BackupError(_unreadable(path, wrapper)) from None
    if result != ("ok",) or tables != (1,):
        raise BackupError(f"{path} is damaged or not a backup of this application.")


def _unreadable(path: Path, wrapper: BaseDatabaseWrapper) -> str:
    encrypted = isinstance(wrapper, sqlcipher.DatabaseWrapper)
    key = " under ARAGORA_SQLITE_KEY" if encrypted else ""
    return f"{path} is not a readable SQLite database{key}: damaged, or not a backup of ours."


def load(wrapper: BaseDatabaseWrapper, path: Path) -> None:
    """Replace the live database's content with the backup at ``path`` (checked first)."""
    check(wrapper, path)
    connections.close_all()
    source = _open(wrapper, f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        destination = _open(wrapper, str(wrapper.settings_dict["NAME"]))
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
