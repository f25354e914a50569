"""Registers what every app holds about a user (PRIV-3, PRIV-4); run by ``PrivacyConfig.ready``.

Each app exposes a ``personal_data`` module of plain functions; only privacy imports them.
"""

from __future__ import annotations

from accounts import personal_data as accounts_data
from audit import personal_data as audit_data
from debates import personal_data as debates_data
from privacy import personal_data as privacy_data
from privacy.registry import Provider, declare_not_personal, register

ACCOUNT_LAST = 100  # the account row goes after everything that hangs off it


def register_all() -> None:
    """Fill the registry once (``ready()`` may run more than once in tests)."""
    from privacy.registry import providers

    if providers():
        return
    register(
        Provider(
            "debates",
            debates_data.MODELS,
            debates_data.export_debates,
            debates_data.erase_debates,
            files=debates_data.attachment_files,
        )
    )
    register(
        Provider(
            "privacy", privacy_data.MODELS, privacy_data.export_privacy, privacy_data.erase_privacy
        )
    )
    register(
        Provider(
            "audit_events",
            audit_data.MODELS,
            audit_data.export_events,
            audit_data.erase_events,
            erase_order=90,
        )
    )
    _register_accounts()
    declare_not_personal(
        "admin.LogEntry",
        "Django admin's change log of staff actions; the audit trail is the record of them, "
        "and its rows cascade with the account on erasure",
    )


def _register_accounts() -> None:
    register(
        Provider(
            "sessions",
            accounts_data.SESSION_MODELS,
            accounts_data.export_sessions,
            accounts_data.erase_sessions,
        )
    )
    register(
        Provider(
            "api_tokens",
            accounts_data.TOKEN_MODELS,
            accounts_data.export_api_tokens,
            accounts_data.erase_api_tokens,
        )
    )
    register(
        Provider(
            "mfa_devices",
            accounts_data.MFA_MODELS,
            accounts_data.export_mfa,
            accounts_data.erase_mfa,
        )
    )
    register(
        Provider(
            "profile",
            accounts_data.MODELS,
            accounts_data.export_profile,
            accounts_data.erase_account,
            erase_order=ACCOUNT_LAST,
        )
    )
