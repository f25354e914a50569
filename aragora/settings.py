"""Aragora settings: one module, driven by the environment.

Nothing set means the embedded defaults: SQLite in the project folder, an in-process cache and
Celery tasks run eagerly. ``DATABASE_URL`` and ``REDIS_URL`` switch to service mode (PostgreSQL
and Redis). ``ARAGORA_ENV=production`` refuses to start without its secrets. Nothing here
raises on a bad value: ``aragora/checks.py`` turns each into a system check (``manage.py
check``), and the app refuses to start on any of them (``AragoraConfig.ready``). Every variable
is documented in ``.env.example`` and README.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from aragora import datastores, devsecrets
from aragora.tiers import parse_tiers

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if os.environ.get("ARAGORA_READ_DOTENV", "1") == "1" and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

ENVIRONMENT = env.str("ARAGORA_ENV", default="development")  # anything else: aragora.E002
PRODUCTION = ENVIRONMENT == "production"
# OPS-4: the image build collects static files exactly as production serves them, with no
# secret at all: ARAGORA_ENV=build runs `manage.py collectstatic` and nothing else (every other
# process refuses to start on aragora.E040), and never writes a development secrets file.
BUILD = ENVIRONMENT == "build"

# Django's debug pages only under `manage.py runserver` (not gunicorn, Celery or other commands)
# unless ARAGORA_DEBUG says otherwise; never in production (#10 item 3).
_RUNSERVER = Path(sys.argv[0]).name in {"manage.py", "django-admin"} and sys.argv[1:2] == [
    "runserver"
]
if env.str("ARAGORA_DEBUG", default="").strip():
    DEBUG = env.bool("ARAGORA_DEBUG")
else:
    DEBUG = _RUNSERVER and not PRODUCTION  # DEBUG in production: aragora.E003

# No secret is a constant in the code (#10 item 3). A secret the environment leaves unset (or
# empty) comes, outside production, from a git-ignored file of random values generated once per
# checkout (aragora/devsecrets.py); ARAGORA_DEV_SECRETS_FILE="" turns that off (then an unset
# secret stops start-up). Production never falls back to a generated secret: every unset one is
# listed in UNSET_SECRETS, which stops start-up (aragora.E004). The tests set every secret in
# the environment (tests/settings.py).
DEV_SECRETS_FILE = env.str(
    "ARAGORA_DEV_SECRETS_FILE", default=str(BASE_DIR / "var" / "dev-secrets.env")
)


def _unset(names: list[str]) -> list[str]:
    return [name for name in names if not env.str(name, default="").strip()]


def _dev_secrets() -> dict[str, str]:
    unset = _unset(list(devsecrets.GENERATORS))
    if not unset or PRODUCTION or BUILD or not DEV_SECRETS_FILE:
        return {}
    return devsecrets.load_or_create(BASE_DIR / DEV_SECRETS_FILE, unset)  # relative: to BASE_DIR


_DEV_SECRETS = _dev_secrets()
# The secrets (and, in production, the hosts) neither the environment nor the development file
# gave: a non-empty list refuses start-up (aragora.E004). Names only, never values.
UNSET_SECRETS = [
    name
    for name in _unset((["ARAGORA_ALLOWED_HOSTS"] if PRODUCTION else []) + [*devsecrets.GENERATORS])
    if name not in _DEV_SECRETS
]


def _secret(name: str) -> str:
    return env.str(name, default="").strip() or _DEV_SECRETS.get(name, "")


def _secret_list(name: str) -> list[str]:
    return [value.strip() for value in _secret(name).split(",") if value.strip()]


SECRET_KEY = _secret("ARAGORA_SECRET_KEY")
# Earlier secret keys that still verify what they signed (browser sessions, password-change
# hashes) during a rotation; signing uses SECRET_KEY only (deploy/RUNBOOK.md, "Key rotation").
SECRET_KEY_FALLBACKS = _secret_list("ARAGORA_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env.list(
    "ARAGORA_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
# OPS-1: hosts answered besides those, for in-cluster callers: Prometheus scrapes each web pod
# by its IP (Host: the pod IP), so deploy/k8s/web.yaml passes the pod's own address here.
ALLOWED_HOSTS += env.list("ARAGORA_EXTRA_ALLOWED_HOSTS", default=[])
# Newest first (AUTH-6); in production each needs 32+ characters (aragora.E005).
JWT_SIGNING_KEYS = _secret_list("ARAGORA_JWT_SIGNING_KEYS")
ENCRYPTION_KEYS = _secret_list("ARAGORA_ENCRYPTION_KEYS")  # Fernet, newest first (ENC-2)
TOKEN_PEPPER = _secret("ARAGORA_TOKEN_PEPPER")  # HMAC pepper for token hashes (AUTHZ-2)
# AUDIT-3: HMAC keys sealing the audit trail, newest first (older ones still verify old events);
# in production each needs 32+ characters (aragora.E013).
AUDIT_KEYS = _secret_list("ARAGORA_AUDIT_KEYS")

# --- Applications -----------------------------------------------------------------------------
INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "axes",
    "django_otp",
    "aragora",
    "accounts",
    "audit",
    "abuse",
    "privacy",
    "debates",
]

MIDDLEWARE = [
    # OPS-1: times every request, the other middleware included (label: the view's name).
    "aragora.http.request_metrics.RequestMetricsMiddleware",
    # Outermost but for the timing: headers and the error shape must reach every response,
    # static files included.
    "aragora.http.headers.SecurityHeadersMiddleware",
    # Before anything reads X-Forwarded-*: drops them unless the peer is a trusted proxy.
    "aragora.http.client_ip.ClientIPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "aragora.http.ratelimit_headers.RateLimitHeadersMiddleware",
    "aragora.http.errors.ApiErrorMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Blocked IPs (RATE-4) are refused here: after the headers, before any real work.
    "abuse.middleware.BlockedIPMiddleware",
    # Before anything reads the body: refuse oversized requests from their headers.
    "aragora.http.limits.RequestLimitsMiddleware",
    # Its process_view runs before CSRF, axes and DRF's checks: an unserved method is 405 first.
    "aragora.http.methods.MethodNotAllowedMiddleware",
    "audit.middleware.AuditFlushMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.BrowserSessionMiddleware",
    "accounts.middleware.AdminMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.PasswordExpiryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aragora.urls"
WSGI_APPLICATION = "aragora.wsgi.application"
ASGI_APPLICATION = "aragora.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Data stores ------------------------------------------------------------------------------
SQLITE_PATH = env.str("ARAGORA_SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
SERVICE_DATABASE = DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
if SERVICE_DATABASE:
    # Persistent connections with health checks: a new connection per request cost 5.6x
    # throughput when measured on this kind of machine.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("ARAGORA_DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # WAL lets readers run beside a writer; the tests' server processes use DELETE instead.
    SQLITE_JOURNAL = env.str("ARAGORA_SQLITE_JOURNAL", default="WAL")  # else aragora.E006
    # Only a known mode reaches the PRAGMA (another value refuses start-up anyway).
    _JOURNAL = "DELETE" if SQLITE_JOURNAL == "DELETE" else "WAL"
    DATABASES["default"].setdefault("OPTIONS", {})
    # Wait for a busy writer instead of failing at once; WAL lets readers run beside it.
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "init_command": f"PRAGMA journal_mode={_JOURNAL}; PRAGMA synchronous=NORMAL;",
            # Writers take the lock when the transaction begins, so two transactions that read
            # then write queue up instead of deadlocking (session limit, single-use tokens).
            "transaction_mode": "IMMEDIATE",
        }
    )
# ENC-1: the embedded database is SQLCipher when ARAGORA_SQLITE_KEY is set (or the switch is on:
# then an empty key opens nothing, aragora.E050). Never logged; aragora.E051 refuses a wrong key.
SQLITE_KEY = env.str("ARAGORA_SQLITE_KEY", default="").strip()
SQLITE_ENCRYPTION = env.bool("ARAGORA_SQLITE_ENCRYPTION", default=False) or bool(SQLITE_KEY)
if SQLITE_ENCRYPTION and not SERVICE_DATABASE:
    DATABASES["default"]["ENGINE"] = "aragora.sqlcipher"
    DATABASES["default"]["OPTIONS"]["key"] = SQLITE_KEY
# OPS-3: `manage.py backup` writes into this folder (0700; files 0600) and deletes its own backups
# older than this many days (aragora.E053).
BACKUP_DIR = env.str("ARAGORA_BACKUP_DIR", default=str(BASE_DIR / "var" / "backups"))
BACKUP_RETENTION_DAYS = env.int("ARAGORA_BACKUP_RETENTION_DAYS", default=14)
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # failure audit events must survive (STYLE)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ENC-1: a rediss:// URL always verifies the server's certificate (aragora/datastores.py).
REDIS_URL = datastores.redis_url(env.str("REDIS_URL", default=""))
SERVICE_CACHE = bool(REDIS_URL)
if SERVICE_CACHE:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "aragora",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Counters and blocks live here in embedded mode: Django's default of 300 entries
            # would evict them under load, and an evicted counter or block fails open.
            "OPTIONS": {"MAX_ENTRIES": 200_000},
        }
    }
# A per-process cache: the fail-closed fallback when Redis is unreachable.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "aragora-local",
    "OPTIONS": {"MAX_ENTRIES": 200_000},
}
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if SERVICE_CACHE
    else "django.contrib.sessions.backends.db"
)

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = datastores.redis_url(
    env.str("ARAGORA_CELERY_BROKER_URL", default=REDIS_URL or "memory://")
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("ARAGORA_CELERY_EAGER", default=not SERVICE_CACHE)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "purge-expired-revocations": {
        "task": "accounts.tasks.purge_expired_revocations",
        "schedule": 3600.0,
    },
    "purge-idle-lockouts": {"task": "accounts.tasks.purge_idle_lockouts", "schedule": 3600.0},
    "purge-expired-debates": {"task": "debates.tasks.purge_expired_debates", "schedule": 86400.0},
    "purge-audit-trail": {"task": "audit.tasks.purge_audit_trail", "schedule": 3600.0},
    # PRIV-5: export archives at expiry (hourly), session records 30 days after they end.
    "purge-expired-exports": {"task": "privacy.tasks.purge_expired_exports", "schedule": 3600.0},
    "purge-ended-sessions": {"task": "accounts.tasks.purge_ended_sessions", "schedule": 86400.0},
    # AUDIT-3, OPS-1: the whole trail's seals and chains, daily; /metrics shows the result.
    "verify-audit-trail": {"task": "audit.tasks.verify_audit_trail", "schedule": 86400.0},
    # AUDIT-1 (#14 item 4): the exact summary of each closed minute of refusals.
    "flush-aggregated-refusals": {
        "task": "audit.tasks.flush_aggregated_refusals",
        "schedule": 60.0,
    },
}

# --- Authentication and passwords -------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# PWD-2: every validator runs, so every broken rule is reported at once.
PASSWORD_COMPOSITION = env.bool("ARAGORA_PASSWORD_COMPOSITION", default=True)
PASSWORD_MAX_AGE_DAYS = env.int("ARAGORA_PASSWORD_MAX_AGE_DAYS", default=0)  # 0 = no expiry
PASSWORD_HISTORY = 5
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["email"]},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "accounts.validators.CompositionValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "accounts.validators.PasswordHistoryValidator",
        "OPTIONS": {"count": PASSWORD_HISTORY},
    },
]
# django-axes first: locked keys are refused before any password is hashed (LOCK-2, PWD-3).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOCKOUT_TIERS = parse_tiers(env.str("ARAGORA_LOCKOUT_TIERS", default="5:60,10:900,15:3600"))
# LOCK-3: an attempt whose key's budget is held only by attempts in flight waits this long for
# a slot before 429. After Redis is lost (or restarts empty) nothing new is reserved for the
# settle period: attempts it had reserved may still be in flight (at most the 60 s lifetime of
# a reservation). Fail closed; shorten only if password checks surely finish sooner.
LOCKOUT_WAIT = env.float("ARAGORA_LOCKOUT_WAIT", default=5.0)
# LOCK-3 (#10 red team 2): at most this many attempts wait for a slot per email or IP key;
# the next get 429 at once, so a flood cannot park every worker thread for LOCKOUT_WAIT.
LOCKOUT_MAX_WAITERS = env.int("ARAGORA_LOCKOUT_MAX_WAITERS", default=10)
LOCKOUT_FALLBACK_SETTLE = env.float("ARAGORA_LOCKOUT_FALLBACK_SETTLE", default=60.0)
AXES_HANDLER = "accounts.lockout.handler.AragoraAxesHandler"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.responses.axes_lockout_response"
AXES_CLIENT_IP_CALLABLE = "aragora.http.client_ip.client_ip"
AXES_VERBOSE = False
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/accounts/sessions/"
ALLOW_SIGNUP = env.bool("ARAGORA_ALLOW_SIGNUP", default=True)

# --- MFA (MFA-1..7) ---------------------------------------------------------------------------
MFA_ISSUER = env.str("ARAGORA_MFA_ISSUER", default="Aragora")
MFA_CHALLENGE_TTL = env.int("ARAGORA_MFA_CHALLENGE_TTL", default=300)
STEP_UP_MAX_AGE = env.int("ARAGORA_STEP_UP_MAX_AGE", default=300)
MFA_REQUIRED_ROLES = env.list("ARAGORA_MFA_REQUIRED_ROLES", default=["admin"])
BACKUP_CODE_COUNT = 10

# --- Tokens and sessions (AUTH, SESS) ---------------------------------------------------------
JWT_ALGORITHM = env.str("ARAGORA_JWT_ALGORITHM", default="HS256")  # HS256/384/512: aragora.E007
JWT_ISSUER = env.str("ARAGORA_JWT_ISSUER", default="aragora")
JWT_AUDIENCE = env.str("ARAGORA_JWT_AUDIENCE", default="aragora-api")
ACCESS_TOKEN_TTL = env.int("ARAGORA_ACCESS_TOKEN_TTL", default=900)
SESSION_TIMEOUT = env.int("ARAGORA_SESSION_TIMEOUT", default=24 * 3600)
# AUTH-3, #10 item 5: a consumed refresh token presented again within this many seconds is
# refused without revoking its family (a client racing itself); later, reuse revokes it.
REFRESH_REUSE_GRACE = env.float("ARAGORA_REFRESH_REUSE_GRACE", default=2.0)  # 0-60: E008
# 0 = off; else at least two activity intervals (aragora.E009).
SESSION_IDLE_TIMEOUT = env.int("ARAGORA_SESSION_IDLE_TIMEOUT", default=0)
MAX_SESSIONS = env.int("ARAGORA_MAX_SESSIONS", default=10)
SESSION_ACTIVITY_INTERVAL = 60  # SESS-4: at most one activity write a minute per session
# AUTHZ-2, #10 item 4: API tokens expire; no `expires_in_days` means this many days, more is
# refused. A token that never expires only where the operator allows it (then `never_expires`).
API_TOKEN_MAX_DAYS = env.int("ARAGORA_API_TOKEN_MAX_DAYS", default=90)  # 1 or more: E010
API_TOKEN_ALLOW_NO_EXPIRY = env.bool("ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY", default=False)
# How long a process trusts its own "not revoked" answer before asking Redis again (AUTH-4).
REVOCATION_LOCAL_TTL = env.float("ARAGORA_REVOCATION_LOCAL_TTL", default=0.5)
# How often each process asks the database whether a failed Redis write left a shared cache
# (blocks, revocations) untrusted: the bound on how late such a write reaches every process.
UNTRUSTED_CACHE_CHECK = env.float("ARAGORA_UNTRUSTED_CACHE_CHECK", default=1.0)
ACCESS_COOKIE_NAME = "aragora_access"
REFRESH_COOKIE_NAME = "aragora_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth/"

# --- Internationalisation and static files ----------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION or BUILD
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve straight from the apps' folders outside production, so `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = not (PRODUCTION or BUILD)
WHITENOISE_AUTOREFRESH = DEBUG

# --- HTTP security (HDR-1..3) -----------------------------------------------------------------
# HDR-1: the one definition of these header values; SecurityHeadersMiddleware puts them on every
# response (aragora/http/headers.py), Django's own middleware reads them too.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_AGE = SESSION_TIMEOUT
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SAMESITE = "Strict"
CSRF_TRUSTED_ORIGINS = env.list("ARAGORA_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("ARAGORA_SSL_REDIRECT", default=PRODUCTION)
# Cluster probes and Prometheus (scraping each pod, OPS-1) speak plain HTTP on the pod network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("ARAGORA_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION

# LOCK-6: proxies whose X-Forwarded-For / X-Forwarded-Proto we believe (IPs or CIDR blocks).
TRUSTED_PROXIES = env.list("ARAGORA_TRUSTED_PROXIES", default=[])
# Per-IP lockout counters, rate limits and blocks count an IPv6 client by its network of this
# many bits (one subscriber holds a whole /64); IPv4 clients count by their address.
IPV6_PREFIX = env.int("ARAGORA_IPV6_PREFIX", default=64)
if TRUSTED_PROXIES:
    # Only honoured from a trusted peer: ClientIPMiddleware strips it from everyone else.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# CSP through django-csp 4: strict by default; each list variable adds sources.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, *env.list("ARAGORA_CSP_SCRIPT_SRC", default=[])],
        "style-src": [SELF, *env.list("ARAGORA_CSP_STYLE_SRC", default=[])],
        "img-src": [SELF, "data:", *env.list("ARAGORA_CSP_IMG_SRC", default=[])],
        "connect-src": [SELF, *env.list("ARAGORA_CSP_CONNECT_SRC", default=[])],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if _csp_report_uri := env.str("ARAGORA_CSP_REPORT_URI", default=""):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [_csp_report_uri]

# HDR-2: CORS only from the listed origins; a wildcard is refused in production (checks.py).
ALLOWED_ORIGINS = env.list("ARAGORA_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_ALL_ORIGINS = "*" in ALLOWED_ORIGINS and not PRODUCTION
CORS_ALLOWED_ORIGINS = [origin for origin in ALLOWED_ORIGINS if origin != "*"]
CORS_ALLOW_CREDENTIALS = not CORS_ALLOW_ALL_ORIGINS
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = [
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Retry-After",
]

# --- Request limits (LIMIT-1/2) ---------------------------------------------------------------
MAX_REQUEST_BYTES = env.int("ARAGORA_MAX_REQUEST_BYTES", default=100 * 1024 * 1024)
MAX_JSON_BYTES = env.int("ARAGORA_MAX_JSON_BYTES", default=10 * 1024 * 1024)
MAX_MULTIPART_PARTS = env.int("ARAGORA_MAX_MULTIPART_PARTS", default=100)
MAX_JSON_DEPTH = env.int("ARAGORA_MAX_JSON_DEPTH", default=64)
# Django's own guards, aligned with ours so whichever trips first gives the same answer.
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_JSON_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = MAX_MULTIPART_PARTS
DATA_UPLOAD_MAX_NUMBER_FILES = MAX_MULTIPART_PARTS
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads spool to a temporary file
# INPUT-1: attachments, capped while streaming, stored outside any served path.
UPLOAD_MAX_BYTES = env.int("ARAGORA_UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
UPLOAD_TYPES = env.list("ARAGORA_UPLOAD_TYPES", default=["pdf", "png", "jpeg", "txt", "md"])
# Production keeps them outside the application folder, which is read-only in the image (OPS-4;
# one inside it is refused: aragora.E041).
UPLOAD_DIR = env.str(
    "ARAGORA_UPLOAD_DIR",
    default="/var/lib/aragora/uploads" if PRODUCTION else str(BASE_DIR / "var" / "uploads"),
)
# PRIV-5: debates older than this many days are purged (0, the default: kept forever).
DEBATE_RETENTION_DAYS = env.int("ARAGORA_DEBATE_RETENTION_DAYS", default=0)
# PRIV-3: data export archives. A private directory (never under static files, media or the
# uploads: aragora.E030), shared by the web processes and the Celery workers; a relative path is
# taken from the project folder. Archives are kept this many days (aragora.E031), then expired.
EXPORT_DIR = env.str("ARAGORA_EXPORT_DIR", default=str(BASE_DIR / "var" / "exports"))
EXPORT_TTL_DAYS = env.int("ARAGORA_EXPORT_TTL_DAYS", default=7)
# An export still pending or running after this many seconds (a lost task, a dead worker) is
# marked failed by the retention job, so the user may ask again (aragora.E032).
EXPORT_MAX_BUILD_SECONDS = env.int("ARAGORA_EXPORT_MAX_BUILD_SECONDS", default=3600)
# PRIV-5: session records (and their refresh tokens) are deleted this many days after the
# session ended or expired (aragora.E033).
SESSION_RETENTION_DAYS = env.int("ARAGORA_SESSION_RETENTION_DAYS", default=30)
# PRIV-5: expired debates deleted per transaction by the purge, with their attachments and
# sources (aragora.E016: 1 to 100000); bounds lock time and the purge's memory.
DEBATE_PURGE_BATCH_SIZE = env.int("ARAGORA_DEBATE_PURGE_BATCH_SIZE", default=2000)
# INPUT-4: hosts (host, host:port or CIDR) the source fetcher may reach despite the SSRF guard.
FETCH_ALLOWED_HOSTS = env.list("ARAGORA_FETCH_ALLOWED_HOSTS", default=[])
# INPUT-4: one deadline in seconds for a whole source fetch (connect, TLS, headers, body).
FETCH_TIMEOUT = env.float("ARAGORA_FETCH_TIMEOUT", default=5.0)

# AUDIT-1: refused requests are audited sampled per client and minute; past this many rows of
# one event type in a minute (a flood from many addresses) only every 10th, 100th... is written.
AUDIT_AGGREGATE_MAX_ROWS = env.int("ARAGORA_AUDIT_AGGREGATE_MAX_ROWS", default=100)
# AUDIT-5: who may read the trail through the API (dotted DRF permission classes, all must
# pass). Wiring, not a tunable: ``audit`` sits below ``accounts`` and cannot import its roles.
AUDIT_API_PERMISSION_CLASSES = ["accounts.permissions.IsAdminRole"]
# AUDIT-4, PRIV-5: days kept; the security log (login attempts, lockouts, MFA verifications,
# refused requests) and the rest of the audit trail (aragora.E014, aragora.E015).
SECURITY_LOG_RETENTION_DAYS = env.int("ARAGORA_SECURITY_LOG_RETENTION_DAYS", default=90)
AUDIT_RETENTION_DAYS = env.int("ARAGORA_AUDIT_RETENTION_DAYS", default=365)
# AUDIT-4: rows deleted per transaction by the audit purge (aragora.E016).
AUDIT_PURGE_BATCH_SIZE = env.int("ARAGORA_AUDIT_PURGE_BATCH_SIZE", default=5000)

# --- Rate limits (RATE-1..3) ------------------------------------------------------------------
RATE_LIMITS = {
    "auth": env.str("ARAGORA_RATE_LIMIT_AUTH", default="10/m"),
    "debates": env.str("ARAGORA_RATE_LIMIT_DEBATES", default="30/m"),
    "default": env.str("ARAGORA_RATE_LIMIT_DEFAULT", default="100/m"),
    "upload": env.str("ARAGORA_RATE_LIMIT_UPLOAD", default="5/m"),
    # PRIV-3: data export requests, per user (each builds a whole archive).
    "export": env.str("ARAGORA_RATE_LIMIT_EXPORT", default="5/d"),
}
RATELIMIT_ENABLE = env.bool("ARAGORA_RATE_LIMIT_ENABLE", default=True)
# RATE-4: escalation to blocks, and the severe-abuse blocklist.
ESCALATION_STRIKES = env.int("ARAGORA_ESCALATION_STRIKES", default=20)
ESCALATION_WINDOW = env.int("ARAGORA_ESCALATION_WINDOW", default=300)
BLOCK_BASE_SECONDS = env.int("ARAGORA_BLOCK_BASE_SECONDS", default=60)
SEVERE_ABUSE_STRIKES = env.int("ARAGORA_SEVERE_ABUSE_STRIKES", default=500)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_CACHE_PREFIX = "rl:"

# --- REST framework and OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.authentication.BrowserSessionAuthentication",
    ],
    # AUTHZ-1: deny by default; every view states what it needs.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["aragora.ratelimit.RatePolicyThrottle"],
    "DEFAULT_PARSER_CLASSES": [
        "aragora.http.json.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "aragora.http.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
PUBLIC_API_DOCS = env.bool("ARAGORA_PUBLIC_API_DOCS", default=not PRODUCTION)
SPECTACULAR_SETTINGS = {
    "TITLE": "Aragora API",
    "DESCRIPTION": "Aragora security platform. Errors: {error: {code, message, details}}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Logging (PWD-4: secrets redacted from every record) -------------------------------------
LOG_LEVEL = env.str("ARAGORA_LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("ARAGORA_LOG_FORMAT", default="json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "aragora.logging.RedactSecretsFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Route Django's own loggers through the redacting handler instead of their defaults.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
    },
}

# --- Metrics and errors (OPS-1) ---------------------------------------------------------------
# ``GET /metrics`` (Prometheus text) answers clients from these networks (IPs or CIDRs; the
# client IP of aragora.http.client_ip, so a trusted proxy's X-Forwarded-For counts), and API
# tokens with the ``admin`` scope whose owner holds the admin role; everyone else gets 404.
# Each entry is checked at start (aragora.E045).
METRICS_ALLOWED_IPS = env.list("ARAGORA_METRICS_ALLOWED_IPS", default=[])
# Who may read /metrics with an API token (dotted DRF permissions, all must pass): wiring, not
# a tunable (``aragora`` cannot import accounts' roles). Empty denies every token.
METRICS_TOKEN_PERMISSION_CLASSES = ["accounts.permissions.IsAdminRole"]
# prometheus-client's multiprocess mode (gunicorn workers and Celery add up): read from the
# environment by the library itself; checked here to be a writable directory (aragora.E046).
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if not (
    PROMETHEUS_MULTIPROC_DIR
    and os.path.isdir(PROMETHEUS_MULTIPROC_DIR)
    and os.access(PROMETHEUS_MULTIPROC_DIR, os.W_OK | os.X_OK)
):
    # Empty (a copied .env) means unset. A missing or read-only directory would crash the
    # first import of the metrics, before aragora.E046 could say why: the library counts in
    # one process instead, and that check stops the process from starting.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
# Errors to Sentry (optional): every event and breadcrumb passes the log redaction first
# (aragora.errortracking). Empty = off. A DSN that does not parse stops start-up (aragora.E047).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("ARAGORA_SENTRY_ENVIRONMENT", default="") or ENVIRONMENT
# Share of requests traced for performance (0 = errors only; aragora.E048: between 0 and 1).
SENTRY_TRACES_SAMPLE_RATE = env.float("ARAGORA_SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from aragora.errortracking import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
