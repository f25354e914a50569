"""OPS-3: `manage.py backup` and `manage.py restore` round trips (SQLite, SQLCipher, and
PostgreSQL in the service pass, each on a database of the test's own), refusals of missing or
damaged backups that change nothing, the confirmation, atomic 0600 files, and the retention."""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import audit
from accounts.models import User
from aragora import backups
from aragora.backups import files, postgres
from audit.events import EventType
from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.ops import manage, ok, shell

BEFORE = """
import json, audit
from accounts.models import User
from audit.events import EventType
alice = User.objects.create_user(email="alice@example.com", password="Backup-Test-Pass-1")
User.objects.create_user(email="carol@example.com", password="Backup-Test-Pass-1")
for _ in range(3):
    audit.record(EventType.PASSWORD_CHANGED, actor=alice, target=alice)
"""
CHANGE = """
import json, audit
from accounts.models import User
from audit.events import EventType
User.objects.filter(email="alice@example.com").update(email="renamed@example.com")
User.objects.filter(email="carol@example.com").delete()
bob = User.objects.create_user(email="bob@example.com", password="Backup-Test-Pass-1")
audit.record(EventType.PASSWORD_CHANGED, actor=bob, target=bob)
"""
STATE = """
import json
from accounts.models import User
from audit.models import AuditEvent
print(json.dumps({
    "users": sorted(User.objects.values_list("email", flat=True)),
    "events": AuditEvent.objects.count(),
}))
"""
VERIFY = """
import io
from django.core.management import call_command
out = io.StringIO()
call_command("verify_audit", stdout=out)
print(json.dumps(out.getvalue().splitlines()[0]))
"""
BACKUP_FILE = re.compile(r"aragora-\d{8}T\d{6}Z\.(sqlite3|pgdump)")
sqlite_only = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="restores into the test database: SQLite only (PostgreSQL: a scratch database)",
)


