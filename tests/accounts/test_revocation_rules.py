"""AUTH-4, TEST-3 (#16): what ``revoke`` publishes to Redis once the caller commits (the key,
with a time to live matching the entry's expiry, never under a second), and a fresh memory
layer. The publication runs in an on-commit callback, which tests inside a rolled-back
transaction never run unless they capture and execute it, as here."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.utils import timezone
from django_redis import get_redis_connection

from accounts import revocation
from accounts.models import RevokedToken
from aragora import shared_state


def test_a_new_memory_layer_knows_nothing_and_needs_no_reload():
    memory = revocation._Memory()
    assert memory.revoked == {} and memory.valid == {}
    assert memory.needs_reload is False
    assert not memory.known_revoked(["sid:x"]) and not memory.recently_valid(["sid:x"])


@pytest.mark.django_db
def test_in_embedded_mode_revoke_writes_the_row_and_memory_only(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        revocation.revoke("sid:embedded", expires_at=timezone.now() + timedelta(minutes=5))
    assert RevokedToken.objects.filter(key="sid:embedded").exists()
    assert revocation.is_revoked("sid:embedded")


@pytest.mark.services
@pytest.mark.django_db
def test_revoke_publishes_the_key_with_its_remaining_lifetime(django_capture_on_commit_callbacks):
    client = get_redis_connection("default")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        revocation.revoke("sid:published", expires_at=timezone.now() + timedelta(seconds=60))
        assert client.get(revocation.REDIS_PREFIX + "sid:published") is None  # not before commit
    assert len(callbacks) == 1
    assert client.get(revocation.REDIS_PREFIX + "sid:published") == b"1"
    assert 55_000 < client.pttl(revocation.REDIS_PREFIX + "sid:published") <= 60_000


@pytest.mark.services
@pytest.mark.django_db
def test_an_entry_about_to_expire_is_published_for_at_least_a_second(
    django_capture_on_commit_callbacks,
):
    client = get_redis_connection("default")
    with django_capture_on_commit_callbacks(execute=True):
        revocation.revoke("sid:past", expires_at=timezone.now() - timedelta(hours=1))
    assert 0 < client.pttl(revocation.REDIS_PREFIX + "sid:past") <= 1_000
    revocation._publish("jti:late", timezone.now() - timedelta(seconds=30))
    assert 900 < client.pttl(revocation.REDIS_PREFIX + "jti:late") <= 1_000


@pytest.mark.services
@pytest.mark.django_db
def test_a_publication_redis_refuses_marks_the_cache_untrusted(monkeypatch):
    # A real client to a port nothing listens on: the write fails as it does when Redis is down.
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    monkeypatch.setattr(revocation, "_redis", lambda: unreachable)
    revocation._publish("sid:lost", timezone.now() + timedelta(minutes=1))
    assert revocation._memory.needs_reload is True
    assert shared_state.untrusted(revocation.NAME) is not None
