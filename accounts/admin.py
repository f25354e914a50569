from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from accounts import admin_lockouts  # noqa: F401  (registers the lockout page)
from accounts.api_helpers import signed_in_user
from accounts.forms import UserCreateForm, UserEditForm
from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from accounts.roles import Role, StaffFlags
from accounts.services import mfa, stepup
from accounts.services.auth import deactivate_user, password_set_by_admin
from accounts.services.roles import (
    Access,
    access_of,
    apply_access_change,
    group_state,
    record_group_change,
)
from aragora.http.client_ip import client_info

_NO_ACCESS = Access(roles=[], groups=[], flags=StaffFlags(is_staff=False, is_superuser=False))


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin, keyed by email. ``is_staff``/``is_superuser`` are shown, never
    edited: they follow the roles (groups), so superuser status needs the admin role."""

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
    readonly_fields = ("is_staff", "is_superuser", "last_login", "date_joined")
    actions = ["reset_mfa"]

    @admin.action(description="Reset MFA (remove devices and backup codes, end sessions)")
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """MFA-7 from the admin: only right after the acting admin's own step-up."""
        actor = signed_in_user(request)
        session_id = request.session.get(SESSION_ID_KEY)
        if stepup.check(user=actor, session_id=session_id) is not stepup.Gate.OK:
            self.message_user(
                request,
                "Confirm it is you first at /accounts/mfa/verify/, then repeat the action.",
                level=messages.ERROR,
            )
            return
        for user in queryset:
            mfa.admin_reset(target=user, actor=actor, client=client_info(request))
        self.message_user(request, f"MFA reset for {queryset.count()} user(s).")

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """No raw delete (#10 item 12, AUDIT-1, AUDIT-3): it wrote no audit event and set the
        actor of every event the user had made to nothing. Deactivate the account instead
        (audited; its sessions and tokens end)."""
        return False

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Setting or removing a password here is a password change (SESS-2, #10 item 4): the
        user's sessions and API tokens end and the change is audited, as on the user's own
        page. Django's view alone would leave every JWT session and API token alive."""
        target = self.get_object(request, unquote(id))  # None for an unknown or malformed id
        response = super().user_change_password(request, id, form_url)
        user = User.objects.filter(pk=target.pk).first() if target is not None else None
        if user is not None and target is not None and user.password != target.password:
            actor = signed_in_user(request)
            own = user.pk == actor.pk
            password_set_by_admin(
                user=user,
                actor=actor,
                client=client_info(request),
                keep_session_id=request.session.get(SESSION_ID_KEY) if own else None,
            )
        return response

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        """Group edits made here go through the roles service like the API's: the staff
        flags follow, a demotion ends the user's sessions, and every change is audited."""
        before = access_of(form.instance) if change else _NO_ACCESS
        super().save_related(request, form, formsets, change)
        actor = signed_in_user(request)
        apply_access_change(
            user=form.instance, before=before, actor=actor, client=client_info(request)
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: Any) -> None:
        """Deactivating an account from the admin ends its sessions and tokens (AUTH-4)."""
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            deactivate_user(user=obj, actor=signed_in_user(request), client=client_info(request))


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Role groups are defined in code (``ROLE_PERMISSIONS``, re-applied after every migrate):
    read-only here. Edits of other groups are audited (AUDIT-1: permission changes)."""

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return not _is_role(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return not _is_role(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # a bulk delete could take role groups along
        return actions

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        # save_model has stored the new name already; the permissions are not saved yet.
        before = {**group_state(form.instance), "name": form.initial["name"]} if change else None
        super().save_related(request, form, formsets, change)
        after = group_state(form.instance)
        record_group_change(
            group=form.instance,
            before=before,
            after=after,
            actor=signed_in_user(request),
            client=client_info(request),
        )

    def delete_model(self, request: HttpRequest, obj: Group) -> None:
        before = group_state(obj)
        record_group_change(
            group=obj,
            before=before,
            after=None,
            actor=signed_in_user(request),
            client=client_info(request),
        )
        super().delete_model(request, obj)


def _is_role(group: Group | None) -> bool:
    return group is not None and group.name in Role.values
