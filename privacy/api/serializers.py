"""Privacy API bodies (API.md "Privacy"). Booleans are strict: only JSON true or false."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """A JSON ``true`` or ``false`` and nothing else: DRF's own field would take ``"yes"``,
    ``1`` or ``"on"``, and a consent must be explicit (PRIV-1)."""

    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class ConsentInputSerializer(serializers.Serializer[Any]):
    granted = StrictBooleanField()


class ConsentSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField()
    description = serializers.CharField()
    granted = serializers.BooleanField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)


class ConsentListSerializer(serializers.Serializer[Any]):
    results = ConsentSerializer(many=True)


class DoNotSellSerializer(serializers.Serializer[Any]):
    enabled = StrictBooleanField()


class ExportSerializer(serializers.Serializer[Any]):
    """PRIV-3: an export as its owner sees it; ``download_url`` and ``expires_at`` only while
    it is ready (null otherwise)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["pending", "running", "ready", "failed", "expired"])
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.URLField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
