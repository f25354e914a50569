"""AUTHZ-1, AUTHZ-3: Django's is_staff / is_superuser follow the roles, whichever path changes
them (roles API, Django admin, createsuperuser, the manager); a demotion ends admin access at
once; AUDIT-1: every change is audited (who, whom, what)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role
from accounts.services.roles import sync_role_permissions
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, mfa_login, verified_admin_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def open_rate_limits(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


def admin_api() -> tuple[User, Api]:
    """An admin with MFA, logged in through the API with a fresh step-up (MFA-6)."""
    admin = User.objects.create_superuser("boss@example.com", PASSWORD)
    secret, _ = enrol_mfa(admin)
    api = Api()
    mfa_login(api, admin, secret)
    return admin, api


def flags(user: User) -> tuple[bool, bool]:
    user.refresh_from_db()
    return user.is_staff, user.is_superuser


def events(event_type: str, target: User) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(event_type=event_type, target_id=str(target.pk)).order_by("pk")
    )


def admin_form(user: User, **fields: object) -> dict[str, object]:
    """The Django admin's user change form as a browser posts it."""
    groups = [g.pk for g in user.groups.all()]
    return {"email": user.email, "is_active": "on", "groups": groups, **fields}


# --- Item 2 of issue #10: the roles API ---------------------------------------------------------


def test_demoting_an_admin_through_the_api_clears_both_flags_and_ends_admin_access():
    actor, api = admin_api()
    target = User.objects.create_superuser("root@example.com", PASSWORD)
    secret, _ = enrol_mfa(target)
    target_page = verified_admin_client(target)
    target_api = Api()
    mfa_login(target_api, target, secret)
    assert target_page.get("/admin/").status_code == 200
    assert target_api.get("/api/v1/admin/lockouts").status_code == 200

    response = api.put(f"/api/v1/admin/users/{target.pk}/roles", {"roles": ["member"]})

    assert response.status_code == 200 and response.json()["roles"] == ["member"]
    assert flags(target) == (False, False)
    assert not target.has_perm("accounts.change_user")  # no superuser shortcut left
    page = target_page.get("/admin/")
    assert page.status_code == 302 and "login" in page["Location"]
    assert target_page.get("/admin/accounts/user/").status_code == 302
    assert target_api.get("/api/v1/admin/lockouts").status_code == 401  # sessions ended
    assert target_api.get("/api/v1/auth/me").status_code == 401
    change = events("accounts.staff_flags.changed", target)
    assert len(change) == 1 and change[0].actor == actor
    assert change[0].data["before"] == {"is_staff": True, "is_superuser": True}
    assert change[0].data["after"] == {"is_staff": False, "is_superuser": False}
    roles = events("accounts.roles.changed", target)
    assert [(e.data["before"], e.data["after"]) for e in roles] == [(["admin"], ["member"])]


def test_a_demoted_admin_who_logs_in_again_has_no_admin_access():
    _, api = admin_api()
    target = User.objects.create_superuser("root@example.com", PASSWORD)
    api.put(f"/api/v1/admin/users/{target.pk}/roles", {"roles": ["member"]})
    secret, _ = enrol_mfa(target)
    response = verified_admin_client(target).get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]
    fresh = Api()
    mfa_login(fresh, target, secret)
    assert fresh.get("/api/v1/admin/lockouts").status_code == 403


def test_promotion_through_the_api_makes_staff_and_superuser_and_moderator_is_neither():
    _, api = admin_api()
    target = UserFactory()
    api.put(f"/api/v1/admin/users/{target.pk}/roles", {"roles": ["moderator"]})
    assert flags(target) == (False, False)
    response = api.put(f"/api/v1/admin/users/{target.pk}/roles", {"roles": ["admin"]})
    assert response.status_code == 200
    assert flags(target) == (True, True)
    extra = {"roles": ["member"], "is_superuser": True, "is_staff": True}
    assert api.put(f"/api/v1/admin/users/{target.pk}/roles", extra).status_code == 200
    assert flags(target) == (False, False)  # flags in the body are not a way in


def test_demoting_a_member_ends_no_session():
    _, api = admin_api()
    target = UserFactory(roles=["member"])
    target_api = Api()
    target_api.as_user(target.email)
    api.put(f"/api/v1/admin/users/{target.pk}/roles", {"roles": ["viewer"]})
    assert target_api.get("/api/v1/auth/me").status_code == 200
    assert events("accounts.staff_flags.changed", target) == []


# --- The Django admin ----------------------------------------------------------------------------


def test_the_admin_form_cannot_grant_superuser_or_staff_outside_the_admin_role():
    actor = User.objects.create_superuser("boss@example.com", PASSWORD)
    client = verified_admin_client(actor)
    target = UserFactory()
    url = f"/admin/accounts/user/{target.pk}/change/"
    response = client.post(url, admin_form(target, is_superuser="on", is_staff="on"))
    assert response.status_code == 302
    assert flags(target) == (False, False)
    assert events("accounts.staff_flags.changed", target) == []


