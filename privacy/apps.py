from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """GDPR/CCPA rights: consents (PRIV-1), do-not-sell (PRIV-2), and the registry of personal
    data that export (PRIV-3) and erasure (PRIV-4) walk."""

    name = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        # Imported here: the providers import every app's models, which need the registry ready.
        from audit.retention import register_job
        from privacy import exports
        from privacy.providers import register_all

        register_all()
        register_job("privacy.exports", exports.purge_expired_exports)  # PRIV-5
