from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which the app registry
        # only allows once every app is loaded (no cycle to dodge).
        from accounts import schema, signals  # noqa: F401  (adapters and schema extensions)
        from accounts.services.roles import sync_role_permissions  # imports models (see above)

        # Permissions exist only after every app migrated, so the role grants follow them.
        post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_roles")