def test_group_edits_in_the_admin_move_the_flags_and_are_audited():
    actor = User.objects.create_superuser("boss@example.com", PASSWORD)
    client = verified_admin_client(actor)
    target = UserFactory()
    url = f"/admin/accounts/user/{target.pk}/change/"
    admin_group = Group.objects.get(name=Role.ADMIN)
    assert client.post(url, admin_form(target, groups=[admin_group.pk])).status_code == 302
    assert flags(target) == (True, True)
    (promoted,) = events("accounts.staff_flags.changed", target)
    assert promoted.actor == actor and promoted.data["after"]["is_superuser"] is True
    target_page = verified_admin_client(target)
    assert target_page.get("/admin/").status_code == 200

    member = Group.objects.get(name=Role.MEMBER)
    assert client.post(url, admin_form(target, groups=[member.pk])).status_code == 302

    assert flags(target) == (False, False)
    response = target_page.get("/admin/")
    assert response.status_code == 302 and "login" in response["Location"]
    before_after = [
        (e.data["before"], e.data["after"]) for e in events("accounts.roles.changed", target)
    ]
    assert before_after == [(["member"], ["admin"]), (["admin"], ["member"])]
    demoted = events("accounts.staff_flags.changed", target)[-1]
    assert demoted.actor == actor
    assert demoted.data["after"] == {"is_staff": False, "is_superuser": False}


def test_other_group_memberships_and_group_edits_are_audited():
    actor = User.objects.create_superuser("boss@example.com", PASSWORD)
    client = verified_admin_client(actor)
    editors = Group.objects.create(name="editors")
    target = UserFactory()
    groups = [*target.groups.values_list("pk", flat=True), editors.pk]
    url = f"/admin/accounts/user/{target.pk}/change/"
    assert client.post(url, admin_form(target, groups=groups)).status_code == 302
    (joined,) = events("accounts.groups.changed", target)
    assert joined.actor == actor and (joined.data["before"], joined.data["after"]) == (
        [],
        ["editors"],
    )
    perm = Permission.objects.get(codename="view_auditevent")
    group_url = f"/admin/auth/group/{editors.pk}/change/"
    response = client.post(group_url, {"name": "auditors", "permissions": [perm.pk]})
    assert response.status_code == 302
    (edited,) = AuditEvent.objects.filter(event_type="accounts.group.changed")
    assert edited.actor == actor
    assert edited.data["before"] == {"name": "editors", "permissions": []}
    assert edited.data["after"] == {"name": "auditors", "permissions": ["audit.view_auditevent"]}
    assert (
        client.post(f"/admin/auth/group/{editors.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    deleted = AuditEvent.objects.filter(event_type="accounts.group.changed").order_by("pk").last()
    assert deleted.data["before"]["name"] == "auditors" and deleted.data["after"] is None


def test_role_groups_cannot_be_edited_or_deleted_in_the_admin():
    actor = User.objects.create_superuser("boss@example.com", PASSWORD)
    client = verified_admin_client(actor)
    member = Group.objects.get(name=Role.MEMBER)
    response = client.post(f"/admin/auth/group/{member.pk}/change/", {"name": "admin2"})
    assert response.status_code == 403
    assert client.post(f"/admin/auth/group/{member.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Group.objects.filter(name=Role.MEMBER).exists()


# --- createsuperuser and the manager -------------------------------------------------------------


def test_createsuperuser_gives_the_admin_role_and_both_flags(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, email="Root@Example.com", verbosity=0)
    user = User.objects.get(email="root@example.com")
    assert user.roles == ["admin"] and flags(user) == (True, True)


def test_the_manager_cannot_make_a_superuser_outside_the_admin_role():
    with pytest.raises(ValueError, match="is_superuser follows the roles") as refused:
        User.objects.create_user("shell@example.com", PASSWORD, is_superuser=True)
    assert "admin role" in str(refused.value)
    with pytest.raises(ValueError, match="is_staff follows the roles"):
        User.objects.create_user("staff@example.com", PASSWORD, roles=["moderator"], is_staff=True)
    with pytest.raises(ValueError, match="is_superuser follows the roles"):
        User.objects.create_superuser("root@example.com", PASSWORD, is_superuser=False)
    assert not User.objects.filter(email__in=["shell@example.com", "staff@example.com"]).exists()
    member = User.objects.create_user("member@example.com", PASSWORD)
    assert member.roles == ["member"] and flags(member) == (False, False)


def test_migrate_realigns_flags_written_before_the_rule():
    stale = UserFactory(roles=["member"], is_staff=True, is_superuser=True)
    missing = UserFactory(roles=["admin"])
    sync_role_permissions()  # what every `migrate` runs (post_migrate)
    assert flags(stale) == (False, False)
    assert flags(missing) == (True, True)
    (repair,) = events("accounts.staff_flags.changed", stale)
    assert repair.actor is None and repair.data["before"]["is_superuser"] is True


def test_the_command_realigns_a_flag_set_by_hand(capsys):
    stale = UserFactory(roles=["moderator"])
    User.objects.filter(pk=stale.pk).update(is_superuser=True)  # a raw write, past the manager
    session_holder = Api()
    session_holder.as_user(stale.email)
    call_command("sync_staff_flags")
    assert capsys.readouterr().out.strip() == "repaired 1 user(s)"
    assert flags(stale) == (False, False)
    assert session_holder.get("/api/v1/auth/me").status_code == 401  # sessions ended
