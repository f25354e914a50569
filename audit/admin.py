"""The trail in the Django admin: read-only evidence, filtered by type, actor and date (AUDIT-5)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.events import EventType
from audit.models import AuditEvent


class EventTypeFilter(admin.SimpleListFilter):
    """The registry's codes, exact: no scan of the table to list the choices."""

    title = "type"
    parameter_name = "event_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(t.value, t.value) for t in sorted(EventType, key=lambda t: t.value)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[AuditEvent]
    ) -> QuerySet[AuditEvent]:
        value = self.value()
        return queryset.filter(event_type=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is evidence, so nobody edits it from the admin (AUDIT-5)."""

    list_display = ("created_at", "event_type", "actor", "target_type", "target_id", "ip")
    list_filter = (
        EventTypeFilter,
        ("actor", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    list_select_related = ("actor",)
    search_fields = ("event_type", "target_id", "ip")
    date_hierarchy = "created_at"
    actions = None

    def has_add_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
