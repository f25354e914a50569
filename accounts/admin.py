from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import admin_lockouts  # noqa: F401  (registers the lockout page)
from accounts.forms import UserCreateForm, UserEditForm
from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from accounts.services import mfa, stepup
from accounts.services.auth import deactivate_user
from accounts.services.roles import record_change


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
    actions = ["reset_mfa"]

    @admin.action(description="Reset MFA (remove devices and backup codes, end sessions)")
    def reset_mfa(self, request, queryset):  # type: ignore[no-untyped-def]
        """MFA-7 from the admin: only right after the acting admin's own step-up."""
        session_id = request.session.get(SESSION_ID_KEY)
        if stepup.check(user=request.user, session_id=session_id) is not stepup.Gate.OK:
            self.message_user(
                request,
                "Confirm it is you first at /accounts/mfa/verify/, then repeat the action.",
                level=messages.ERROR,
            )
            return
        for user in queryset:
            mfa.admin_reset(target=user, actor=request.user, request=request)
        self.message_user(request, f"MFA reset for {queryset.count()} user(s).")

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        """Role changes made here are audited like those made through the API (AUTHZ-1)."""
        before = User.objects.get(pk=form.instance.pk).roles if change else []
        super().save_related(request, form, formsets, change)
        record_change(user=form.instance, before=before, actor=request.user, request=request)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        """Deactivating an account from the admin ends its sessions and tokens (AUTH-4)."""
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            deactivate_user(user=obj, actor=request.user, request=request)
