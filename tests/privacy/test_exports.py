"""PRIV-3: a data export through the API (API.md "Privacy"): the archive holds everything of
the user's and nothing of anyone else's, downloadable by its owner only (404 for everyone and
everything else), until expiry; one in flight per user; its own rate policy; no secret inside;
token scopes (AUTHZ-2); audited (AUDIT-1); a failed build fails cleanly."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services.api_tokens import create_token
from audit.models import AuditEvent
from debates.models import Attachment, Debate
from privacy import exports, registry, storage
from privacy.models import DataExport, ExportStatus
from tests.factories import UserFactory
from tests.helpers import Api, error_code
from tests.privacy.test_registry import _user_with_everything

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/exports"


@pytest.fixture(autouse=True)
def _own_export_dir(tmp_path, settings):  # type: ignore[no-untyped-def]
    """Each test sees only the archives it made (their rows roll back, files would not)."""
    settings.EXPORT_DIR = str(tmp_path / "exports")


def signed_in(user) -> Api:  # type: ignore[no-untyped-def]
    api = Api(REMOTE_ADDR="203.0.113.30")
    api.as_user(user.email)
    return api


def request_built(api: Api, capture) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """POST an export; the build runs when the request commits (eager tasks). Returns the
    export's status body once the build has run."""
    with capture(execute=True):
        response = api.post(URL)
    assert response.status_code == 202, response.content
    assert set(response.json()) == {"id", "status"}
    status = api.get(f"{URL}/{response.json()['id']}")
    return status.json()  # type: ignore[no-any-return]


def download(api: Api, export_id: str) -> zipfile.ZipFile:
    response = api.get(f"{URL}/{export_id}/download")
    assert response.status_code == 200, response.content
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def with_debates(user, tmp_path: Path, tag: str) -> list[bytes]:  # type: ignore[no-untyped-def]
    """Two debates with an attachment each (files in the upload dir); the files' bytes."""
    contents = []
    for n in range(2):
        debate = Debate.objects.create(owner=user, title=f"{tag} {n}", body=f"{tag} body {n}")
        data = f"{tag} attachment {n}".encode() * 100
        name = f"{tag}{n}".encode().hex() + ".txt"
        (tmp_path / name).write_bytes(data)
        Attachment.objects.create(
            debate=debate, stored_name=name, filename=f"{tag}.txt", content_type="text/plain",
            size=len(data),
        )  # fmt: skip
        contents.append(data)
    return contents


def test_the_archive_holds_all_of_the_users_data_and_nothing_of_anyone_elses(
    django_capture_on_commit_callbacks, tmp_path, settings
):
    settings.UPLOAD_DIR = str(tmp_path)
    user, other = UserFactory(), UserFactory()
    mine = with_debates(user, tmp_path, "mine")
    theirs = with_debates(other, tmp_path, "theirs")
    api = signed_in(user)
    Api(REMOTE_ADDR="203.0.113.31").as_user(other.email)  # an event about the other user

    created = request_built(api, django_capture_on_commit_callbacks)
    status = api.get(f"{URL}/{created['id']}").json()
    assert status["status"] == "ready" and status["id"] == created["id"]
    assert status["size"] == DataExport.objects.get(pk=created["id"]).size
    assert status["download_url"].endswith(f"{URL}/{created['id']}/download")
    expires = timezone.datetime.fromisoformat(status["expires_at"])
    assert timedelta(days=6, hours=23) < expires - timezone.now() <= timedelta(days=7)

    archive = download(api, created["id"])
    names = set(archive.namelist())
    kinds = {f"{p.kind}.json" for p in registry.providers()}
    attachments = {
        f"attachments/{a.stored_name}" for a in Attachment.objects.filter(debate__owner=user)
    }
    assert names == kinds | attachments | {"manifest.json"}
    assert sorted(archive.read(n) for n in attachments) == sorted(mine)
    debates = json.loads(archive.read("debates.json"))["debates"]
    assert [d["title"] for d in debates] == ["mine 0", "mine 1"]
    assert json.loads(archive.read("profile.json"))["email"] == user.email
    events = json.loads(archive.read("audit_events.json"))["events"]
    assert {"accounts.login.succeeded", "privacy.export.requested"} <= {e["type"] for e in events}
    everything = b"".join(archive.read(n) for n in names)
    assert b"theirs" not in everything and other.email.encode() not in everything
    assert not any(data in everything for data in theirs)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["export_id"] == created["id"] and manifest["attachments"] == 2


