"""The baseline: a stock DRF project (``django-admin startproject`` middleware, DRF's
TokenAuthentication, django-ratelimit on Django's own Redis cache). Everything from the
environment that ``bench/http_bench.py`` sets: BASELINE_DATABASE_URL, BASELINE_REDIS_URL,
BASELINE_SECRET_KEY. Persistent connections with health checks, as the project has them, so
the comparison is about the request path, not about connecting."""

import os

import environ

env = environ.Env()
SECRET_KEY = os.environ["BASELINE_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "bench.baseline",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "bench.baseline.urls"
DATABASES = {"default": env.db("BASELINE_DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["BASELINE_REDIS_URL"],
    }
}
RATELIMIT_USE_CACHE = "default"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
