from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which the app registry
        # only allows once every app is loaded (no cycle to dodge).
        from accounts import revocation, schema, signals  # noqa: F401  (adapters, schema)
        from accounts.lockout import service as lockout  # a retention job: models, so ready
        from accounts.services.retention import purge_ended_sessions  # a retention job
        from accounts.services.roles import sync_role_permissions  # imports models (see above)
        from audit.retention import register_job  # audit's models need the registry too

        # PRIV-5: manage.py purge_retention runs these with every other retention job.
        register_job("accounts.revocations", revocation.purge_expired)
        register_job("accounts.lockouts", lockout.purge_idle)
        register_job("accounts.sessions", purge_ended_sessions)

        # Permissions exist only after every app migrated, so the role grants follow them.
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_roles")
