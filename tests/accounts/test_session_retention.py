"""PRIV-5: session records (and their refresh tokens) are deleted 30 days
(``ARAGORA_SESSION_RETENTION_DAYS``) after the session ended or expired; a registered retention
job (``manage.py purge_retention``) and a daily beat task."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from accounts.models import RefreshToken, UserSession
from accounts.services.retention import purge_ended_sessions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def session(user, *, ended_days_ago=None, expired_days_ago=None):  # type: ignore[no-untyped-def]
    now = timezone.now()
    expires = (
        now - timedelta(days=expired_days_ago) if expired_days_ago else now + timedelta(days=1)
    )
    row = UserSession.objects.create(
        user=user,
        kind="api",
        created_at=expires - timedelta(days=1),
        last_activity_at=expires - timedelta(days=1),
        expires_at=expires,
        ended_at=now - timedelta(days=ended_days_ago) if ended_days_ago is not None else None,
    )
    RefreshToken.objects.create(session=row, token_hash=row.pk.hex * 2, expires_at=expires)
    return row


def test_sessions_go_30_days_after_they_ended_or_expired_and_not_before(user):
    gone = [
        session(user, ended_days_ago=31, expired_days_ago=None),
        session(user, expired_days_ago=31),
        session(user, ended_days_ago=40, expired_days_ago=45),
        # marked ended 2 days ago, but it had expired 31 days ago: it ended at the earlier
        session(user, ended_days_ago=2, expired_days_ago=31),
    ]
    kept = [
        session(user),  # active
        session(user, ended_days_ago=29),
        session(user, expired_days_ago=29),
    ]
    assert purge_ended_sessions() == len(gone)
    left = set(UserSession.objects.values_list("pk", flat=True))
    assert left == {s.pk for s in kept}
    assert set(RefreshToken.objects.values_list("session_id", flat=True)) == left


def test_the_retention_is_a_setting(user, settings):
    settings.SESSION_RETENTION_DAYS = 60
    old = session(user, ended_days_ago=31)
    assert purge_ended_sessions() == 0
    settings.SESSION_RETENTION_DAYS = 30
    assert purge_ended_sessions() == 1
    assert not UserSession.objects.filter(pk=old.pk).exists()


def test_batches_delete_everything_past_retention(user):
    for _ in range(5):
        session(user, ended_days_ago=31)
    session(user)
    assert purge_ended_sessions(batch_size=2) == 5
    assert UserSession.objects.count() == 1


def test_expired_browser_session_rows_go_too():
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=timezone.now() - timedelta(seconds=1)
    )
    Session.objects.create(
        session_key="y" * 32, session_data="", expire_date=timezone.now() + timedelta(days=1)
    )
    purge_ended_sessions()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["y" * 32]


def test_purge_retention_and_the_daily_beat_task_run_it():
    from accounts.tasks import purge_ended_sessions as task

    user = UserFactory()
    session(user, ended_days_ago=31)
    out = io.StringIO()
    call_command("purge_retention", stdout=out)
    assert "accounts.sessions: 1 removed" in out.getvalue()
    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-ended-sessions"]
    assert schedule["task"] == task.name and schedule["schedule"] == 86400.0
    session(user, expired_days_ago=31)
    assert task.apply().get() == 1
