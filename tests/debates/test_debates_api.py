"""Debates and attachments: AUTHZ-4 (others' objects are 404), INPUT-1 (server-chosen names,
types from the bytes, size capped while streaming)."""

from __future__ import annotations

import io
import os

import pytest

from audit.models import AuditEvent
from debates.models import Attachment
from debates.uploads import storage_dir
from tests.factories import UserFactory
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def owner_api(user):  # type: ignore[no-untyped-def]
    api = Api()
    api.as_user(user.email)
    return api


def new_debate(api: Api) -> int:
    return api.post("/api/v1/debates", {"title": "Topic", "body": "Text"}).json()["id"]  # type: ignore[no-any-return]


def upload(api: Api, debate: int, content: bytes, name: str):  # type: ignore[no-untyped-def]
    data = io.BytesIO(content)
    data.name = name
    return api.client.post(
        f"/api/v1/debates/{debate}/attachments",
        {"file": data},
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def test_another_users_debate_and_attachment_are_404(owner_api):
    debate = new_debate(owner_api)
    attachment = upload(owner_api, debate, PNG, "a.png").json()["id"]
    stranger = Api()
    stranger.as_user(UserFactory().email)
    for path in (f"/api/v1/debates/{debate}", f"/api/v1/debates/{debate}/attachments/{attachment}"):
        response = stranger.get(path)
        assert response.status_code == 404 and error_code(response) == "not_found"
    assert upload(stranger, debate, PNG, "b.png").status_code == 404
    assert stranger.get("/api/v1/debates").json()["results"] == []


def test_moderators_read_others_debates_and_it_is_audited(owner_api):
    debate = new_debate(owner_api)
    moderator = UserFactory(roles=["moderator"])
    api = Api()
    api.as_user(moderator.email)
    assert api.get(f"/api/v1/debates/{debate}").status_code == 200
    event = AuditEvent.objects.get(event_type="data.accessed")
    assert event.actor == moderator and event.data == {"resource": "debate", "action": "read"}


def test_script_in_a_title_is_returned_as_data(owner_api):
    title = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    created = owner_api.post("/api/v1/debates", {"title": title, "body": "b"})
    assert created["Content-Type"] == "application/json"
    assert owner_api.get(f"/api/v1/debates/{created.json()['id']}").json()["title"] == title


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.png",
        "..%2f..%2fx.png",
        "a\x00.png",
        "/etc/shadow.png",
        "C:\\Windows\\system32\\x.png",
        "....//....//y.png",
    ],
)
def test_hostile_filenames_are_stored_under_server_names(owner_api, name):
    debate = new_debate(owner_api)
    response = upload(owner_api, debate, PNG, name)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert "/" not in attachment.filename and "\\" not in attachment.filename
    assert "\x00" not in attachment.filename
    stored = storage_dir() / attachment.stored_name
    assert stored.is_file() and stored.resolve().parent == storage_dir().resolve()
    download = owner_api.get(f"/api/v1/debates/{debate}/attachments/{attachment.pk}")
    disposition = download["Content-Disposition"]
    assert disposition == f'attachment; filename="{attachment.stored_name}"'
    assert ".." not in disposition and "etc" not in disposition


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (PNG, "photo.pdf"),  # a PNG renamed .pdf
        (b"<html><script>alert(1)</script></html>", "notes.txt"),  # HTML renamed .txt
        (b"hello <script>alert(1)</script>", "notes.md"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "tool.txt"),  # an executable
        (b"MZ\x90\x00" + b"\x00" * 64, "setup.png"),
        (PNG, "noextension"),
    ],
)
def test_files_whose_bytes_do_not_match_are_refused(owner_api, content, name):
    debate = new_debate(owner_api)
    response = upload(owner_api, debate, content, name)
    assert response.status_code == 400 and error_code(response) == "validation_error"
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PNG, "picture.png", "image/png"),
        (b"%PDF-1.7\n" + b"x" * 500, "doc.pdf", "application/pdf"),
        (b"\xff\xd8\xff\xe0" + b"y" * 500, "p.jpeg", "image/jpeg"),
        ("Plain notes, ünïcode too.\n".encode(), "notes.txt", "text/plain; charset=utf-8"),
        (b"# Title\n\n- item\n", "readme.md", "text/markdown; charset=utf-8"),
    ],
)
def test_allowed_files_round_trip_byte_identical(owner_api, content, name, content_type):
    debate = new_debate(owner_api)
    response = upload(owner_api, debate, content, name)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["size"] == len(content) and body["content_type"] == content_type
    download = owner_api.get(f"/api/v1/debates/{debate}/attachments/{body['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(
        event_type="data.accessed", data__resource="attachment"
    ).exists()


def test_one_byte_over_the_cap_is_413_and_nothing_is_stored(owner_api, settings):
    settings.UPLOAD_MAX_BYTES = 4096
    debate = new_debate(owner_api)
    before = set(os.listdir(storage_dir()))
    assert upload(owner_api, debate, PNG[:8] + b"0" * (4096 - 8), "ok.png").status_code == 201
    response = upload(owner_api, debate, PNG[:8] + b"0" * (4097 - 8), "big.png")
    assert response.status_code == 413 and error_code(response) == "payload_too_large"
    assert Attachment.objects.count() == 1
    assert len(set(os.listdir(storage_dir())) - before) == 1
