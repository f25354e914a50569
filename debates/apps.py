from django.apps import AppConfig


class DebatesConfig(AppConfig):
    """The protected domain: debates, their attachments and sources."""

    name = "debates"
    verbose_name = "Debates"
