"""The account deletion form (PRIV-4): the password and an explicit confirmation."""

from __future__ import annotations

from django import forms


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and all of its data will be deleted for good.",
        error_messages={"required": "Tick the box to confirm."},
    )
