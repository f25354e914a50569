"""Shapes of the audit API (API.md): the filters it reads, the events and the verification."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from audit.models import AuditEvent

# A stored code (``accounts.login.failed``) or a prefix of codes (``accounts.login.*``).
TYPE_PATTERN = r"^[a-z_]+(\.[a-z_]+)*(\.\*)?$"


class EventFilterSerializer(serializers.Serializer):
    """Query parameters of the events list and export; a bad value is 400 validation_error."""

    type = serializers.RegexField(TYPE_PATTERN, required=False, max_length=64)
    actor = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    since = serializers.DateTimeField(required=False, help_text="ISO 8601, inclusive")
    until = serializers.DateTimeField(required=False, help_text="ISO 8601, exclusive")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since is not None and until is not None and until <= since:
            raise serializers.ValidationError({"until": ["until must be later than since."]})
        return attrs


class AuditEventSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="event_type")
    actor = serializers.IntegerField(source="actor_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "type", "created_at", "actor", "target_type", "target_id", "ip", "data"]
        read_only_fields = fields


class EventPageSerializer(serializers.Serializer):
    """One page of the list; ``next`` is the URL of the following page, null at the end."""

    results = AuditEventSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class TrailVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_bad_id = serializers.IntegerField(allow_null=True)
