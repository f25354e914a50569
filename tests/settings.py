"""Test settings: the project's settings, a test database of this run's own (a file for SQLite,
so server subprocesses can share it), under pytest-xdist a Redis database of each worker's own,
a fast bcrypt cost, and a test-only URL conf for probing the HTTP layer."""

import os
import re

from aragora import devsecrets

os.environ["ARAGORA_READ_DOTENV"] = "0"  # a developer's .env must not change the tests

# Secrets of this run only, random, never a developer's var/dev-secrets.env (#10 item 3). They
# are set in the environment so the server subprocesses of tests/live.py share them.
# A server subprocess started with these settings (ARAGORA_TEST_SERVER=1, tests/live.py) keeps
# the secrets of the run that started it, so both seal and verify with one audit key.
if os.environ.get("ARAGORA_TEST_SERVER") != "1":
    for _name, _generate in devsecrets.GENERATORS.items():
        os.environ[_name] = _generate()
os.environ["ARAGORA_DEV_SECRETS_FILE"] = ""  # a secret missing here is a bug: refuse to start


def _worker_redis_url(url: str, worker: str) -> str:
    """Under pytest-xdist, worker ``gwN`` uses Redis database base + N: tests flush their Redis
    database, and workers sharing one would flush each other's counters and revocations (#11).
    With ``REDIS_URL=redis://host:6379/9`` and ``-n 2`` the service pass uses databases 9 and
    10. Set in the environment, so tests/live.py's servers use the same database."""
    match = re.fullmatch(r"(redis://[^/]*)(?:/(\d*))?", url)
    index = re.fullmatch(r"gw(\d+)", worker)
    if not match or not index:
        return url
    base = int(match.group(2) or 0)
    return f"{match.group(1)}/{base + int(index.group(1))}"


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = _worker_redis_url(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )

from aragora.settings import *  # noqa: E402, F403
from aragora.settings import BASE_DIR, DATABASES, PASSWORD_HASHERS, SERVICE_DATABASE  # noqa: E402

# Each run (and each pytest-xdist worker, a process of its own) gets its own test database, so
# two runs in one checkout never collide.
_RUN = f"{os.getpid()}"

if SERVICE_DATABASE:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_RUN}"}
else:
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{_RUN}.sqlite3")}
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # Server subprocesses share this file with the test process; the rollback journal copes
    # with processes coming and going better than WAL's shared-memory index does.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=DELETE;"

# bcrypt at cost 4 (same algorithm, same code paths); `@pytest.mark.bcrypt` restores cost 12.
PRODUCTION_PASSWORD_HASHERS = list(PASSWORD_HASHERS)
PASSWORD_HASHERS = ["tests.hashers.FastBCryptSHA256PasswordHasher", *PASSWORD_HASHERS]

ROOT_URLCONF = "tests.urls"
UPLOAD_DIR = str(BASE_DIR / "var" / "test-uploads" / _RUN)  # tests count the files they add
EXPORT_DIR = str(BASE_DIR / "var" / "test-exports" / _RUN)

# The lockout holds new sign-ins for this long after Redis is lost (#10 item 10): not in tests
# that stop Redis for other reasons; the tests about the settle set it themselves.
LOCKOUT_FALLBACK_SETTLE = 0.0
