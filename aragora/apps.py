from django.apps import AppConfig


class AragoraConfig(AppConfig):
    """Project-level checks and signal wiring."""

    name = "aragora"
    verbose_name = "Aragora platform"

    def ready(self) -> None:
        from aragora import checks  # noqa: F401  (registers the system checks)
