"""WSGI entry point. Runs the system checks first so an unsafe configuration never serves."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aragora.settings")

application = get_wsgi_application()

from aragora.checks import fail_on_errors  # noqa: E402  (needs the app registry)

fail_on_errors()
