"""Settings for the benchmarks: the project's, plus DRF's authtoken app as the baseline."""

from aragora.settings import *  # noqa: F403
from aragora.settings import INSTALLED_APPS, RATE_LIMITS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]
ROOT_URLCONF = "bench.urls"
RATE_LIMITS = {**RATE_LIMITS, "default": "1000000/m"}  # measure the checks, never a 429
ALLOWED_HOSTS = ["testserver"]
DEBUG = False
