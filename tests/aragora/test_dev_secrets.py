"""#10 item 3: no secret is a constant in the code, and DEBUG is on only under runserver.

Outside production an unset secret comes from a git-ignored file of random values, generated
once per checkout (AUTH-6, ENC-2, AUTHZ-2 keys); real servers (gunicorn) and other commands run
with DEBUG off unless ARAGORA_DEBUG says otherwise (HDR-3).
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from aragora import devsecrets
from tests.live import ROOT, _stop, _wait_ready, free_port, gunicorn, server_env

SECRETS = list(devsecrets.GENERATORS)
SHOW_SETTINGS = (
    "from django.conf import settings as s; from accounts.tokens import key_id; "
    "print(s.DEBUG, key_id(s.JWT_SIGNING_KEYS[0]), key_id(s.SECRET_KEY), "
    "key_id(s.TOKEN_PEPPER), key_id(s.ENCRYPTION_KEYS[0]))"
)


def unconfigured_env(secrets_file: Path, **extra: str) -> dict[str, str]:
    """A server environment with no secret and no ARAGORA_DEBUG: a fresh checkout."""
    env = server_env(ARAGORA_DEV_SECRETS_FILE=str(secrets_file), **extra)
    for name in [*SECRETS, "ARAGORA_DEBUG", "ARAGORA_ENV"]:
        if name not in extra:
            env.pop(name, None)
    return env


def show_settings(secrets_file: Path, **extra: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=unconfigured_env(secrets_file, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-5:]


def test_two_checkouts_get_different_secrets_and_each_keeps_its_own(tmp_path):
    first = devsecrets.load_or_create(tmp_path / "a" / "dev-secrets.env", SECRETS)
    second = devsecrets.load_or_create(tmp_path / "b" / "dev-secrets.env", SECRETS)
    assert set(first) == set(second) == set(SECRETS)
    assert all(first[name] != second[name] for name in SECRETS)
    assert devsecrets.load_or_create(tmp_path / "a" / "dev-secrets.env", SECRETS) == first


def test_processes_starting_together_all_get_the_same_secrets(tmp_path):
    """gunicorn workers, runserver's reloader and Celery start at once: one set of secrets."""
    from concurrent.futures import ProcessPoolExecutor

    path = tmp_path / "dev-secrets.env"
    with ProcessPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(_load, [path] * 16))
    assert all(result == results[0] for result in results)
    assert devsecrets.load_or_create(path, SECRETS) == results[0]


def _load(path: Path) -> dict[str, str]:
    return devsecrets.load_or_create(path, SECRETS)


def test_the_file_is_private_and_holds_strong_values(tmp_path):
    path = tmp_path / "var" / "dev-secrets.env"
    values = devsecrets.load_or_create(path, SECRETS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(values["ARAGORA_SECRET_KEY"]) >= 50
    assert len(values["ARAGORA_JWT_SIGNING_KEYS"]) >= 32
    from cryptography.fernet import Fernet

    Fernet(values["ARAGORA_ENCRYPTION_KEYS"])  # a valid Fernet key, or this raises


def test_a_secret_added_later_is_generated_without_changing_the_others(tmp_path):
    """The hook for a future secret (an audit key): the file grows, existing values stay."""
    path = tmp_path / "dev-secrets.env"
    old = devsecrets.load_or_create(path, ["ARAGORA_SECRET_KEY"])
    assert "ARAGORA_TOKEN_PEPPER" not in path.read_text()
    both = devsecrets.load_or_create(path, ["ARAGORA_SECRET_KEY", "ARAGORA_TOKEN_PEPPER"])
    assert both["ARAGORA_SECRET_KEY"] == old["ARAGORA_SECRET_KEY"]
    assert both["ARAGORA_TOKEN_PEPPER"]


@pytest.mark.django_db(transaction=True)
def test_a_fresh_start_generates_once_then_reuses_and_debug_is_off(tmp_path):
    """`manage.py shell` with nothing configured: random keys, the same on the second start,
    other keys in another checkout; DEBUG off (only runserver turns it on)."""
    path = tmp_path / "one" / "dev-secrets.env"
    first = show_settings(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert show_settings(path) == first
    other = show_settings(tmp_path / "two" / "dev-secrets.env")
    assert first[0] == other[0] == "False"
    assert all(a != b for a, b in zip(first[1:], other[1:], strict=True))
    assert show_settings(path, ARAGORA_DEBUG="1")[0] == "True"  # the explicit switch wins


def test_production_still_refuses_debug_and_missing_secrets(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=unconfigured_env(tmp_path / "s.env", ARAGORA_ENV="production"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "ARAGORA_SECRET_KEY" in result.stderr
    assert not (tmp_path / "s.env").exists()  # production never generates a secret


def test_switching_the_file_off_refuses_to_start_without_secrets(tmp_path):
    env = unconfigured_env(tmp_path / "unused.env")
    env["ARAGORA_DEV_SECRETS_FILE"] = ""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "ARAGORA_JWT_SIGNING_KEYS" in result.stderr


def _csrf_cookie_header(base: str) -> str:
    response = requests.get(f"{base}/accounts/login/", timeout=20)
    assert response.status_code == 200
    return next(
        value
        for name, value in response.raw.headers.items()
        if name.lower() == "set-cookie" and value.startswith("csrftoken=")
    )


@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_nothing_configured_has_debug_off(tmp_path):
    """No debug pages and Secure cookies under a real server, though nothing was configured."""
    path = tmp_path / "dev-secrets.env"
    unset = {name: "" for name in [*SECRETS, "ARAGORA_DEBUG"]}  # empty counts as unset
    with gunicorn(workers=2, ARAGORA_DEV_SECRETS_FILE=str(path), **unset) as (base, _):
        assert path.exists()  # the server generated its own secrets: it saw none of ours
        assert "; Secure" in _csrf_cookie_header(base)
        missing = requests.get(f"{base}/no-such-page/", timeout=20)
        assert missing.status_code == 404 and "DEBUG = True" not in missing.text


@pytest.mark.django_db(transaction=True)
def test_make_run_with_nothing_configured_serves_with_debug_on(tmp_path):
    """`make run` is `manage.py runserver`: it works with no configuration, debug pages on."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=unconfigured_env(tmp_path / "dev-secrets.env"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        assert "; Secure" not in _csrf_cookie_header(base)
        assert (tmp_path / "dev-secrets.env").exists()
    finally:
        _stop(process)
