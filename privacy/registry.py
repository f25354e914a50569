"""The registry of personal data: what each app holds about a user, how to export it and how to
erase it (PRIV-3, PRIV-4).

Privacy sits on top of the other apps: they never import it. Each app exposes plain functions
in its own ``personal_data`` module; ``PrivacyConfig.ready()`` registers them here
(``privacy.providers``). The export job (PRIV-3) writes one JSON file per provider ``kind`` plus
the files ``files`` yields; erasure (PRIV-4) calls every ``erase`` in ``erase_order``. Every model
that refers to the user model, directly or through another model, is named by exactly one
provider's ``models`` or declared not personal with a reason (``tests/privacy/test_registry.py``
walks the model graph so a new model cannot be forgotten).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

# An export maps names to JSON-able values; a value that is an iterator (a generator over a
# queryset's ``iterator()``) is written as a JSON array one record at a time, so a user with a
# hundred thousand events is exported in bounded memory (``privacy.archive``).
Exporter = Callable[[AbstractBaseUser], Mapping[str, Any]]
Eraser = Callable[[AbstractBaseUser], None]
FileLister = Callable[[AbstractBaseUser], Iterable[Path]]


def no_files(user: AbstractBaseUser) -> Iterable[Path]:
    return ()


@dataclass(frozen=True)
class Provider:
    """One kind of personal data (PRIV-3, PRIV-4).

    ``kind`` names the export file (``<kind>.json``); ``models`` are the ``app_label.Model``
    labels this provider answers for; ``export`` returns a mapping of JSON-able values or
    iterators of JSON-able records (written as arrays, streamed) with no secret in it (no
    password, token or backup-code hash, no TOTP key); ``erase`` removes (or, for the audit
    trail, pseudonymises) what the user holds; ``files`` yields files the export copies as they
    are. Lower ``erase_order`` runs first: the account itself goes last.
    """

    kind: str
    models: tuple[str, ...]
    export: Exporter
    erase: Eraser
    files: FileLister = no_files
    erase_order: int = 50


class RegistryError(ValueError):
    """A provider or declaration that would leave the registry ambiguous."""


_providers: dict[str, Provider] = {}
_not_personal: dict[str, str] = {}


def register(provider: Provider) -> None:
    """Add ``provider``; a kind or model claimed twice is a programming error."""
    if provider.kind in _providers:
        raise RegistryError(f"kind {provider.kind!r} is registered twice")
    claimed = set(covered_models()) & set(provider.models)
    if claimed:
        raise RegistryError(f"models already covered: {sorted(claimed)}")
    _providers[provider.kind] = provider


def declare_not_personal(label: str, reason: str) -> None:
    """Say why a model that refers to the user is not personal data to export or erase."""
    if not reason.strip():
        raise RegistryError(f"{label}: a reason is required")
    _not_personal[label] = reason


def providers() -> list[Provider]:
    """Every provider, in erasure order (PRIV-4)."""
    return sorted(_providers.values(), key=lambda p: (p.erase_order, p.kind))


def provider(kind: str) -> Provider:
    return _providers[kind]


def covered_models() -> dict[str, str]:
    """``app_label.Model`` label -> the kind that covers it."""
    return {label: p.kind for p in _providers.values() for label in p.models}


def not_personal() -> dict[str, str]:
    """``app_label.Model`` label -> why it is not personal data."""
    return dict(_not_personal)
