from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import admin_lockouts  # noqa: F401  (registers the lockout page)
from accounts.forms import UserCreateForm, UserEditForm
from accounts.models import User
from accounts.services.auth import deactivate_user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, keyed by email."""

    form = UserEditForm
    add_form = UserCreateForm
    ordering = ("email",)
    list_display = ("email", "is_active", "is_staff", "date_joined", "last_login")
    search_fields = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """Deactivating an account from the admin ends its sessions and tokens (AUTH-4)."""
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            deactivate_user(user=obj, actor=request.user, request=request)
