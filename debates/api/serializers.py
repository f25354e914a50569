"""Input shapes and output documents of the debates API (no logic: services decide)."""

from __future__ import annotations

from rest_framework import serializers

from debates.models import Attachment, Debate, Source


class DebateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Debate
        fields = ["id", "title", "body", "created_at"]
        read_only_fields = ["id", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "filename", "size", "content_type"]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "url", "title", "fetched_at"]


class SourceInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=2000)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class HideSerializer(serializers.Serializer):
    hidden = serializers.BooleanField()
