"""ENC-1: Redis over TLS (``rediss://`` with a password) and PostgreSQL with
``sslmode=verify-full``: the clients the settings build from the URLs verify the server, and
production warns (``check --deploy`` fails) about a remote store reached without them."""

from __future__ import annotations

import json
import ssl

import pytest
from django.core import checks as django_checks

from aragora import checks, datastores
from tests.ops import manage

CA = "/etc/aragora/redis-ca.pem"
# Built by the real settings in a process of their own: the cache's redis-py connection, the
# Celery broker's kombu connection and the PostgreSQL connection parameters.
CLIENTS = """
import json
from django.core.cache import caches
from django.db import connection
from aragora.celery import app
client = caches["default"].client
factory = client.connection_factory
pool = factory.get_or_create_connection_pool(factory.make_connection_params(client._server[0]))
redis = pool.connection_class(**pool.connection_kwargs)
broker = app.connection_for_write()
print(json.dumps({
    "cache": [type(redis).__name__, int(redis.cert_reqs), redis.ca_certs, redis.check_hostname,
              redis.password, redis.host, redis.port],
    "broker": [broker.transport_cls, int(broker.ssl["ssl_cert_reqs"]),
               broker.ssl.get("ssl_ca_certs"), broker.password],
    "postgres": {k: v for k, v in connection.get_connection_params().items()
                 if k in ("sslmode", "sslrootcert", "host")},
}))
"""


def clients(**env: str) -> dict[str, list[object]]:
    result = manage("shell", "-c", CLIENTS, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "query", [f"?ssl_cert_reqs=required&ssl_ca_certs={CA}", f"?ssl_ca_certs={CA}"]
)
def test_rediss_urls_build_verifying_tls_clients(query):
    """With or without ``ssl_cert_reqs``: kombu alone would not verify without it."""
    built = clients(
        REDIS_URL=f"rediss://:s3cret@redis.example.com:6380/0{query}",
        DATABASE_URL="postgres://app@db.example.com/aragora?sslmode=verify-full"
        "&sslrootcert=/etc/aragora/pg-ca.pem",
    )
    required = int(ssl.CERT_REQUIRED)
    assert built["cache"] == [
        "SSLConnection",
        required,
        CA,
        True,
        "s3cret",
        "redis.example.com",
        6380,
    ]
    assert built["broker"] == ["rediss", required, CA, "s3cret"]
    assert built["postgres"] == {
        "host": "db.example.com",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/aragora/pg-ca.pem",
    }


def test_redis_url_adds_verification_only_to_tls_urls_without_it():
    assert datastores.redis_url("redis://h:6379/0") == "redis://h:6379/0"
    assert datastores.redis_url("rediss://h/0?ssl_cert_reqs=none") == (
        "rediss://h/0?ssl_cert_reqs=none"
    )
    assert datastores.redis_url("rediss://:p@h/0") == "rediss://:p@h/0?ssl_cert_reqs=required"
    assert datastores.redis_url("") == ""


def _ids() -> set[str]:
    return {m.id for m in django_checks.run_checks(tags=[checks.TAG]) if m.id}


@pytest.mark.parametrize(
    ("redis_url", "expected"),
    [
        ("redis://:pw@redis.internal:6379/0", {"aragora.W054"}),
        ("rediss://:pw@redis.internal:6380/0?ssl_cert_reqs=none", {"aragora.W055"}),
        ("rediss://redis.internal:6380/0?ssl_cert_reqs=required", {"aragora.W056"}),
        ("redis://redis.internal:6379/0", {"aragora.W054", "aragora.W056"}),
        ("rediss://:pw@redis.internal:6380/0?ssl_cert_reqs=required", set()),
        ("redis://127.0.0.1:6379/0", set()),
        ("redis://localhost:6379/0", set()),
        ("redis://[::1]:6379/0", set()),
    ],
)
def test_production_warns_about_redis_without_tls_verification_or_password(
    settings, redis_url, expected
):
    settings.PRODUCTION = True
    settings.REDIS_URL = settings.CELERY_BROKER_URL = datastores.redis_url(redis_url)
    assert _ids() == expected


def test_no_such_warning_outside_production(settings):
    settings.REDIS_URL = "redis://redis.internal:6379/0"
    assert _ids() == set()


@pytest.mark.parametrize(
    ("host", "options", "warned"),
    [
        ("db.internal", {}, True),
        ("db.internal", {"sslmode": "require"}, True),
        ("db.internal", {"sslmode": "verify-ca"}, True),
        ("db.internal", {"sslmode": "verify-full", "sslrootcert": "/ca.pem"}, False),
        ("127.0.0.1", {}, False),
        ("/var/run/postgresql", {}, False),
    ],
)
def test_production_warns_about_postgresql_without_verify_full(settings, host, options, warned):
    settings.PRODUCTION = True
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {
            **settings.DATABASES["default"],
            "ENGINE": "django.db.backends.postgresql",
            "HOST": host,
            "OPTIONS": options,
        },
    }
    assert ("aragora.W057" in _ids()) is warned


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"SQLITE_ENCRYPTION": True, "SQLITE_KEY": "", "SERVICE_DATABASE": False}, "aragora.E050"),
        (
            {
                "SQLITE_ENCRYPTION": True,
                "SQLITE_KEY": "short passphrase",
                "PRODUCTION": True,
                "SERVICE_DATABASE": False,
            },
            "aragora.E052",
        ),
        ({"BACKUP_RETENTION_DAYS": 0}, "aragora.E053"),
    ],
)
def test_encryption_and_backup_settings_are_checked(settings, overrides, check_id):
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert check_id in _ids()


def test_secret_key_fallbacks_keep_sessions_signed_with_the_old_key_valid():
    """Key rotation (deploy/RUNBOOK.md): a value signed under the old ARAGORA_SECRET_KEY still
    verifies once the old key is listed in ARAGORA_SECRET_KEY_FALLBACKS, and not otherwise."""
    old, new = "old-" + "k" * 60, "new-" + "n" * 60
    sign = "from django.core import signing; import json; print(json.dumps(signing.dumps('s')))"
    signed = json.loads(manage("shell", "-c", sign, ARAGORA_SECRET_KEY=old).stdout.splitlines()[-1])
    check = (
        "from django.core import signing; import json\n"
        f"try:\n    print(json.dumps(signing.loads({signed!r})))\n"
        "except signing.BadSignature:\n    print(json.dumps(None))"
    )
    rotated = manage("shell", "-c", check, ARAGORA_SECRET_KEY=new, ARAGORA_SECRET_KEY_FALLBACKS=old)
    assert json.loads(rotated.stdout.splitlines()[-1]) == "s"
    dropped = manage("shell", "-c", check, ARAGORA_SECRET_KEY=new)
    assert json.loads(dropped.stdout.splitlines()[-1]) is None
