"""The Celery application. Embedded mode runs tasks eagerly (``CELERY_TASK_ALWAYS_EAGER``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aragora.settings")

app = Celery("aragora")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
