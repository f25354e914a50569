"""PostgreSQL backups with pg_dump's custom format, restored with pg_restore (OPS-3).

Connection settings reach the client tools through libpq's environment variables (PGHOST,
PGPASSWORD, PGSSLMODE...), never their command line, where any local user could read them.
The restore runs in one transaction: a damaged archive fails and leaves the database as it was.
The audit trail's trigger refuses UPDATE and DELETE of events, not DROP TABLE: ``--clean``
drops the table, the data is copied back in, and the trigger is created again after the data.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import IO

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from aragora.backups.files import BackupError

EXTENSION = "pgdump"
# Django's connection OPTIONS that libpq also reads from the environment.
_OPTION_VARIABLES = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
}


def client_env(wrapper: BaseDatabaseWrapper) -> dict[str, str]:
    """The process environment plus the database's connection settings as libpq variables."""
    database = wrapper.settings_dict
    env = dict(os.environ)
    settings = {
        "PGHOST": database.get("HOST"),
        "PGPORT": database.get("PORT"),
        "PGUSER": database.get("USER"),
        "PGPASSWORD": database.get("PASSWORD"),
        "PGDATABASE": database.get("NAME"),
    }
    for option, variable in _OPTION_VARIABLES.items():
        settings[variable] = database.get("OPTIONS", {}).get(option)
    env.update({name: str(value) for name, value in settings.items() if value})
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools of the server's version."
        )
    return path


def _run(wrapper: BaseDatabaseWrapper, args: list[str], stdout: IO[bytes] | int) -> None:
    """Run a client tool; raise BackupError with its error output if it failed."""
    # A fixed client tool with an argument list, no shell.
    result = subprocess.run(  # noqa: S603  # nosec B603
        args, env=client_env(wrapper), stdout=stdout, stderr=subprocess.PIPE, check=False
    )
    if result.returncode != 0:
        errors = result.stderr.decode(errors="replace").strip()
        raise BackupError(f"{Path(args[0]).name} failed: {errors or result.returncode}")


def _check_version(wrapper: BaseDatabaseWrapper, tool: str) -> None:
    """pg_dump older than the server refuses (or worse); say so plainly first."""
    output = subprocess.run(  # noqa: S603  # nosec B603
        [tool, "--version"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"\)\s*(\d+)", output)  # "pg_dump (PostgreSQL) 15.20 (Debian ...)"
    wrapper.ensure_connection()
    server = wrapper.connection.info.server_version // 10000
    if found and int(found.group(1)) < server:
        raise BackupError(
            f"{tool} is version {found.group(1)} but the server is {server}: install the "
            f"PostgreSQL {server} client tools."
        )


def dump(wrapper: BaseDatabaseWrapper, target: Path) -> None:
    """``pg_dump -Fc`` of the whole database into ``target`` (opened by us, mode 0600)."""
    tool = _tool("pg_dump")
    _check_version(wrapper, tool)
    with target.open("wb") as out:
        _run(wrapper, [tool, "--format=custom", "--no-password"], stdout=out)


def check(wrapper: BaseDatabaseWrapper, path: Path) -> None:
    """Refuse a file whose archive header and table of contents pg_restore cannot read."""
    tool = _tool("pg_restore")
    try:
        _run(wrapper, [tool, "--list", str(path)], stdout=subprocess.DEVNULL)
    except BackupError:
        raise BackupError(
            f"{path} is not a readable pg_dump archive: damaged, or not ours."
        ) from None


def load(wrapper: BaseDatabaseWrapper, path: Path) -> None:
    """Replace the database's content with the archive, all or nothing."""
    check(wrapper, path)
    connections.close_all()
    name = str(wrapper.settings_dict["NAME"])
    _run(
        wrapper,
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={name}",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
    )