def test_another_user_gets_404_on_status_and_download_like_an_unknown_id(
    django_capture_on_commit_callbacks,
):
    owner, stranger = UserFactory(), UserFactory()
    created = request_built(signed_in(owner), django_capture_on_commit_callbacks)
    api = signed_in(stranger)
    unknown = "00000000-0000-0000-0000-000000000000"
    for export_id in (created["id"], unknown):
        for path in (f"{URL}/{export_id}", f"{URL}/{export_id}/download"):
            response = api.get(path)
            assert response.status_code == 404, path
            assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}
    assert not AuditEvent.objects.filter(event_type="privacy.export.downloaded").exists()


@pytest.mark.parametrize(
    "bad", ["nope", "1", "..%2F..%2Fetc%2Fpasswd", "0" * 500, "%00", "{}", "' OR 1=1 --"]
)
def test_malformed_ids_are_404_never_500(user, bad):
    api = signed_in(user)
    for path in (f"{URL}/{bad}", f"{URL}/{bad}/download"):
        response = api.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert error_code(response) == "not_found"


def test_the_download_is_an_attachment_never_cached_and_audited(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    api = signed_in(user)
    created = request_built(api, django_capture_on_commit_callbacks)
    response = api.get(f"{URL}/{created['id']}/download")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "aragora-export-" in response["Content-Disposition"]
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    b"".join(response.streaming_content)
    kinds = ["privacy.export.requested", "privacy.export.ready", "privacy.export.downloaded"]
    events = AuditEvent.objects.filter(event_type__in=kinds).order_by("seq")
    assert [e.event_type for e in events] == kinds
    assert all(e.target_id == str(user.pk) for e in events)
    assert all(e.data["export_id"] == created["id"] for e in events)
    assert set(events[1].data) == {"export_id", "size"}
    assert events[0].actor_id == events[2].actor_id == user.pk
    assert events[2].ip == "203.0.113.30"


def test_the_file_is_private_and_its_name_is_not_the_id(django_capture_on_commit_callbacks):
    user = UserFactory()
    Path(storage.export_dir()).chmod(0o755)  # made too open by someone else: made private
    created = request_built(signed_in(user), django_capture_on_commit_callbacks)
    export = DataExport.objects.get(pk=created["id"])
    path = storage.path_of(export.file_name)
    assert path.parent == Path(storage.export_dir())
    assert created["id"].replace("-", "") not in export.file_name and len(export.file_name) == 68
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert export.size == path.stat().st_size
    assert [p.name for p in path.parent.iterdir()] == [export.file_name]  # no partial file left


def test_after_expiry_the_download_is_404_and_the_retention_job_deletes_the_file(
    django_capture_on_commit_callbacks,
):
    from django.core.management import call_command

    user = UserFactory()
    api = signed_in(user)
    created = request_built(api, django_capture_on_commit_callbacks)
    export = DataExport.objects.get(pk=created["id"])
    path = storage.path_of(export.file_name)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    # Past expires_at: refused at once, before the job has run.
    assert api.get(f"{URL}/{export.pk}/download").status_code == 404
    assert api.get(f"{URL}/{export.pk}").json()["status"] == "expired"
    assert path.exists()
    out = io.StringIO()
    call_command("purge_retention", stdout=out)
    assert "privacy.exports: 1 removed" in out.getvalue()
    assert DataExport.objects.get(pk=export.pk).status == ExportStatus.EXPIRED
    assert not path.exists()
    body = api.get(f"{URL}/{export.pk}").json()
    assert body["status"] == "expired" and body["download_url"] is None
    assert api.get(f"{URL}/{export.pk}/download").status_code == 404


def test_a_second_request_while_one_is_in_flight_is_409_with_its_id(user):
    api = signed_in(user)
    first = api.post(URL)  # its build waits for a commit that never comes in this test
    assert first.status_code == 202 and first.json()["status"] == "pending"
    second = api.post(URL)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "export_in_progress"
    assert second.json()["error"]["details"] == {"id": first.json()["id"]}
    assert DataExport.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.filter(event_type="privacy.export.requested").count() == 1


def test_the_database_refuses_two_exports_in_flight_for_one_user(user):
    DataExport.objects.create(user=user, file_name=storage.new_name())
    with pytest.raises(IntegrityError), transaction.atomic():
        DataExport.objects.create(
            user=user, file_name=storage.new_name(), status=ExportStatus.RUNNING
        )
    for done in (ExportStatus.READY, ExportStatus.FAILED, ExportStatus.EXPIRED):
        DataExport.objects.create(user=user, file_name=storage.new_name(), status=done)
    DataExport.objects.create(user=UserFactory(), file_name=storage.new_name())


def test_a_new_export_may_be_requested_once_the_last_one_finished(
    django_capture_on_commit_callbacks, user
):
    api = signed_in(user)
    first = request_built(api, django_capture_on_commit_callbacks)
    second = request_built(api, django_capture_on_commit_callbacks)
    assert first["id"] != second["id"] and second["status"] == "ready"


def test_export_requests_have_their_own_rate_policy_with_headers(user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "2/h"}
    api = signed_in(user)
    responses = []
    for _ in range(3):
        responses.append(api.post(URL))
        DataExport.objects.filter(user=user).update(status=ExportStatus.FAILED)
    assert [r.status_code for r in responses] == [202, 202, 429]
    assert [r["X-RateLimit-Limit"] for r in responses] == ["2", "2", "2"]
    assert responses[1]["X-RateLimit-Remaining"] == "0"
    assert error_code(responses[2]) == "rate_limited" and int(responses[2]["Retry-After"]) >= 1
    assert DataExport.objects.filter(user=user).count() == 2
    assert api.get(f"{URL}/{responses[0].json()['id']}").status_code == 200  # default policy


def test_no_secret_of_the_user_is_anywhere_in_the_archive(
    django_capture_on_commit_callbacks, tmp_path, settings
):
    """PRIV-3: no password hash, token secret or hash, TOTP key, backup code or its hash,
    session key; every byte of every member scanned."""
    user, secrets = _user_with_everything(tmp_path, settings)  # with MFA: the task directly
    export = exports.request_export(user=user)
    assert exports.build_export(export_id=str(export.pk)) == ExportStatus.READY
    export.refresh_from_db()
    archive = zipfile.ZipFile(storage.path_of(export.file_name))
    text = b"".join(archive.read(n) for n in archive.namelist()).decode("utf-8", "replace")
    secrets.append(base64.b32encode(bytes.fromhex(secrets[0])).decode().rstrip("="))  # TOTP
    assert [s for s in secrets if s and s in text] == []
    assert user.email in text and "My words" in text  # the scan is not of an empty archive


def test_a_failed_build_is_failed_leaves_no_file_and_no_500(
    django_capture_on_commit_callbacks, user, monkeypatch, caplog
):
    def broken(u):  # type: ignore[no-untyped-def]
        def records():  # type: ignore[no-untyped-def]
            yield {"type": "first"}
            raise RuntimeError(f"secret detail of {u.email}")

        return {"events": records()}

    provider = registry.provider("audit_events")
    monkeypatch.setitem(registry._providers, "audit_events", provider.__class__(
        **{**provider.__dict__, "export": broken}
    ))  # fmt: skip
    api = signed_in(user)
    created = request_built(api, django_capture_on_commit_callbacks)
    assert created["status"] == "failed"
    assert api.get(f"{URL}/{created['id']}").json()["status"] == "failed"
    assert api.get(f"{URL}/{created['id']}/download").status_code == 404
    assert list(storage.export_dir().iterdir()) == []
    assert "RuntimeError" in caplog.text and user.email not in caplog.text
    assert not AuditEvent.objects.filter(event_type="privacy.export.ready").exists()
    assert request_built(api, django_capture_on_commit_callbacks)["status"] == "failed"


def test_a_lost_broker_fails_the_export_at_once(
    django_capture_on_commit_callbacks, user, monkeypatch
):
    from privacy import tasks

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.build_export, "delay", down)
    created = request_built(signed_in(user), django_capture_on_commit_callbacks)
    assert DataExport.objects.get(pk=created["id"]).status == ExportStatus.FAILED


