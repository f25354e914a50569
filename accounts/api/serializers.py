"""Input shapes and output documents of the accounts API (no logic: services decide)."""

from __future__ import annotations

from rest_framework import serializers


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)
    transport = serializers.ChoiceField(choices=["bearer", "cookie"], default="bearer")


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=256, required=False, write_only=True)


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=4096, trim_whitespace=False)
    new_password = serializers.CharField(max_length=4096, trim_whitespace=False)


class UserCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField(allow_null=True, help_text="null with the cookie transport")
    refresh = serializers.CharField(allow_null=True, help_text="null with the cookie transport")
    access_expires_at = serializers.DateTimeField()
    session_id = serializers.UUIDField()
    token_type = serializers.CharField()
    transport = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    roles = serializers.ListField(child=serializers.CharField())
    mfa_enabled = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class SessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_activity_at = serializers.DateTimeField()
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
    current = serializers.SerializerMethodField()

    def get_current(self, session) -> bool:  # type: ignore[no-untyped-def]
        return str(session.pk) == str(self.context.get("current_session_id"))


class SessionListSerializer(serializers.Serializer):
    results = SessionSerializer(many=True)


class RevokedCountSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class OthersRevokedSerializer(RevokedCountSerializer):
    tokens_revoked = serializers.IntegerField(help_text="API tokens revoked too (#10 item 4).")
