"""PRIV-3, PRIV-4: the registry of personal data covers every model that refers to the user
(directly or through another model), exports carry no secret, and erasure is registered for
every kind (the audit trail's pseudonymises, #13 part 5)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import ApiToken, BackupCode, PasswordHistory, TOTPDevice, UserSession
from accounts.services.api_tokens import create_token
from aragora.http.client_ip import client_info
from audit.events import EventType
from debates.models import Attachment, Debate, Source
from privacy import archive, registry
from privacy.purposes import PURPOSES
from privacy.services import set_consent, set_do_not_sell
from tests.factories import UserFactory
from tests.helpers import enrol_mfa


def _label(model: type[Model]) -> str:
    return model._meta.label


def models_referring_to_the_user() -> set[str]:
    """Every model with a ForeignKey, OneToOne or M2M (auto-created ``through`` tables too)
    that reaches ``AUTH_USER_MODEL``, directly or through other models, transitively."""
    user = apps.get_model(settings.AUTH_USER_MODEL)
    every = apps.get_models(include_auto_created=True)
    links = {
        m: {f.related_model for f in m._meta.get_fields() if f.is_relation and f.concrete}
        for m in every
    }
    reaching: set[type[Model]] = {user}
    grew = True
    while grew:
        found = {m for m, targets in links.items() if targets & reaching} - reaching
        reaching |= found
        grew = bool(found)
    return {_label(m) for m in reaching}


def test_every_model_that_refers_to_the_user_is_covered_or_declared_not_personal():
    """A new model with a user link fails here until its app registers it (PRIV-4)."""
    covered = set(registry.covered_models()) | set(registry.not_personal())
    missing = sorted(models_referring_to_the_user() - covered)
    assert missing == []


def test_the_walk_finds_indirect_links_and_m2m_tables():
    """The walk itself: through-other-model (BackupCode via its device, Attachment via its
    debate) and auto-created M2M tables count, so the check above is not vacuous."""
    found = models_referring_to_the_user()
    expected = {"accounts.BackupCode", "accounts.RefreshToken", "debates.Attachment"}
    assert expected | {"debates.Source", "accounts.User_groups", "privacy.Consent"} <= found


def test_nothing_is_covered_that_does_not_exist():
    """A provider naming a model that was renamed or removed would hide a gap."""
    labels = {_label(m) for m in apps.get_models(include_auto_created=True)}
    stale = (set(registry.covered_models()) | set(registry.not_personal())) - labels
    assert stale == set()


def test_every_kind_the_issue_names_is_registered_with_export_and_erase():
    kinds = {p.kind for p in registry.providers()}
    assert kinds == {
        "profile", "sessions", "api_tokens", "mfa_devices", "debates", "audit_events", "privacy"
    }  # fmt: skip
    assert all(callable(p.export) and callable(p.erase) for p in registry.providers())
    assert registry.providers()[-1].kind == "profile"  # the account goes last


def test_a_model_cannot_be_claimed_twice_nor_declared_without_a_reason():
    taken = next(iter(registry.covered_models()))
    again = registry.Provider("again", (taken,), lambda u: {}, lambda u: None)
    with pytest.raises(registry.RegistryError):
        registry.register(again)
    with pytest.raises(registry.RegistryError):
        registry.declare_not_personal("x.Y", " ")
    assert "again" not in {p.kind for p in registry.providers()}


@pytest.mark.django_db
def test_the_audit_erasure_pseudonymises_the_users_events():
    """PRIV-4: the registered audit eraser keeps the user's events, without the user's id, and
    the trail still verifies (the design is tested in tests/audit/test_erasure.py)."""
    import audit
    from audit.events import EventType
    from audit.models import AuditEvent
    from audit.services import verify_trail

    user = UserFactory()
    audit.record(EventType.USER_CREATED, actor=user, target=user)
    registry.provider("audit_events").erase(user)
    assert not AuditEvent.objects.filter(actor_id=user.pk).exists()
    assert AuditEvent.objects.filter(event_type=EventType.USER_CREATED).exists()
    assert verify_trail().ok is True


def _user_with_everything(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.UPLOAD_DIR = str(tmp_path)
    user = UserFactory(roles=["member"])
    secret, backup_codes = enrol_mfa(user)
    token = create_token(
        user=user, name="ci", scopes=["debates:read"], expires_in_days=30,
        client=client_info(RequestFactory().get("/")),
    )  # fmt: skip
    now = timezone.now()
    UserSession.objects.create(
        user=user, kind="browser", last_activity_at=now, expires_at=now + timedelta(hours=1),
        ip="203.0.113.7", django_session_key="djsessionkey123",
    )  # fmt: skip
    PasswordHistory.objects.create(user=user, password_hash=user.password)
    debate = Debate.objects.create(owner=user, title="Mine", body="My words")
    (tmp_path / "a1.png").write_bytes(b"\x89PNG data")
    Attachment.objects.create(
        debate=debate, stored_name="a1.png", filename="me.png", content_type="image/png", size=9
    )
    Source.objects.create(debate=debate, url="https://example.com/", title="Example")
    set_consent(user=user, purpose=PURPOSES["product_updates"], granted=True)
    set_do_not_sell(user=user, enabled=True)
    secrets = [secret.hex(), token.secret, user.password, *backup_codes]
    secrets += list(ApiToken.objects.filter(user=user).values_list("secret_hash", flat=True))
    secrets += list(
        BackupCode.objects.filter(device__user=user).values_list("code_hash", flat=True)
    )
    secrets += [TOTPDevice.objects.get(user=user).encrypted_secret, "djsessionkey123"]
    return user, secrets


@pytest.mark.django_db
def test_exports_are_json_and_carry_none_of_the_users_secrets(tmp_path, settings):
    """PRIV-3: every kind exports to JSON; no password hash, token secret or hash, TOTP key or
    backup code (hash) in any of it; the user's own data is there."""
    user, secrets = _user_with_everything(tmp_path, settings)
    other = UserFactory()
    Debate.objects.create(owner=other, title="Theirs", body="Not yours")
    text = ""
    for provider in registry.providers():  # written as the archive writes them, streamed
        out = io.StringIO()
        archive.write_json(out, provider.export(user))
        json.loads(out.getvalue())
        text += out.getvalue()
    assert [s for s in secrets if s and s in text] == []
    for mine in (user.email, "My words", "me.png", "https://example.com/", "203.0.113.7"):
        assert mine in text
    assert EventType.CONSENT_CHANGED.value in text and "product_updates" in text
    assert "Not yours" not in text and other.email not in text
    files = list(registry.provider("debates").files(user))
    assert [f.name for f in files] == ["a1.png"]


@pytest.mark.django_db
def test_erasing_debates_removes_the_rows_and_files_of_that_user_only(
    tmp_path, settings, django_capture_on_commit_callbacks
):
    """PRIV-4 contract for debates: rows and files of the user go, another user's stay; the
    files only once the transaction commits (a rollback must not have lost them)."""
    user, _ = _user_with_everything(tmp_path, settings)
    other = UserFactory()
    kept = Debate.objects.create(owner=other, title="Theirs", body="Stays")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registry.provider("debates").erase(user)
    assert not Debate.objects.filter(owner=user).exists()
    assert not Source.objects.exists() and not Attachment.objects.exists()
    assert (tmp_path / "a1.png").exists()  # not committed yet
    for callback in callbacks:
        callback()
    assert not (tmp_path / "a1.png").exists()
    assert Debate.objects.filter(pk=kept.pk).exists()
