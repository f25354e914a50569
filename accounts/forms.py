"""Forms: the Django admin's user forms and the sign-in pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import Scope, User


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "is_active", "is_staff", "is_superuser", "groups")


class LoginForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SignupForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two passwords differ.")
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        label="Code",
        help_text="The 6-digit code from your authenticator app, or a backup code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(min_value=1, required=False)

    def __init__(
        self, *args: Any, allowed: set[str], ask_password: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        scopes = cast(forms.MultipleChoiceField, self.fields["scopes"])  # declared just above
        scopes.choices = [(s.value, s.label) for s in Scope if s.value in allowed]
        limit = settings.API_TOKEN_MAX_DAYS
        self.fields["expires_in_days"].help_text = f"Empty: {limit} days, the maximum."
        if settings.API_TOKEN_ALLOW_NO_EXPIRY:
            self.fields["never_expires"] = forms.BooleanField(required=False)
        if ask_password:  # step-up for users without MFA (MFA-6, #10 item 4)
            self.fields["password"] = forms.CharField(
                label="Your password, to confirm it is you",
                strip=False,
                max_length=4096,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            )
