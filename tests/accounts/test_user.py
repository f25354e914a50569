"""The custom user: email login, normalised and unique case-insensitively; roles as groups."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.roles import Role
from tests.live import ROOT, server_env

pytestmark = pytest.mark.django_db


def test_email_is_normalised_and_unique_case_insensitively():
    user = User.objects.create_user("  Alice@Example.COM ", None)
    assert user.email == "alice@example.com"
    assert User.objects.get_by_natural_key("ALICE@example.com") == user
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("alice@example.com", None)


def test_database_refuses_a_case_variant_even_behind_the_manager():
    User.objects.create_user("bob@example.com", None)
    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="BOB@example.com").save()


def test_roles_exist_as_groups_and_new_users_are_members():
    assert set(Group.objects.values_list("name", flat=True)) >= {r.value for r in Role}
    user = User.objects.create_user("carol@example.com", None)
    assert user.roles == ["member"]
    admin_perms = Group.objects.get(name="admin").permissions.values_list("codename", flat=True)
    assert "view_auditevent" in admin_perms


def test_createsuperuser_noinput_gives_the_admin_role(transactional_db):
    env = server_env(
        DJANGO_SUPERUSER_EMAIL="Root@Example.com",
        DJANGO_SUPERUSER_PASSWORD="Correct-Horse-9-Battery",
    )
    env.pop("ARAGORA_TEST_SERVICES", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    user = User.objects.get(email="root@example.com")
    assert user.is_staff and user.is_superuser
    assert user.has_role(Role.ADMIN)
    assert user.check_password("Correct-Horse-9-Battery")
    assert "Correct-Horse-9-Battery" not in result.stdout + result.stderr
    assert os.environ.get("DJANGO_SUPERUSER_PASSWORD") is None