def test_the_build_is_idempotent(django_capture_on_commit_callbacks, user):
    created = request_built(signed_in(user), django_capture_on_commit_callbacks)
    assert exports.build_export(export_id=created["id"]) is None  # a redelivered task
    assert DataExport.objects.get(pk=created["id"]).status == ExportStatus.READY
    assert AuditEvent.objects.filter(event_type="privacy.export.ready").count() == 1


def test_exports_stuck_in_flight_are_failed_and_stray_files_removed(user, settings):
    old = timezone.now() - timedelta(seconds=settings.EXPORT_MAX_BUILD_SECONDS + 1)
    stuck = DataExport.objects.create(
        user=user, file_name=storage.new_name(), status=ExportStatus.RUNNING, created_at=old
    )
    part = storage.part_of(stuck.file_name)
    part.write_bytes(b"half")
    stray = storage.path_of(storage.new_name())
    stray.write_bytes(b"nobody's")
    fresh_stray = storage.path_of(storage.new_name())
    fresh_stray.write_bytes(b"being written right now")
    unrelated = storage.export_dir() / "notes.txt"
    unrelated.write_bytes(b"not ours")
    past = old.timestamp()
    os.utime(stray, (past, past))
    os.utime(unrelated, (past, past))

    assert exports.purge_expired_exports() == 1
    stuck.refresh_from_db()
    assert stuck.status == ExportStatus.FAILED and stuck.finished_at is not None
    assert not part.exists() and not stray.exists()
    assert fresh_stray.exists() and unrelated.exists()  # too new to judge; not a name of ours
    assert signed_in(user).post(URL).status_code == 202  # the user may ask again


