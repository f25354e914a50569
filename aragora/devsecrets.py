"""Development secrets: random, made once per checkout, never a constant in the code (#10 item 3).

Outside production a secret that the environment does not set comes from a git-ignored file
(``ARAGORA_DEV_SECRETS_FILE``, default ``var/dev-secrets.env``, mode 0600). The first process
that needs a secret the file lacks generates it; every later start, and every other process of
the same checkout (runserver's reloader, gunicorn workers, Celery), reads the same value. A lock
serialises the processes that start together, and the file is replaced atomically, so none of
them ever reads half a file or keeps a value another process overwrote.

Production never comes here: ``aragora.settings`` refuses to start without its secrets.
"""

from __future__ import annotations

import base64
import fcntl
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

HEADER = (
    "# Development secrets, generated once for this checkout by aragora/devsecrets.py.\n"
    "# Git-ignored; never copy them to a production environment. Delete the file to rotate.\n"
)


def _urlsafe(nbytes: int) -> Callable[[], str]:
    return lambda: secrets.token_urlsafe(nbytes)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


# Every secret the project needs and how to make a development value. A new one is added here
# and read in settings with ``_secret(...)``; production then requires it too.
GENERATORS: dict[str, Callable[[], str]] = {
    "ARAGORA_SECRET_KEY": _urlsafe(50),
    "ARAGORA_JWT_SIGNING_KEYS": _urlsafe(48),
    "ARAGORA_ENCRYPTION_KEYS": _fernet_key,
    "ARAGORA_TOKEN_PEPPER": _urlsafe(32),
    "ARAGORA_AUDIT_KEYS": _urlsafe(32),  # AUDIT-3: the audit trail's sealing key
}


def load_or_create(path: Path, names: Iterable[str]) -> dict[str, str]:
    """The values of ``names`` kept in ``path``; the ones it lacks are generated and saved."""
    wanted = list(names)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(path.parent / f".{path.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        stored = _read(path)
        missing = [name for name in wanted if not stored.get(name)]
        if missing:
            stored.update({name: GENERATORS[name]() for name in missing})
            _write(path, stored)
        elif path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # secrets are for the owner only
    finally:
        os.close(lock_fd)  # releases the lock
    return {name: stored[name] for name in wanted}


def _read(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.lstrip().startswith("#"):
            values[name.strip()] = value.strip()
    return values


def _write(path: Path, values: dict[str, str]) -> None:
    """Write a new file readable by the owner only, then swap it in (readers see old or new)."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # even if a stale temporary file had a wider mode
    with os.fdopen(fd, "w") as handle:
        handle.write(HEADER + "".join(f"{name}={value}\n" for name, value in values.items()))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
