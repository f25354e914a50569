"""LOCK-1, LOCK-2, LOCK-3, LOCK-4, LOCK-5, LOCK-6 and PWD-3: tiered lockout by email and IP,
reserve-then-verify, no hashing while locked, identical answers for known and unknown emails,
admin list and clear."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.lockout import service as lockout
from accounts.lockout.tiers import lock_seconds, next_lock_at, parse_tiers
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code, mfa_login, verified_admin_client

pytestmark = pytest.mark.django_db
WRONG = "Wrong-Password-123"


@pytest.fixture(autouse=True)
def open_rate_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/m", "default": "10000/m"}


@pytest.fixture
def clock(monkeypatch):
    """Move the lockout's time by hand: tiers are checked without sleeping."""

    class Clock:
        now = 1_900_000_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr("accounts.lockout.clock.now", lambda: fake.now)
    return fake


def attempt(email: str, password: str = WRONG, ip: str = "198.51.100.10"):  # type: ignore[no-untyped-def]
    return Api(REMOTE_ADDR=ip).post("/api/v1/auth/login", {"email": email, "password": password})


def failures(key_type: str, key: str) -> int:
    found = [e for e in lockout.entries() if (e.key_type, e.key) == (key_type, key)]
    return found[0].failures if found else 0


def test_tier_arithmetic():
    tiers = parse_tiers("5:60,10:900,15:3600")
    assert [lock_seconds(tiers, n) for n in (4, 5, 6, 9, 10, 14, 15, 16, 40)] == [
        0,
        60,
        0,
        0,
        900,
        0,
        3600,
        3600,
        3600,
    ]
    assert [next_lock_at(tiers, n) for n in (0, 4, 5, 9, 10, 15, 16)] == [5, 5, 10, 10, 15, 16, 17]


def test_tiers_lock_for_60_then_900_then_3600_and_nothing_counts_while_locked(clock, user):
    def fail_until(count: int) -> None:
        while failures("email", user.email) < count:
            assert attempt(user.email).status_code == 401

    def assert_locked(seconds: int) -> None:
        response = attempt(user.email)
        assert response.status_code == 429
        assert error_code(response) == "locked_out"
        assert response["Retry-After"] == str(seconds)

    fail_until(5)
    assert_locked(60)
    assert_locked(60)
    assert failures("email", user.email) == 5  # the refused attempts were not counted
    clock.advance(61)
    fail_until(10)
    assert_locked(900)
    clock.advance(901)
    fail_until(15)
    assert_locked(3600)
    clock.advance(3601)
    fail_until(16)
    assert_locked(3600)
    assert failures("email", user.email) == 16


def test_the_correct_password_is_refused_while_locked(clock, user):
    for _ in range(5):
        attempt(user.email)
    assert attempt(user.email, PASSWORD).status_code == 429
    clock.advance(61)
    assert attempt(user.email, PASSWORD).status_code == 200


def test_email_tier_spans_ips(user):
    for n in range(5):
        assert attempt(user.email, ip=f"203.0.113.{n + 1}").status_code == 401
    assert attempt(user.email, PASSWORD, ip="203.0.113.99").status_code == 429


def test_ip_tier_spans_emails(user):
    for n in range(5):
        assert attempt(f"someone{n}@example.com", ip="203.0.113.50").status_code == 401
    assert attempt(user.email, PASSWORD, ip="203.0.113.50").status_code == 429
    assert attempt(user.email, PASSWORD, ip="203.0.113.51").status_code == 200


def test_a_username_that_looks_like_an_ip_never_touches_the_ip_counter(user):
    for _ in range(5):
        attempt("10.7.7.7", ip="198.51.100.77")
    assert failures("email", "10.7.7.7") == 5
    assert failures("ip", "10.7.7.7") == 0
    assert attempt(user.email, PASSWORD, ip="10.7.7.7").status_code == 200


def test_success_resets_the_email_counter_but_never_the_ip(user):
    for _ in range(4):
        attempt(user.email)
    assert attempt(user.email, PASSWORD).status_code == 200
    assert failures("email", user.email) == 0
    assert failures("ip", "198.51.100.10") == 4
    assert attempt("other@example.com").status_code == 401  # the IP's 5th failure
    assert attempt(user.email, PASSWORD).status_code == 429


def test_locked_answers_are_identical_for_known_and_unknown_emails(clock, user):
    for email in (user.email, "ghost@example.com"):
        for n in range(5):
            attempt(email, ip=f"192.0.2.{n + 1}")
    known = attempt(user.email, ip="192.0.2.200")
    unknown = attempt("ghost@example.com", ip="192.0.2.201")
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content
    assert known["Retry-After"] == unknown["Retry-After"]


