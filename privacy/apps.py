from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """GDPR/CCPA rights: consents, do-not-sell, export, erasure (built in a later issue)."""

    name = "privacy"
    verbose_name = "Privacy"