def round_trip(tmp_path: Path, **env: str) -> Path:
    """In processes of their own, as an operator: create data, back up, change and delete data,
    restore: the data is back and the audit trail verifies. Returns the backup."""
    env = {"ARAGORA_BACKUP_DIR": str(tmp_path / "backups"), **env}
    ok("migrate", "--noinput", **env)
    saved = shell(BEFORE + STATE, **env)
    assert saved["events"] >= 3 and "carol@example.com" in saved["users"]

    backup = Path(ok("backup", **env).strip().splitlines()[-1])
    assert backup.parent == tmp_path / "backups" and BACKUP_FILE.fullmatch(backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no temporary file left

    assert shell(CHANGE + STATE, **env) != saved
    restored = manage("restore", str(backup), "--noinput", **env)
    assert restored.returncode == 0, restored.stderr
    state, verification = shell_state_and_verification(**env)
    assert state == saved and verification.startswith("audit trail ok")
    return backup


def shell_state_and_verification(**env: str) -> tuple[dict[str, object], str]:
    lines = ok("shell", "-c", STATE + VERIFY, **env).strip().splitlines()
    return json.loads(lines[-2]), json.loads(lines[-1])


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_sqlite_round_trip(backup_dir, capsys):
    alice = UserFactory(email="alice@example.com")
    carol = UserFactory(email="carol@example.com")
    for _ in range(3):
        audit.record(EventType.PASSWORD_CHANGED, actor=alice, target=alice)
    saved = _state()

    call_command("backup")
    backup = Path(capsys.readouterr().out.strip())
    assert backup.parent == backup_dir and BACKUP_FILE.fullmatch(backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_dir.stat().st_mode) == 0o700
    assert [p.name for p in backup_dir.iterdir()] == [backup.name]  # no temporary file left

    User.objects.filter(pk=alice.pk).update(email="renamed@example.com")
    carol.delete()
    audit.record(EventType.PASSWORD_CHANGED, actor=alice, target=alice)
    assert _state() != saved

    call_command("restore", str(backup), "--noinput")
    assert _state() == saved
    call_command("verify_audit")
    assert "audit trail ok: 3 events checked" in capsys.readouterr().out


def _state() -> dict[str, object]:
    return {
        "users": sorted(User.objects.values_list("email", flat=True)),
        "events": list(AuditEvent.objects.order_by("id").values_list("id", "seal")),
    }


def test_sqlcipher_round_trip_keeps_the_backup_encrypted(tmp_path):
    """ENC-1: the backup of an encrypted database is encrypted with the same key."""
    key = secrets.token_hex(32)
    backup = round_trip(
        tmp_path, ARAGORA_SQLITE_PATH=str(tmp_path / "db.sqlite3"), ARAGORA_SQLITE_KEY=key
    )
    raw = backup.read_bytes()
    assert not raw.startswith(b"SQLite format 3\0")
    assert b"alice@example.com" not in raw and b"django_migrations" not in raw


# --- PostgreSQL (service pass): a scratch database of this test's own ---------------------------


@pytest.fixture
def scratch_database_url() -> Iterator[str]:
    """A new, empty database on the service pass's server, dropped afterwards: never the
    database the other tests use."""
    db = settings.DATABASES["default"]
    name = f"aragora_restore_{os.getpid()}_{secrets.token_hex(4)}"
    admin = psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
            yield f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TRIGGER = """
import json
from django.db import DatabaseError, transaction
from audit.models import AuditEvent
try:
    with transaction.atomic():
        AuditEvent.objects.update(event_type="edited")
    refused = False
except DatabaseError:
    refused = True
print(json.dumps(refused))
"""


@pytest.mark.services
def test_postgresql_round_trip_with_the_audit_trigger(tmp_path, scratch_database_url):
    """pg_restore --clean drops and recreates the append-only audit table: the restore works,
    the trail verifies, and the trigger refuses edits again afterwards (AUDIT-3)."""
    env = {"DATABASE_URL": scratch_database_url}
    backup = round_trip(tmp_path, **env)
    assert backup.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    assert shell(TRIGGER, **env) is True


@pytest.mark.services
def test_postgresql_damaged_archive_changes_nothing(tmp_path, scratch_database_url):
    env = {"DATABASE_URL": scratch_database_url, "ARAGORA_BACKUP_DIR": str(tmp_path)}
    ok("migrate", "--noinput", **env)
    shell(BEFORE + STATE, **env)
    backup = Path(ok("backup", **env).strip().splitlines()[-1])
    changed = shell(CHANGE + STATE, **env)
    data = backup.read_bytes()
    for damaged in (data[: len(data) // 2], b"not a backup at all"):
        backup.write_bytes(damaged)
        result = manage("restore", str(backup), "--noinput", **env)
        assert result.returncode != 0
        assert "restore refused, nothing changed" in result.stderr
        assert "Traceback" not in result.stderr
        assert shell(STATE, **env) == changed


def test_pg_client_tools_get_the_connection_through_the_environment():
    """PGPASSWORD and TLS settings go to pg_dump/pg_restore by environment, not argv."""

    class Wrapper:
        settings_dict = {
            "NAME": "aragora",
            "USER": "app",
            "PASSWORD": "s3cret-password",
            "HOST": "db.example.com",
            "PORT": "5433",
            "OPTIONS": {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"},
        }

    env = postgres.client_env(Wrapper())  # type: ignore[arg-type]
    assert env["PGPASSWORD"] == "s3cret-password" and env["PGHOST"] == "db.example.com"
    assert (env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == ("5433", "app", "aragora")
    assert (env["PGSSLMODE"], env["PGSSLROOTCERT"]) == ("verify-full", "/etc/ca.pem")


# --- Refusals, confirmation and atomic writes on the test database -------------------------------


@pytest.fixture
def backup_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.BACKUP_DIR = str(tmp_path / "backups")
    return tmp_path / "backups"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content", [None, b"", b"this is not a database", b"SQLite format 3\0" + b"\xff" * 200]
)
def test_a_missing_or_damaged_backup_is_refused_and_nothing_changes(tmp_path, content):
    user = UserFactory()
    path = tmp_path / "aragora-20260101T000000Z.sqlite3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), "--noinput")
    assert "restore refused, nothing changed" in str(refused.value)
    assert str(path) in str(refused.value)
    assert User.objects.filter(pk=user.pk).exists()


@sqlite_only
@pytest.mark.django_db
def test_a_sqlite_database_that_is_not_ours_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE t (x)")
    other.close()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), "--noinput")
    assert "not a backup of this application" in str(refused.value)


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_a_truncated_backup_is_refused(backup_dir):
    UserFactory()
    backup = backups.create_backup()
    backup.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    with pytest.raises(CommandError, match="restore refused, nothing changed"):
        call_command("restore", str(backup), "--noinput")


@sqlite_only
@pytest.mark.django_db(transaction=True)
def test_restore_asks_first_and_no_cancels(backup_dir, monkeypatch):
    user = UserFactory(email="before@example.com")
    backup = backups.create_backup()
    User.objects.filter(pk=user.pk).update(email="after@example.com")
    questions: list[str] = []

    def answer(reply: str):  # type: ignore[no-untyped-def]
        return lambda prompt: questions.append(prompt) or reply

    monkeypatch.setattr("builtins.input", answer("no"))
    with pytest.raises(CommandError, match="restore cancelled, nothing changed"):
        call_command("restore", str(backup))
    assert "everything written since that backup is lost" in questions[0]
    assert User.objects.get(pk=user.pk).email == "after@example.com"

    monkeypatch.setattr("builtins.input", answer("yes"))
    call_command("restore", str(backup))
    assert User.objects.get(pk=user.pk).email == "before@example.com"
    assert len(questions) == 2


@pytest.mark.django_db(transaction=True)
def test_a_failed_backup_leaves_no_file(backup_dir, monkeypatch):
    def fail(wrapper, target):  # type: ignore[no-untyped-def]
        target.write_bytes(b"half a backup")
        raise backups.BackupError("disk full")

    engine = "sqlite" if connection.vendor == "sqlite" else "postgres"
    monkeypatch.setattr(f"aragora.backups.{engine}.dump", fail)
    with pytest.raises(CommandError, match="backup failed, nothing written: disk full"):
        call_command("backup")
    assert list(backup_dir.iterdir()) == []


# --- Retention ------------------------------------------------------------------------------------

DAY = 86400


def _aged(path: Path, days: float, content: bytes = b"x") -> Path:
    path.write_bytes(content)
    past = time.time() - days * DAY
    os.utime(path, (past, past))
    return path


def test_retention_deletes_only_our_backups_older_than_the_limit(tmp_path):
    old = _aged(tmp_path / "aragora-20260101T000000Z.sqlite3", 15)
    old_pg = _aged(tmp_path / "aragora-20260101T000000Z-2.pgdump", 20)
    stale_temp = _aged(tmp_path / ".aragora-20260101T000000Z.pgdump.0123abcd.tmp", 15)
    recent = _aged(tmp_path / "aragora-20260110T000000Z.sqlite3", 13)
    others = [
        _aged(tmp_path / "notes.txt", 100),
        _aged(tmp_path / "aragora-manual-copy.sqlite3", 100),
        _aged(tmp_path / "db.sqlite3", 100),
    ]
    (tmp_path / "aragora-20250101T000000Z.sqlite3").mkdir()  # a folder with our name: not ours

    removed = files.prune(directory=tmp_path, days=14)

    assert sorted(removed) == sorted([old, old_pg, stale_temp])
    assert not old.exists() and not old_pg.exists() and not stale_temp.exists()
    assert recent.exists() and all(p.exists() for p in others)
    assert (tmp_path / "aragora-20250101T000000Z.sqlite3").is_dir()


@pytest.mark.django_db(transaction=True)
def test_the_backup_command_applies_the_retention(backup_dir, settings, capsys):
    settings.BACKUP_RETENTION_DAYS = 3
    backup_dir.mkdir(mode=0o700)
    expired = _aged(backup_dir / "aragora-20260101T000000Z.sqlite3", 3.1)
    kept = _aged(backup_dir / "aragora-20260102T000000Z.sqlite3", 2.9)
    call_command("backup")
    out, err = capsys.readouterr()
    new = Path(out.strip())
    assert new.is_file() and kept.exists() and not expired.exists()
    assert "deleted aragora-20260101T000000Z.sqlite3 (older than 3 days)" in err
