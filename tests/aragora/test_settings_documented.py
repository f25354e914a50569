"""Every variable the settings read is documented: the README's settings table and
``.env.example`` (STYLE "Settings"; the guide: ``.env.example`` documents every variable)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# env("X"), env.int("X", ...), _secret("X"), _secret_list("X"), os.environ.get("X")
READ = re.compile(
    r"""(?:env(?:\.\w+)?|_secret\w*|environ\.get)\(\s*["']((?:ARAGORA|DJANGO|GUNICORN)_[A-Z0-9_]+|DATABASE_URL|REDIS_URL|SENTRY_DSN|PROMETHEUS_MULTIPROC_DIR)["']"""
)


def variables_read() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "aragora").glob("*.py"):
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        names |= set(READ.findall(code))
    return names


def test_the_scan_finds_the_settings_variables():
    assert {
        "ARAGORA_ENV",
        "DATABASE_URL",
        "ARAGORA_LOCKOUT_TIERS",
        "ARAGORA_SECRET_KEY",
        "ARAGORA_READ_DOTENV",
    } <= variables_read()


@pytest.mark.parametrize("document", ["README.md", ".env.example"])
def test_every_variable_is_documented(document):
    text = (ROOT / document).read_text()
    missing = sorted(name for name in variables_read() if name not in text)
    assert missing == [], f"{document} does not mention {missing}"