@pytest.fixture
def hasher_calls(monkeypatch):
    """Every bcrypt computation (the expensive part of any password check)."""
    import bcrypt

    calls: list[int] = []
    original = bcrypt.hashpw

    def counted(password, salt):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(password, salt)

    monkeypatch.setattr(bcrypt, "hashpw", counted)
    return calls


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive", "locked"])
def test_hashing_work_per_attempt(case, hasher_calls, clock):
    user = UserFactory(is_active=case != "inactive")
    email = "nobody@example.com" if case == "unknown" else user.email
    password = PASSWORD if case == "inactive" else WRONG
    if case == "locked":
        for _ in range(5):
            attempt(email)
    hasher_calls.clear()
    response = attempt(email, password)
    expected = 0 if case == "locked" else 1
    assert len(hasher_calls) == expected, hasher_calls
    assert response.status_code == (429 if case == "locked" else 401)


def test_lock_is_audited(user):
    for _ in range(5):
        attempt(user.email)
    locks = AuditEvent.objects.filter(event_type="accounts.lockout.locked")
    assert {e.data["key_type"] for e in locks} == {"email", "ip"}
    assert all(e.data["seconds"] == 60 for e in locks)
    assert user.email not in str([e.data for e in locks])  # emails are stored hashed


def test_admin_lists_and_clears_lockouts(user, django_user_model):
    admin = UserFactory(roles=["admin"])
    viewer = UserFactory(roles=["viewer"])
    for _ in range(5):
        attempt(user.email)
    secret, _ = enrol_mfa(admin)
    api = Api()
    mfa_login(api, admin, secret)  # fresh from the code step: step-up holds
    listed = api.get("/api/v1/admin/lockouts")
    assert listed.status_code == 200
    keys = {(r["key_type"], r["key"]): r for r in listed.json()["results"]}
    assert keys[("email", user.email)]["failures"] == 5
    assert keys[("email", user.email)]["locked_until"] is not None
    forbidden = Api()
    forbidden.as_user(viewer.email, PASSWORD)
    assert forbidden.post("/api/v1/admin/lockouts/clear", {"email": user.email}).status_code == 403
    assert Api().post("/api/v1/admin/lockouts/clear", {"email": user.email}).status_code == 401
    assert api.post("/api/v1/admin/lockouts/clear", {}).status_code == 400
    cleared = api.post("/api/v1/admin/lockouts/clear", {"email": user.email, "ip": "198.51.100.10"})
    assert cleared.status_code == 200 and cleared.json() == {"cleared": 2}
    assert attempt(user.email, PASSWORD).status_code == 200
    assert (
        AuditEvent.objects.filter(event_type="accounts.lockout.cleared", actor=admin).count() == 2
    )


def test_django_admin_page_shows_the_live_store_and_clears(user):
    admin = UserFactory(roles=["admin"], is_staff=True)
    for _ in range(5):
        attempt(user.email)
    client = verified_admin_client(admin)
    page = client.get("/admin/accounts/lockoutstate/")
    assert page.status_code == 200
    assert user.email in page.content.decode()
    response = client.post("/admin/accounts/lockoutstate/", {"email": user.email})
    assert response.status_code == 302
    assert failures("email", user.email) == 0


def test_a_failed_admin_login_is_audited_and_counts_toward_the_lockout(user, hasher_calls):
    """LOCK-1, LOCK-2, AUDIT-1 (issue #10 item 18): a sign-in that starts at the Django admin's
    login goes through /accounts/login/, so each failure is audited and counted, and the
    locked key is refused without hashing. The admin's own form checks nothing any more."""
    client = Client()
    start = client.get("/admin/login/?next=/admin/")
    assert start["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    for _ in range(5):
        response = client.post(start["Location"], {"email": user.email, "password": WRONG})
        assert response.status_code == 400  # the form says "wrong"
    failed = AuditEvent.objects.filter(event_type="accounts.login.failed", actor=user)
    assert failed.count() == 5
    assert failures("email", user.email) == 5
    hasher_calls.clear()
    response = client.post(start["Location"], {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    old_form = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert old_form.status_code == 302 and old_form["Location"].startswith("/accounts/login/")
    assert hasher_calls == []
    assert "_auth_user_id" not in client.session


def test_login_page_shows_the_wait(user):
    client = Client()
    for _ in range(5):
        assert (
            client.post("/accounts/login/", {"email": user.email, "password": WRONG}).status_code
            == 400
        )
    response = client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert b"Try again in 60 seconds" in response.content


def test_command_and_axes_tools_clear(user, capsys):
    for _ in range(5):
        attempt(user.email)
    call_command("lockouts", "list")
    assert user.email in capsys.readouterr().out
    call_command("axes_reset_ip", "198.51.100.10")
    assert failures("ip", "198.51.100.10") == 0
    call_command("lockouts", "clear", "--email", user.email)
    assert failures("email", user.email) == 0


def test_unreachable_redis_falls_back_to_the_database(user, settings):
    settings.SERVICE_CACHE = True
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    settings.RATELIMIT_ENABLE = False
    for _ in range(5):
        assert attempt(user.email).status_code == 401
    assert attempt(user.email, PASSWORD).status_code == 429  # still locked, never open
