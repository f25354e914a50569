from django.apps import AppConfig

from aragora.hooks import plug_rejection_sink


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import the models, which the app
        # registry only allows once every app is loaded.
        from audit import retention
        from audit.events import AUDIT, SECURITY
        from audit.rejections import record_rejection

        plug_rejection_sink(record_rejection)  # AUDIT-1: the HTTP layer's refusals
        retention.register_job("audit.security_log", lambda: retention.purge_chain(SECURITY))
        retention.register_job("audit.trail", lambda: retention.purge_chain(AUDIT))
