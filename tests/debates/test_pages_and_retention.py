"""Debate pages (escaped text, owner-only changes), moderation, retention (PRIV-5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from debates import services
from debates.models import Attachment, Debate
from debates.uploads import stored_path
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    return client


def test_pages_create_and_show_debates_escaped(user):
    client = browser(user)
    response = client.post("/debates/", {"title": XSS, "body": XSS})
    assert response.status_code == 302
    debate = Debate.objects.get()
    for page in (client.get("/debates/"), client.get(f"/debates/{debate.pk}/")):
        html = page.content.decode()
        assert XSS not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_other_users_debate_pages_are_404(user):
    debate = services.create_debate(owner=UserFactory(), title="t", body="b")
    client = browser(user)
    assert client.get(f"/debates/{debate.pk}/").status_code == 404
    assert client.post(f"/debates/{debate.pk}/", {"url": "http://example.com"}).status_code == 404


def test_viewers_read_but_cannot_create(user):
    viewer = UserFactory(roles=["viewer"])
    client = browser(viewer)
    assert client.get("/debates/").status_code == 200
    assert client.post("/debates/", {"title": "t", "body": "b"}).status_code == 403


def test_moderators_hide_debates_and_it_is_audited(user):
    debate = services.create_debate(owner=user, title="t", body="b")
    moderator = UserFactory(roles=["moderator"])
    api = Api()
    api.as_user(moderator.email)
    assert api.post(f"/api/v1/debates/{debate.pk}/hide", {"hidden": True}).status_code == 200
    debate.refresh_from_db()
    assert debate.hidden
    assert AuditEvent.objects.filter(
        event_type="debates.debate.moderated", actor=moderator
    ).exists()
    member = Api()
    member.as_user(user.email)
    assert member.post(f"/api/v1/debates/{debate.pk}/hide", {"hidden": False}).status_code == 403


def test_retention_purges_old_debates_and_their_files_in_batches(
    user, settings, django_capture_on_commit_callbacks
):
    old = services.create_debate(owner=user, title="old", body="b")
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = SimpleUploadedFile("old.pdf", b"%PDF-1.4 old file")
    attachment = services.attach(debate=old, upload=data, uploader=user)
    Debate.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    for n in range(5):
        extra = services.create_debate(owner=user, title=f"old{n}", body="b")
        Debate.objects.filter(pk=extra.pk).update(created_at=timezone.now() - timedelta(days=31))
    recent = services.create_debate(owner=user, title="new", body="b")
    assert services.purge_expired() == 0  # off by default: kept forever
    settings.DEBATE_RETENTION_DAYS = 30
    path = stored_path(attachment.stored_name)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):  # files go after each batch commits
        assert services.purge_expired(batch_size=2) == 6
    assert list(Debate.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Attachment.objects.exists() and not path.exists()


def test_the_retention_task_is_scheduled(settings):
    from debates.tasks import purge_expired_debates

    schedule = settings.CELERY_BEAT_SCHEDULE["purge-expired-debates"]
    assert schedule["task"] == purge_expired_debates.name
    assert purge_expired_debates.apply().get() == 0  # runs here, whatever the broker
