"""PRIV-4 on PostgreSQL (#13): the append-only trigger refuses to delete a user who still has
events (the actor's ``SET NULL`` is an UPDATE of sealed rows); after ``erase_events`` the user
row can be deleted and the trail verifies."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

import audit
from accounts.models import User
from audit.events import EventType
from audit.models import AuditEvent
from audit.personal_data import erase_events
from audit.services import verify_trail
from tests.factories import UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_user_with_events_can_be_deleted_only_after_their_erasure():
    user = UserFactory()
    audit.record(EventType.USER_CREATED, actor=user, target=user)
    audit.record(EventType.LOGOUT, actor=user)

    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        User.objects.filter(pk=user.pk).delete()
    assert "append-only" in str(refused.value)

    erase_events(user)
    user.delete()
    assert not User.objects.filter(pk=user.pk).exists()
    assert AuditEvent.objects.filter(erased_in__isnull=False).count() == 2
    assert verify_trail().ok is True


def test_the_erasure_door_closes_with_its_transaction():
    user = UserFactory()
    event = audit.record(EventType.LOGOUT, actor=user)
    erase_events(user)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(user_agent="forged")
    assert AuditEvent.objects.get(pk=event.pk).user_agent == ""
