from django.apps import AppConfig


class DebatesConfig(AppConfig):
    """The protected domain: debates, their attachments and sources."""

    name = "debates"
    verbose_name = "Debates"

    def ready(self) -> None:
        from audit.retention import register_job
        from debates import services  # needs the models: after the app registry is ready

        register_job("debates.debates", services.purge_expired)  # PRIV-5
