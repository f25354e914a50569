"""Input shapes and output documents of the accounts API (no logic: services decide)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import Scope, UserSession
from accounts.roles import Role


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

    def get_current(self, session: UserSession) -> bool:
        return str(session.pk) == str(self.context.get("current_session_id"))


class SessionListSerializer(serializers.Serializer):
    results = SessionSerializer(many=True)


class RevokedCountSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class OthersRevokedSerializer(RevokedCountSerializer):
    tokens_revoked = serializers.IntegerField(help_text="API tokens revoked too (#10 item 4).")


class TokenSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenListSerializer(serializers.Serializer):
    results = TokenSerializer(many=True)


class CreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=Scope.values),
        allow_empty=False,
        max_length=len(Scope.values),
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Default and maximum: ARAGORA_API_TOKEN_MAX_DAYS (90).",
    )
    never_expires = serializers.BooleanField(
        default=False, help_text="Only where ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY=1."
    )
    password = serializers.CharField(
        max_length=4096,
        required=False,
        trim_whitespace=False,
        write_only=True,
        help_text="Users without MFA confirm their password here (step-up, MFA-6).",
    )


class CreatedSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)
    token = serializers.CharField(help_text="Shown only in this response.")


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class VerifySerializer(CodeSerializer):
    mfa_token = serializers.CharField(max_length=128)


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class SetupSerializer(serializers.Serializer):
    secret = serializers.CharField()
    otpauth_uri = serializers.CharField()
    qr_svg = serializers.CharField()


class BackupCodesSerializer(serializers.Serializer):
    backup_codes = serializers.ListField(child=serializers.CharField())


class StepUpSerializer(serializers.Serializer):
    step_up_expires_at = serializers.DateTimeField()


class LockoutSerializer(serializers.Serializer):
    key_type = serializers.ChoiceField(choices=["email", "ip"])
    key = serializers.CharField()
    failures = serializers.IntegerField()
    locked_until = serializers.DateTimeField(allow_null=True)


class LockoutListSerializer(serializers.Serializer):
    results = LockoutSerializer(many=True)


class ClearSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False)
    ip = serializers.IPAddressField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("email") and not attrs.get("ip"):
            raise serializers.ValidationError("Give an email, an ip, or both.")
        return attrs


class ClearedSerializer(serializers.Serializer):
    cleared = serializers.IntegerField()


class RolesSerializer(serializers.Serializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.values),
        allow_empty=True,
        max_length=len(Role.values),
    )


class UserRolesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    roles = serializers.ListField(child=serializers.CharField())


class RevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()
