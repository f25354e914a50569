"""Run ``manage.py`` as an operator would, in a process of its own, on a database of the
test's own (a SQLite file in tmp_path, or a scratch PostgreSQL database)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.live import ROOT

# Variables of this run that a scratch-database process must not inherit.
_DROPPED = ("ARAGORA_", "DJANGO_SETTINGS", "PYTEST", "DATABASE_URL", "REDIS_URL")
_SECRETS = (
    "ARAGORA_SECRET_KEY",
    "ARAGORA_JWT_SIGNING_KEYS",
    "ARAGORA_ENCRYPTION_KEYS",
    "ARAGORA_TOKEN_PEPPER",
    "ARAGORA_AUDIT_KEYS",
)


def manage(*args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``manage.py ARGS`` with the project's settings, this run's secrets (tests/settings.py)
    and ``env``; never the developer's .env or database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    clean.update({name: os.environ[name] for name in _SECRETS if name in os.environ})
    clean.update(
        ARAGORA_READ_DOTENV="0",
        ARAGORA_DEV_SECRETS_FILE="",
        DJANGO_SETTINGS_MODULE="aragora.settings",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        input=input,
        timeout=300,
    )


def ok(*args: str, **env: str) -> str:
    """Like ``manage`` and require success; return stdout."""
    result = manage(*args, **env)
    assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr}"
    return result.stdout


def shell(code: str, **env: str) -> Any:
    """Run ``code`` in ``manage.py shell``; it prints one JSON line last, returned parsed."""
    return json.loads(ok("shell", "-c", code, **env).strip().splitlines()[-1])
