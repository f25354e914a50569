"""ENC-1: ARAGORA_SQLITE_KEY stores the embedded database with SQLCipher: the file holds no
readable text and no SQLite header; a wrong key, or the switch without a key, stops start-up
with a clear message that never contains the key."""

from __future__ import annotations

import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as PlainWrapper

from aragora.sqlcipher import base as sqlcipher
from tests.ops import manage, ok

NEEDLE = "needle-7f3c2a-the-known-plaintext"


def _wrapper(cls, path: Path, **options: str):  # type: ignore[no-untyped-def]
    settings_dict = {
        **connection.settings_dict,
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", **options},
    }
    return cls(settings_dict, alias="enc1")


def _write_needle(wrapper) -> None:  # type: ignore[no-untyped-def]
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE note (body text)")
        cursor.execute("INSERT INTO note (body) VALUES (%s)", [NEEDLE])
    wrapper.close()


def _write_needle_raw(path: Path, key: str) -> None:
    with closing(sqlcipher.connect(str(path), key)) as conn:
        conn.execute("CREATE TABLE note (body text)")
        conn.execute("INSERT INTO note (body) VALUES (?)", [NEEDLE])
        conn.commit()


def test_the_encrypted_file_holds_no_readable_text(tmp_path, django_db_blocker):
    key = secrets.token_hex(32)
    with django_db_blocker.unblock():
        # Control: the same write through Django's plain SQLite backend is readable on disk.
        _write_needle(_wrapper(PlainWrapper, tmp_path / "plain.sqlite3"))
        _write_needle(_wrapper(sqlcipher.DatabaseWrapper, tmp_path / "enc.sqlite3", key=key))
        reopened = _wrapper(sqlcipher.DatabaseWrapper, tmp_path / "enc.sqlite3", key=key)
        with reopened.cursor() as cursor:
            cursor.execute("SELECT body FROM note WHERE body = %s", [NEEDLE])
            assert cursor.fetchone() == (NEEDLE,)  # the right key reads it back
        reopened.close()

    plain = (tmp_path / "plain.sqlite3").read_bytes()
    encrypted = (tmp_path / "enc.sqlite3").read_bytes()
    assert NEEDLE.encode() in plain and plain.startswith(b"SQLite format 3\0")
    assert NEEDLE.encode() not in encrypted and b"CREATE TABLE" not in encrypted
    assert not encrypted.startswith(b"SQLite format 3")


@pytest.mark.parametrize(
    "key", ['correct horse battery staple, it\'s "quoted"; --', "0123456789ABCDEF" * 4]
)
def test_passphrases_are_quoted_and_raw_keys_are_used_as_keys(tmp_path, key):
    """A passphrase with quotes is one SQL string literal; a raw key opens only as itself."""
    path = str(tmp_path / "db.sqlite3")
    conn = sqlcipher.connect(path, key)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    sqlcipher.connect(path, key).close()
    for wrong in (key[:-1], key + "x", key[:-1] + ("0" if key[-1] != "0" else "1")):
        with pytest.raises(sqlcipher.WrongSQLiteKey) as refused:
            sqlcipher.connect(path, wrong)
        assert wrong not in str(refused.value) and key not in str(refused.value)


def test_a_wrong_key_stops_start_up_with_a_clear_message(tmp_path):
    key, wrong = secrets.token_hex(32), secrets.token_hex(32)
    env = {"ARAGORA_SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    _write_needle_raw(tmp_path / "db.sqlite3", key)
    assert "no issues" in ok("check", ARAGORA_SQLITE_KEY=key, **env)

    for command in (["check"], ["backup"]):
        result = manage(*command, ARAGORA_SQLITE_KEY=wrong, **env)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert "aragora.E051" in output
        assert "ARAGORA_SQLITE_KEY does not open the SQLite database" in output
        assert wrong not in output and key not in output


def test_a_key_on_an_unencrypted_database_stops_start_up(tmp_path):
    env = {"ARAGORA_SQLITE_PATH": str(tmp_path / "db.sqlite3")}
    with closing(sqlite3.connect(tmp_path / "db.sqlite3")) as plain:
        plain.execute("CREATE TABLE note (body text)")
    result = manage("check", ARAGORA_SQLITE_KEY=secrets.token_hex(32), **env)
    assert result.returncode != 0 and "aragora.E051" in result.stderr
    assert "not encrypted with SQLCipher" in result.stderr


def test_the_switch_without_a_key_stops_start_up(tmp_path):
    result = manage(
        "check", ARAGORA_SQLITE_ENCRYPTION="1", ARAGORA_SQLITE_PATH=str(tmp_path / "db.sqlite3")
    )
    assert result.returncode != 0 and "aragora.E050" in result.stderr
    assert not (tmp_path / "db.sqlite3").exists()  # nothing was written in the clear
