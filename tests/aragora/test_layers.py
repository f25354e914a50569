"""Layers point one way (#11): the import contracts hold, the abuse app plugs into the rate gate
(RATE-4, fail closed without it), and ClientBlock's move to the abuse app keeps stored blocks
and the admin role's permissions (RATE-4, AUTHZ-1). LOCK-1: a bad tier setting still stops
startup now that settings parse it in aragora."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from abuse import services as abuse
from abuse.models import ClientBlock
from aragora.hooks import abuse_guard, plug_abuse_guard
from tests.aragora.test_startup import manage
from tests.live import ROOT

KEY = "ip:198.51.100.201"


def test_the_import_contracts_hold():
    """``make lint`` runs the same contracts: aragora < audit < accounts < abuse < the rest."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_abuse_app_is_plugged_into_the_rate_gate():
    assert abuse_guard() is abuse
    assert not [e for e in run_checks() if e.id == "aragora.E101"]


@pytest.mark.django_db
def test_without_the_abuse_app_the_rate_gate_refuses_and_the_check_fails():
    """RATE-4: with no abuse app to ask about blocks the gate fails closed, and says so."""
    plug_abuse_guard(None)
    try:
        response = Client(REMOTE_ADDR="198.51.100.202").get("/api/v1/")
        errors = [e.id for e in run_checks()]
    finally:
        plug_abuse_guard(abuse)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "aragora.E101" in errors


@pytest.mark.django_db(transaction=True)
def test_a_block_stored_before_the_move_is_kept_and_still_cleared_by_the_admin_role():
    """The migrations move ClientBlock's state only: a row written under the aragora app is the
    abuse app's block afterwards, and the admin role keeps the permission to clear it."""
    before = [("aragora", "0002_cache_mark"), ("abuse", None)]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old_apps = executor.loader.project_state(("aragora", "0002_cache_mark")).apps
        old_apps.get_model("aragora", "ClientBlock").objects.create(
            key=KEY, reason="escalation", level=2, expires_at=timezone.now() + timedelta(hours=1)
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert ClientBlock.objects.get(key=KEY).level == 2
    assert abuse.blocked_seconds(KEY) > 3000
    admin = Group.objects.get(name="admin")
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in admin.permissions.all()}
    assert {"abuse.view_clientblock", "abuse.delete_clientblock"} <= granted


@pytest.mark.django_db
def test_showmigrations_lists_the_move_applied():
    out = StringIO()
    call_command("showmigrations", "aragora", "abuse", stdout=out)
    assert "[X] 0003_move_client_block_to_abuse" in out.getvalue()
    assert "[X] 0001_client_block" in out.getvalue()


def test_a_bad_lockout_tier_setting_still_stops_startup():
    result = manage("check", ARAGORA_LOCKOUT_TIERS="5:60,ten:900")
    assert result.returncode != 0 and "ARAGORA_LOCKOUT_TIERS" in result.stderr
