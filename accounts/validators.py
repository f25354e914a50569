"""Password policy validators (PWD-2), used by Django's ``validate_password``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from accounts.models import PasswordHistory


class CompositionValidator:
    """At least one upper-case letter, one lower-case letter and one digit.

    ``ARAGORA_PASSWORD_COMPOSITION=0`` turns it off (NIST SP 800-63B style: length only).
    Each missing class is its own message, so every broken rule is listed.
    """

    RULES = (
        (str.isupper, "upper_case", "The password must contain an upper-case letter."),
        (str.islower, "lower_case", "The password must contain a lower-case letter."),
        (str.isdigit, "digit", "The password must contain a digit."),
    )

    def validate(self, password: str, user: Any = None) -> None:
        if not settings.PASSWORD_COMPOSITION:
            return
        errors = [
            ValidationError(message, code=f"password_no_{code}")
            for test, code, message in self.RULES
            if not any(test(ch) for ch in password)
        ]
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        if not settings.PASSWORD_COMPOSITION:
            return ""
        return "Your password must contain an upper-case letter, a lower-case letter and a digit."


class PasswordHistoryValidator:
    """Not one of the user's last ``count`` passwords (compared against stored hashes)."""

    def __init__(self, count: int = 5) -> None:
        self.count = count

    def _recent_hashes(self, user: Any) -> list[str]:
        if user is None or user.pk is None:
            return []
        return list(
            PasswordHistory.objects.filter(user=user).values_list("password_hash", flat=True)[
                : self.count
            ]
        )

    def validate(self, password: str, user: Any = None) -> None:
        if any(check_password(password, stored) for stored in self._recent_hashes(user)):
            raise ValidationError(
                f"The password must differ from your last {self.count} passwords.",
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        """Django calls this after a password is saved: remember its hash, keep ``count``."""
        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, password_hash=user.password)
        keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[: self.count]
        PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()

    def get_help_text(self) -> str:
        return f"Your password must differ from your last {self.count} passwords."
