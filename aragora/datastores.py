"""Connection URLs of the data stores, read for transport security (ENC-1).

``redis_url`` makes a ``rediss://`` URL verify the server's certificate even where it does not
say so: redis-py (the cache) verifies by default, but kombu (the Celery broker) falls back to
no verification at all for a ``rediss://`` URL without ``ssl_cert_reqs``. The ``*_problems``
functions feed the production warnings of ``aragora/checks.py``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

VERIFIED_SSLMODES = {"verify-full"}


def is_local_host(host: str | None) -> bool:
    """Loopback or a Unix socket: traffic that never leaves the machine."""
    if not host or host.startswith("/") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def redis_url(url: str) -> str:
    """``url`` with ``ssl_cert_reqs=required`` added to a ``rediss://`` URL that names none."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    if parts.scheme != "rediss" or "ssl_cert_reqs" in query:
        return url
    query["ssl_cert_reqs"] = ["required"]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def redis_problems(url: str) -> list[str]:
    """What a production deployment should not do with this Redis URL (empty: fine)."""
    if not url or url.startswith(("memory://", "unix://")):
        return []
    parts = urlsplit(url)
    if is_local_host(parts.hostname):
        return []
    problems = []
    if parts.scheme != "rediss":
        problems.append("plaintext")
    elif parse_qs(parts.query).get("ssl_cert_reqs", ["required"])[-1].lower() != "required":
        problems.append("unverified")
    if not parts.password:
        problems.append("no-password")
    return problems


def postgres_unverified(database: Mapping[str, Any]) -> bool:
    """A PostgreSQL connection to another host that does not verify the server (sslmode)."""
    if database.get("ENGINE", "").endswith("sqlite3") or is_local_host(database.get("HOST")):
        return False
    return database.get("OPTIONS", {}).get("sslmode") not in VERIFIED_SSLMODES
