import sys
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class AragoraConfig(AppConfig):
    """Project-level checks and signal wiring."""

    name = "aragora"
    verbose_name = "Aragora platform"

    def ready(self) -> None:
        from aragora import checks  # registers the system checks, once the registry is ready

        # Every process refuses an unsafe configuration at start (gunicorn and Celery run no
        # system checks); `manage.py check` instead reports each problem with its id.
        # Build mode (the image build, OPS-4) runs collectstatic and nothing else: aragora.E040
        # refuses every other process.
        if not (_is_command("check") or (settings.BUILD and _is_command("collectstatic"))):
            checks.refuse_to_start()
        from aragora import metrics  # reads the models: imported once the registry is ready

        metrics.connect_task_signals()  # OPS-1: every Celery task run is counted


def _is_command(name: str) -> bool:
    return Path(sys.argv[0]).name in {"manage.py", "django-admin"} and sys.argv[1:2] == [name]
