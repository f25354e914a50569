from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from aragora import abuse
from aragora.models import ClientBlock


@admin.register(ClientBlock)
class ClientBlockAdmin(admin.ModelAdmin):
    """Blocked clients (RATE-4): visible, and cleared through the audited service."""

    list_display = ("key", "reason", "level", "created_at", "expires_at")
    list_filter = ("reason",)
    search_fields = ("key",)
    actions = ["clear_blocks"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # clearing goes through the service only
        return actions

    @admin.action(description="Clear the selected blocks", permissions=["delete"])
    def clear_blocks(self, request: HttpRequest, queryset: QuerySet[ClientBlock]) -> None:
        keys = list(queryset.values_list("key", flat=True))
        for key in keys:
            abuse.clear(key=key, actor=request.user, request=request)
        messages.success(request, f"Cleared {len(keys)} block(s).")
