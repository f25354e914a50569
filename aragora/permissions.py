"""Project-wide DRF permissions."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import perform_import

from aragora.http.client_ip import client_ip
from aragora.http.notes import request_notes


class PublicDocsOrAdmin(BasePermission):
    """API schema and docs: public unless production hides them (``ARAGORA_PUBLIC_API_DOCS``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if settings.PUBLIC_API_DOCS:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# The API token scope /metrics accepts (accounts' ``Scope.ADMIN``; a test keeps the two equal).
METRICS_TOKEN_SCOPE = "admin"  # noqa: S105  (a scope name)


class MetricsAccess(BasePermission):
    """``GET /metrics`` (OPS-1): a client from ``ARAGORA_METRICS_ALLOWED_IPS`` (the client IP of
    ``aragora.http.client_ip``, proxies resolved), or a request authenticated by an API token
    (which its authenticator already held to the ``admin`` scope the view declares) whose owner
    passes ``METRICS_TOKEN_PERMISSION_CLASSES`` (the admin role). Nobody else: no session, no
    JWT, whatever its roles; an empty setting denies every token (fail closed)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if _ip_allowed(client_ip(request._request)):
            return True
        auth = request_notes(request).auth
        if auth is None or auth.kind != "api_token":
            return False
        paths = list(getattr(settings, "METRICS_TOKEN_PERMISSION_CLASSES", None) or [])
        classes = perform_import(paths, "METRICS_TOKEN_PERMISSION_CLASSES") or []
        return bool(classes) and all(cls().has_permission(request, view) for cls in classes)


def _ip_allowed(ip: str) -> bool:
    networks = _networks(tuple(settings.METRICS_ALLOWED_IPS))
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None) or address
    return any(mapped in network for network in networks)


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """The allowlist's networks; an entry that does not parse is skipped (and stops the
    process from starting: ``aragora.E045``)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)