def test_a_build_that_finds_its_export_failed_meanwhile_keeps_nothing(user):
    export = exports.request_export(user=user)
    original = exports._finish

    def failed_meanwhile(e, size):  # type: ignore[no-untyped-def]
        DataExport.objects.filter(pk=e.pk).update(status=ExportStatus.FAILED)
        return original(e, size)

    exports._finish = failed_meanwhile  # type: ignore[assignment]
    try:
        assert exports.build_export(export_id=str(export.pk)) is None
    finally:
        exports._finish = original  # type: ignore[assignment]
    assert list(storage.export_dir().iterdir()) == []


@pytest.mark.parametrize(
    ("scopes", "post", "get"),
    [
        (["privacy:write"], 202, 403),
        (["privacy:read"], 403, 200),
        (["debates:read"], 403, 403),
    ],
)
def test_api_tokens_need_the_privacy_scopes(django_capture_on_commit_callbacks, scopes, post, get):
    """AUTHZ-2: ``privacy:write`` requests an export, ``privacy:read`` reads and downloads."""
    user = UserFactory()
    built = request_built(signed_in(user), django_capture_on_commit_callbacks)
    token = create_token(user=user, name="t", scopes=scopes, expires_in_days=1, client=None)
    api = Api(token.secret)
    assert api.get(f"{URL}/{built['id']}").status_code == get
    assert api.get(f"{URL}/{built['id']}/download").status_code == get
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(URL).status_code == post


def test_anonymous_callers_are_401(user):
    export = exports.request_export(user=user)
    anonymous = Api()
    assert anonymous.post(URL).status_code == 401
    assert anonymous.get(f"{URL}/{export.pk}").status_code == 401
    assert anonymous.get(f"{URL}/{export.pk}/download").status_code == 401


def test_erasing_privacy_data_removes_the_exports_and_their_files(
    django_capture_on_commit_callbacks, user
):
    """PRIV-4 contract for the exports: rows and archives of that user go (the files once the
    erasure commits: tests/privacy/test_redteam_erasure_files.py)."""
    created = request_built(signed_in(user), django_capture_on_commit_callbacks)
    kept = exports.request_export(user=UserFactory())
    path = storage.path_of(DataExport.objects.get(pk=created["id"]).file_name)
    with django_capture_on_commit_callbacks(execute=True):
        registry.provider("privacy").erase(user)
    assert not DataExport.objects.filter(user=user).exists() and not path.exists()
    assert DataExport.objects.filter(pk=kept.pk).exists()


def test_the_hourly_beat_task_expires_archives_like_the_command(
    django_capture_on_commit_callbacks, user
):
    from django.conf import settings as django_settings

    from privacy.tasks import purge_expired_exports

    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-expired-exports"]
    assert schedule["task"] == purge_expired_exports.name and schedule["schedule"] == 3600.0
    created = request_built(signed_in(user), django_capture_on_commit_callbacks)
    assert purge_expired_exports.apply().get() == 0  # not yet
    DataExport.objects.update(expires_at=timezone.now())
    assert purge_expired_exports.apply().get() == 1
    assert DataExport.objects.get(pk=created["id"]).status == ExportStatus.EXPIRED
    assert list(storage.export_dir().iterdir()) == []
