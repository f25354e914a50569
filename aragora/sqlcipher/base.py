"""The SQLCipher database backend (ENC-1): Django's SQLite backend on ``sqlcipher3``.

``settings.py`` selects it when ``ARAGORA_SQLITE_KEY`` (or ``ARAGORA_SQLITE_ENCRYPTION=1``) is
set; the key comes in ``OPTIONS["key"]``. Every new connection runs ``PRAGMA key`` before any
other statement, then reads the schema once: a wrong key (or a file that is not encrypted) fails
there with ``WrongSQLiteKey``, whose text names the variable and the file, never the key. The key
never reaches a query log: it is sent on the raw connection, not through Django's cursors.

A key of 64 hex digits is a raw 256-bit key (``x'..'``, no key derivation: cheap per
connection); anything else is a passphrase, quoted as an SQL string literal, that SQLCipher
stretches with PBKDF2 on every new connection (Django opens one per request on SQLite).
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Mapping
from itertools import tee
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.sqlite3 import base as sqlite_base
from django.db.backends.sqlite3._functions import (  # type: ignore[import-untyped]  # no stubs
    register as register_functions,
)
from django.utils.asyncio import async_unsafe
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from sqlcipher3 import dbapi2

RAW_KEY = re.compile(r"[0-9a-fA-F]{64}")

# The converters and adapters Django registers on the standard library's sqlite3, registered on
# sqlcipher3's module too (each binding keeps its own tables).
dbapi2.register_converter("bool", b"1".__eq__)
dbapi2.register_converter("date", sqlite_base.decoder(parse_date))
dbapi2.register_converter("time", sqlite_base.decoder(parse_time))
dbapi2.register_converter("datetime", sqlite_base.decoder(parse_datetime))
dbapi2.register_converter("timestamp", sqlite_base.decoder(parse_datetime))
dbapi2.register_adapter(decimal.Decimal, str)
dbapi2.register_adapter(datetime.date, sqlite_base.adapt_date)
dbapi2.register_adapter(datetime.datetime, sqlite_base.adapt_datetime)


class WrongSQLiteKey(ImproperlyConfigured):
    """The key does not open the database file (or no key was given)."""


def key_statement(key: str) -> str:
    """``PRAGMA key`` for ``key``: PRAGMA takes no bound parameters, so the value is a raw hex
    blob (checked to be only hex digits) or an SQL string literal with its quotes doubled."""
    if RAW_KEY.fullmatch(key):
        return f"PRAGMA key = \"x'{key}'\""
    return "PRAGMA key = '" + key.replace("'", "''") + "'"


def connect(database: str, key: str, **params: Any) -> dbapi2.Connection:
    """Open ``database`` with ``key``; raise ``WrongSQLiteKey`` if the key does not open it."""
    if not key:
        raise WrongSQLiteKey(
            "ARAGORA_SQLITE_ENCRYPTION is on but ARAGORA_SQLITE_KEY is empty: set the key."
        )
    conn = dbapi2.connect(database, **params)
    try:
        conn.execute(key_statement(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except dbapi2.DatabaseError:
        conn.close()
        raise WrongSQLiteKey(
            f"ARAGORA_SQLITE_KEY does not open the SQLite database {database}: wrong key, or "
            "a file that is not encrypted with SQLCipher (README: Encryption at rest)."
        ) from None
    return conn


def probe(settings_dict: Mapping[str, Any]) -> None:
    """Open and close the configured database file, if it exists (for the start-up check)."""
    name = str(settings_dict["NAME"])
    if Path(name).is_file():
        connect(name, settings_dict.get("OPTIONS", {}).get("key", "")).close()


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    display_name = "SQLCipher"
    Database = dbapi2  # Django maps this module's exceptions onto django.db's

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params.pop("key", None)  # read from settings_dict at connect time, never kept here
        return params

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> dbapi2.Connection:
        params = dict(conn_params)
        conn = connect(
            params.pop("database"), self.settings_dict["OPTIONS"].get("key", ""), **params
        )
        # What Django's SQLite backend does after connecting.
        register_functions(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA legacy_alter_table = OFF")
        for init_command in self.init_commands:  # type: ignore[attr-defined]  # set by the parent
            if init_command := init_command.strip():
                conn.execute(init_command)
        return conn

    def create_cursor(self, name: str | None = None) -> SQLCipherCursorWrapper:
        return self.connection.cursor(factory=SQLCipherCursorWrapper)


class SQLCipherCursorWrapper(dbapi2.Cursor):
    """Django's ``SQLiteCursorWrapper`` (format and pyformat parameters) for sqlcipher3's cursor
    type: a cursor factory must subclass the binding's own ``Cursor``."""

    convert_query = sqlite_base.SQLiteCursorWrapper.convert_query

    def execute(self, query: str, params: Any = None) -> Any:
        if params is None:
            return super().execute(query)
        param_names = list(params) if isinstance(params, Mapping) else None
        return super().execute(self.convert_query(query, param_names=param_names), params)

    def executemany(self, query: str, param_list: Any) -> Any:
        peekable, param_list = tee(iter(param_list))
        params = next(peekable, None)
        param_names = list(params) if params and isinstance(params, Mapping) else None
        return super().executemany(self.convert_query(query, param_names=param_names), param_list)
