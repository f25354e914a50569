"""PRIV-4 on PostgreSQL and Redis, across server processes: an erasure made in one gunicorn
worker refuses the erased user's access token and API token in every worker within the
revocation bound (AUTH-4), leaves neither the email nor the user's texts in any table of
PostgreSQL, removes the files, clears the email's lockout key in Redis and the database, and
the trail (sealed, append-only on PostgreSQL) still verifies."""

from __future__ import annotations

import pytest
import requests

from accounts.models import LockoutState
from audit.verification import verify_trail
from tests.factories import PASSWORD
from tests.helpers import Api
from tests.live import gunicorn, poll_until
from tests.privacy.erasure_helpers import make_person, tables_holding

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
OPEN = {"ARAGORA_RATE_LIMIT_DEFAULT": "10000/m", "ARAGORA_RATE_LIMIT_AUTH": "10000/m"}


def _statuses(base: str, credential: str, n: int = 10) -> set[int]:
    headers = {"Authorization": f"Bearer {credential}", "Connection": "close"}
    return {
        requests.get(f"{base}/api/v1/debates", headers=headers, timeout=10).status_code
        for _ in range(n)
    }


def _redis_lockout_key(email: str) -> bool:
    from django_redis import get_redis_connection

    return bool(get_redis_connection("default").exists(f"aragora:lockout:email:{email}"))


def test_erasure_in_one_worker_refuses_the_users_tokens_in_every_worker(tmp_path, settings):
    settings.UPLOAD_DIR = str(tmp_path)
    gone = make_person("gone", tmp_path)
    stays = make_person("stays", tmp_path)
    Api().post("/api/v1/auth/login", {"email": gone.user.email, "password": "Wrong-pw-1"})
    assert _redis_lockout_key(gone.user.email)
    assert LockoutState.objects.filter(key=gone.user.email).exists()

    with gunicorn(workers=2, ARAGORA_UPLOAD_DIR=str(tmp_path), **OPEN) as (base, _):
        # every worker has seen both credentials valid (and may trust that for 0.5 s)
        assert _statuses(base, gone.access) == {200}
        assert _statuses(base, gone.api_token) == {200}
        erased = requests.post(
            f"{base}/api/v1/privacy/erasure",
            json={"password": PASSWORD},
            headers={"Authorization": f"Bearer {gone.access}", "Connection": "close"},
            timeout=30,
        )
        assert erased.status_code == 202, erased.text
        poll_until(lambda: _statuses(base, gone.access) == {401}, within=1.5)
        poll_until(lambda: _statuses(base, gone.api_token) == {401}, within=1.5)
        assert _statuses(base, stays.access) == {200}
        assert _statuses(base, stays.api_token) == {200}

    assert tables_holding(gone.texts) == {}
    assert tables_holding(stays.texts)
    assert not gone.file.exists() and stays.file.exists()
    assert not _redis_lockout_key(gone.user.email)
    assert not LockoutState.objects.filter(key=gone.user.email).exists()
    assert verify_trail().ok


def test_two_admins_erasing_at_once_leave_one_admin():
    """AUTHZ-1, PRIV-4: the last-admin check holds every admin's row lock, so of the only two
    admins erasing in parallel exactly one goes; the other is refused as the last admin."""
    from accounts.models import User
    from privacy import erasure
    from tests.factories import UserFactory
    from tests.helpers import in_threads

    admins = [UserFactory(roles=["admin"]), UserFactory(roles=["admin"])]
    queue = list(admins)

    def erase_one() -> str:
        user = User.objects.get(pk=queue.pop().pk)
        try:
            erasure.erase(user)
        except erasure.LastAdmin:
            return "refused"
        return "erased"

    assert sorted(in_threads(2, erase_one)) == ["erased", "refused"]
    assert User.objects.filter(groups__name="admin").count() == 1
    assert verify_trail().ok
