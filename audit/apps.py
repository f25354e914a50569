from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from audit import retention  # needs the models: after the app registry is ready
        from audit.events import AUDIT, SECURITY

        retention.register_job("audit.security_log", lambda: retention.purge_chain(SECURITY))
        retention.register_job("audit.trail", lambda: retention.purge_chain(AUDIT))
