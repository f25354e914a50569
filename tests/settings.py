"""Test settings: the project's settings, a file-backed SQLite test database (so server
subprocesses can share it) and a test-only URL conf for probing the HTTP layer."""

import os

os.environ["ARAGORA_READ_DOTENV"] = "0"  # a developer's .env must not change the tests

from aragora.settings import *  # noqa: F403
from aragora.settings import BASE_DIR, DATABASES, SERVICE_DATABASE

if not SERVICE_DATABASE:
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # Server subprocesses share this file with the test process; the rollback journal copes
    # with processes coming and going better than WAL's shared-memory index does.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=DELETE;"

ROOT_URLCONF = "tests.urls"
UPLOAD_DIR = str(BASE_DIR / "var" / "test-uploads")
