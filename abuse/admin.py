"""The Django admin for blocked clients (RATE-4)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from abuse import services as abuse
from abuse.models import ClientBlock
from accounts.api_helpers import signed_in_user
from aragora.http.client_ip import client_info


@admin.register(ClientBlock)
class ClientBlockAdmin(admin.ModelAdmin):
    """Blocked clients (RATE-4): visible, and cleared only through the audited service.

    No raw delete (issue #10 item 12): Django's delete page and bulk delete would remove the
    row with no audit event and leave the block in the cache. The "clear" action calls
    ``abuse.clear``, which drops the row and the cached block and records the event; it needs
    the ``delete_clientblock`` permission, which the admin role holds.
    """

    list_display = ("key", "reason", "level", "created_at", "expires_at")
    list_filter = ("reason",)
    search_fields = ("key",)
    actions = ["clear_blocks"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # the delete page and bulk delete bypass the audit and the cache

    def has_clear_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("abuse.delete_clientblock"))

    @admin.action(description="Clear the selected blocks", permissions=["clear"])
    def clear_blocks(self, request: HttpRequest, queryset: QuerySet[ClientBlock]) -> None:
        keys = list(queryset.values_list("key", flat=True))
        actor = signed_in_user(request)
        for key in keys:
            abuse.clear(key=key, actor=actor, client=client_info(request))
        messages.success(request, f"Cleared {len(keys)} block(s).")
