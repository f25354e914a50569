"""The one SSRF-guarded way the server fetches a user's URL (INPUT-4).

- http and https only, no credentials in the URL, default or explicit port;
- the host is resolved once, every address it resolves to must be public (no loopback,
  private, link-local and metadata, multicast, reserved, CGNAT, IPv4-mapped IPv6 of those);
  odd numeric spellings (``127.1``, ``0x7f000001``, ``2130706433``) are refused outright;
- the connection goes to the address that was checked (never a second lookup), with the
  original host name sent as ``Host`` and for TLS verification;
- redirects are followed by hand, each one checked the same way, at most ``MAX_REDIRECTS``;
- the body size is capped, and one overall deadline (``ARAGORA_FETCH_TIMEOUT``, 5 s) covers
  the name lookups, the connection, the TLS handshake, the headers and the body together, over
  every redirect: every socket read waits only for what is left of it, so a server that drips
  one byte a second cannot hold a worker beyond the deadline however many reads it keeps alive,
  and neither can a name server that answers slowly.

``ARAGORA_FETCH_ALLOWED_HOSTS`` lists exceptions (``host``, ``host:port`` or a CIDR) for tests
and internal deployments.
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import math
import re
import socket
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urljoin, urlsplit

from django.conf import settings

MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CANONICAL_V4 = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9.]+|[0-9a-fx.]+)$", re.I)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.I | re.S)


class FetchRefused(ValueError):
    """The URL, an address it resolves to, or a redirect is not allowed."""


@dataclass(frozen=True)
class Page:
    url: str
    title: str


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})  # the address; the port etc. follow


# Tests swap this for a resolver of their own (a public-looking name that points inside).
resolver: Callable[[str, int], list[str]] = _resolve
# getaddrinfo takes no timeout: lookups run here so the fetch can stop waiting at its deadline.
# A lookup the fetch gave up on finishes (or is dropped, if it has not started) in the pool.
_LOOKUPS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="fetch-lookup")


def _lookup(host: str, port: int, deadline: float) -> list[str]:
    """``resolver(host, port)``, waited for only until ``deadline`` (INPUT-4, #10 item 14): a
    name server the URL's owner runs could otherwise hold the worker as long as the system
    resolver retries, on every redirect."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchRefused("The page took too long.")
    future = _LOOKUPS.submit(lambda: resolver(host, port))
    try:
        return future.result(timeout=remaining)
    except TimeoutError:
        future.cancel()
        raise FetchRefused("The page took too long.") from None


def fetch_title(url: str) -> Page:
    """GET ``url`` through every guard and return the final URL and the page title."""
    deadline = time.monotonic() + settings.FETCH_TIMEOUT
    for _ in range(MAX_REDIRECTS + 1):
        target = _check_url(url, deadline)
        status, headers, body = _get(target, deadline)
        if status in (301, 302, 303, 307, 308) and headers.get("location"):
            url = urljoin(url, headers["location"])
            continue
        if status >= 400:
            raise FetchRefused(f"The page answered {status}.")
        return Page(url=url, title=_title(body))
    raise FetchRefused("Too many redirects.")


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


def _check_url(url: str, deadline: float) -> _Target:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise FetchRefused("Only http and https URLs can be fetched.")
    if parts.username or parts.password:
        raise FetchRefused("URLs with credentials are not fetched.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise FetchRefused("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused("The URL's port is not valid.") from exc
    _refuse_odd_numeric(host)
    address = _checked_address(host, port, deadline)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.scheme, host, port, path, address)


def _refuse_odd_numeric(host: str) -> None:
    """``127.1``, ``0x7f000001``, ``2130706433``, ``0177.0.0.1``: only dotted quads are IPs."""
    if ":" in host:
        return  # an IPv6 literal; checked as an address below
    if _NUMERIC_HOST.match(host) and not _CANONICAL_V4.match(host):
        raise FetchRefused("That host spelling is not accepted.")


def _checked_address(host: str, port: int, deadline: float) -> str:
    if _allowed(host, port, None):
        return (_lookup(host, port, deadline) or [host])[0]
    try:
        addresses = _lookup(host, port, deadline)
    except OSError as exc:
        raise FetchRefused("The host name does not resolve.") from exc
    if not addresses:
        raise FetchRefused("The host name does not resolve.")
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        if not (_is_public(address) or _allowed(host, port, address)):
            raise FetchRefused("The URL points to an address that is not public.")
    return addresses[0]


# The blocks of IANA's special-purpose address registries that are not globally reachable,
# refused here whatever ``ipaddress`` says: its tables change between Python releases, and
# Python 3.11.7 calls 192.0.0.8-192.0.0.255 (but .170/.171), fec0::/10 (site-local) and
# 3fff::/20 (documentation) global (#16, found by tests/debates/test_ssrf_properties.py).
# Some blocks refused whole hold a few anycast services (192.0.0.9/.10, a few of 2001::/23):
# nothing a user links to a debate.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


def _is_public(address: IPAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
    if mapped is not None and not _is_public(mapped):
        return False
    if any(address in block for block in _NOT_GLOBAL):
        return False
    return bool(
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_private
    )


def _allowed(host: str, port: int, address: IPAddress | None) -> bool:
    for entry in settings.FETCH_ALLOWED_HOSTS:
        if entry in (host, f"{host}:{port}"):
            return True
        if address is not None and "/" in entry:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


# The mixin below is only ever mixed into sockets: to the type checker it is one.
if TYPE_CHECKING:
    _SocketBase = socket.socket
else:
    _SocketBase = object


class _DeadlineMixin(_SocketBase):
    """Every receive waits only for what is left of the fetch's deadline (never a fresh timeout
    per read, which a dripping server renews forever)."""

    deadline: float = math.inf

    def _arm(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("The fetch deadline passed.")
        self.settimeout(remaining)

    def recv(self, *args: Any) -> bytes:
        self._arm()
        return super().recv(*args)

    def recv_into(self, *args: Any) -> int:
        self._arm()
        return super().recv_into(*args)


class _DeadlineSocket(_DeadlineMixin, socket.socket):
    pass


class _DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    pass


def _open(address: str, port: int, deadline: float) -> _DeadlineSocket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = _DeadlineSocket(family, socket.SOCK_STREAM)
    sock.deadline = deadline
    try:
        sock._arm()
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name would resolve to now."""

    def __init__(self, address: str, port: int, deadline: float) -> None:
        super().__init__(address, port)
        self._deadline = deadline

    def connect(self) -> None:
        self.sock = _open(self.host, self.port, self._deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, address: str, port: int, server_name: str, deadline: float) -> None:
        context = ssl.create_default_context()
        context.sslsocket_class = _DeadlineSSLSocket
        super().__init__(address, port, context=context)
        self._tls_context = context  # ours to wrap with: http.client keeps its copy private
        self._server_name = server_name
        self._deadline = deadline

    def connect(self) -> None:
        raw = _open(self.host, self.port, self._deadline)
        wrapped = self._tls_context.wrap_socket(
            raw, server_hostname=self._server_name, do_handshake_on_connect=False
        )
        tls = cast(_DeadlineSSLSocket, wrapped)  # the context's sslsocket_class (see __init__)
        tls.deadline = self._deadline
        tls._arm()  # the handshake is bounded by what is left, as one operation
        tls.do_handshake()
        self.sock = tls


def _get(target: _Target, deadline: float) -> tuple[int, dict[str, str], bytes]:
    if target.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
            target.address, target.port, target.host, deadline
        )
    else:
        conn = _PinnedHTTPConnection(target.address, target.port, deadline)
    try:
        host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        conn.request(
            "GET",
            target.path,
            headers={
                "Host": host_header,
                "User-Agent": "Aragora-SourceFetcher/1.0",
                "Accept": "text/html",
            },
        )
        response = conn.getresponse()
        body = _read_capped(response, deadline)
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, body
    except TimeoutError as exc:
        raise FetchRefused("The page took too long.") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise FetchRefused("The page could not be fetched.") from exc
    finally:
        conn.close()


def _read_capped(response: http.client.HTTPResponse, deadline: float) -> bytes:
    chunks, size = [], 0
    while size < MAX_BYTES:
        if time.monotonic() > deadline:
            raise FetchRefused("The page took too long.")
        chunk = response.read(min(65536, MAX_BYTES - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _title(body: bytes) -> str:
    match = _TITLE.search(body)
    if not match:
        return ""
    text = html.unescape(match.group(1).decode("utf-8", "replace"))
    return " ".join(text.split())[:300]
