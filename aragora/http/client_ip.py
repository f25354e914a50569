"""LOCK-6: the one place that decides a request's client IP, and the key it is counted under.

``REMOTE_ADDR`` is the peer. Only when the peer is a trusted proxy (``ARAGORA_TRUSTED_PROXIES``)
do we read ``X-Forwarded-For``, walking it from the right and taking the first hop that is not a
trusted proxy. Forwarding headers from anyone else are removed, so nothing later can trust them.

Per-IP state (lockout counters, rate limits, blocks) is keyed by ``ip_key``: an IPv4 address
as it is, an IPv6 address by its network of ``ARAGORA_IPV6_PREFIX`` bits (default /64), since
one subscriber holds a whole /64 and could otherwise spray from 2^64 addresses (#10 item 8);
a 6to4, Teredo or NAT64 address by the IPv4 address it carries.

``client_info`` gives the request's ``ClientInfo`` (that IP and the user agent), resolved once
and kept in the request's notes (``aragora.http.notes``): what services and the audit take.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request

from aragora.http.notes import ClientInfo, request_notes

_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052's well-known prefix


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted_proxy(value: str) -> bool:
    address = _parse(value)
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    return address is not None and any(address in net for net in networks)


def resolve_client_ip(remote_addr: str, forwarded_for: str) -> str:
    """Return the client IP for a peer address and an ``X-Forwarded-For`` value."""
    peer = _parse(remote_addr)
    if peer is None:
        # Not a bind address: the placeholder client IP when the peer has none (a unix socket).
        return "0.0.0.0"  # noqa: S104  # nosec B104
    if not is_trusted_proxy(str(peer)):
        return str(peer)
    last_trusted = str(peer)
    for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
        address = _parse(_without_port(hop.strip()))
        if address is None:
            break  # garbage: the last proxy we trust is the best we know
        if not is_trusted_proxy(str(address)):
            return str(address)
        last_trusted = str(address)
    return last_trusted


def _without_port(hop: str) -> str:
    """``198.51.100.7:51234`` and ``[2001:db8::1]:443`` (as some proxies write a hop) without
    the port; anything else as it is. A bare IPv6 address has several colons and stays whole."""
    if hop.startswith("["):
        host, _, rest = hop[1:].partition("]")
        return host if rest == "" or (rest[:1] == ":" and rest[1:].isdigit()) else hop
    host, colon, port = hop.rpartition(":")
    if colon and host.count(":") == 0 and port.isdigit():
        return host
    return hop


def ip_key(ip: str) -> str:
    """The key per-IP counters, limits and blocks use for ``ip``: IPv4 unchanged, IPv6 by
    its ``ARAGORA_IPV6_PREFIX`` network (``2001:db8:1:2::/64``). Anything else is kept as is.
    An IPv6 address that carries its client's IPv4 address (6to4, Teredo, NAT64) counts as
    that IPv4 client: one IPv4 host owns a whole 6to4 /48 (#10 red team 2)."""
    address = _parse(ip)
    if address is None:
        return ip
    if address.version == 4:
        return str(address)
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return str(embedded)
    return str(ipaddress.ip_network(f"{address}/{settings.IPV6_PREFIX}", strict=False))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 client behind a 6to4, Teredo or NAT64 (well-known prefix) address."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def client_key(request: HttpRequest | Request) -> str:
    """``ip_key`` of the request's client IP (LOCK-1, RATE-1, RATE-4)."""
    return ip_key(client_ip(request))


def client_info(request: HttpRequest | Request) -> ClientInfo:
    """The client of ``request``: its client IP and user agent (cut to 256 characters),
    resolved once per request and kept in the request's notes (#11)."""
    notes = request_notes(request)
    if notes.client is None:
        meta = request.META
        ip = resolve_client_ip(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""))
        notes.client = ClientInfo(ip=ip, user_agent=meta.get("HTTP_USER_AGENT", "")[:256])
    return notes.client


def client_ip(request: HttpRequest | Request) -> str:
    """The client IP of ``request`` (computed once per request)."""
    return client_info(request).ip


class ClientIPMiddleware:
    """Resolve the client IP early; drop forwarding headers that come from untrusted peers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in _FORWARDING_HEADERS:
                request.META.pop(header, None)
        client_info(request)
        return self.get_response(request)
