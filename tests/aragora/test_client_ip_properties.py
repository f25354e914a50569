"""LOCK-6, LOCK-1, RATE-4, TEST-1 (#16): properties of the client IP and of the key per-IP state
is counted under, over generated peers, ``X-Forwarded-For`` chains and addresses.

- the client IP is always a valid IP address, whatever the peer and the header say;
- without a trusted proxy the header never changes it, and the middleware drops it;
- behind trusted proxies the right-most untrusted hop wins, whatever was written to its left
  (a client can prepend anything: its spoofed hops never win), with or without ports;
- IPv4 keys are the address; IPv6 keys are the ``ARAGORA_IPV6_PREFIX`` network, equal for
  every address of one network and different across networks; an IPv6 address carrying an
  IPv4 one (mapped, 6to4, Teredo, NAT64) has that IPv4 address's key; a key is its own key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from hypothesis import example, given
from hypothesis import strategies as st

from aragora.http.client_ip import ClientIPMiddleware, client_ip, ip_key, resolve_client_ip

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address
PROXY_NETS = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48")]
PROXIES = [str(n) for n in PROXY_NETS]
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

v4s = st.binary(min_size=4, max_size=4).map(V4)
v6s = st.binary(min_size=16, max_size=16).map(V6)
addresses = st.one_of(v4s, v6s)


def normal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What the client IP should read for ``address``: an IPv4-mapped address as IPv4."""
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None) or address
    return any(mapped in net for net in PROXY_NETS)


def spelled(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int | None) -> str:
    """A hop as proxies write it: bare, ``v4:port`` or ``[v6]:port``."""
    if port is None:
        return str(address)
    return f"{address}:{port}" if address.version == 4 else f"[{address}]:{port}"


proxy_addresses = st.one_of(
    st.integers(0, 2**24 - 1).map(lambda n: V4(int(V4("10.0.0.0")) + n)),
    st.integers(0, 2**80 - 1).map(lambda n: V6(int(V6("2001:db8:ffff::")) + n)),
)
ports = st.none() | st.integers(0, 65535)
clients = addresses.filter(lambda a: not trusted(a))
junk = st.text(alphabet=st.characters(exclude_characters=","), max_size=40)
# What a client can put in front: anything without a comma, or addresses (trusted ones too).
spoofed_hops = st.lists(st.one_of(junk, addresses.map(str), proxy_addresses.map(str)), max_size=5)
headers = st.text(max_size=200)
peers = st.one_of(addresses.map(str), st.text(max_size=40), st.just(""))


@given(peers, headers, st.booleans())
@example("not-an-ip", "1.2.3.4", True)
@example("", "", False)
@example("fe80::1%eth0", "", True)
def test_the_client_ip_is_always_a_valid_ip_address(remote, forwarded, with_proxies):
    with override_settings(TRUSTED_PROXIES=PROXIES if with_proxies else []):
        result = resolve_client_ip(remote, forwarded)
    ipaddress.ip_address(result)  # raises ValueError if not


@given(peers, headers, headers)
def test_without_a_trusted_proxy_the_header_changes_nothing(remote, forwarded, other):
    with override_settings(TRUSTED_PROXIES=[]):
        assert resolve_client_ip(remote, forwarded) == resolve_client_ip(remote, other)
        assert resolve_client_ip(remote, forwarded) == resolve_client_ip(remote, "")


@given(
    client=clients,
    client_port=ports,
    spoofed=spoofed_hops,
    chain=st.lists(st.tuples(proxy_addresses, ports), max_size=3),
    peer=proxy_addresses,
)
@example(
    client=V4("198.51.100.7"),
    client_port=51234,
    spoofed=["6.6.6.6", "10.9.9.9", "garbage"],
    chain=[(V4("10.2.2.2"), None)],
    peer=V4("10.1.1.1"),
)
def test_behind_trusted_proxies_the_rightmost_untrusted_hop_wins(
    client, client_port, spoofed, chain, peer
):
    hops = [*spoofed, spelled(client, client_port), *(spelled(a, p) for a, p in chain)]
    with override_settings(TRUSTED_PROXIES=PROXIES):
        assert resolve_client_ip(str(peer), ", ".join(hops)) == normal(client)


@given(addresses, ports)
def test_a_port_on_a_hop_changes_nothing(client, port):
    with override_settings(TRUSTED_PROXIES=PROXIES):
        assert resolve_client_ip("10.0.0.1", spelled(client, port)) == resolve_client_ip(
            "10.0.0.1", str(client)
        )


@given(st.one_of(addresses.map(str), st.text(max_size=30)), headers)
def test_the_middleware_drops_forwarding_headers_from_untrusted_peers(remote, forwarded):
    seen: list[HttpRequest] = []
    handler: Callable[[HttpRequest], HttpResponse] = lambda r: seen.append(r) or HttpResponse()  # noqa: E731
    request = RequestFactory().get(
        "/",
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded,
        HTTP_X_FORWARDED_HOST="evil.example",
        HTTP_X_FORWARDED_PROTO="https",
    )
    with override_settings(TRUSTED_PROXIES=[]):
        ClientIPMiddleware(handler)(request)
        assert client_ip(seen[0]) == resolve_client_ip(remote, "")
    assert not {"HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO"} & set(
        seen[0].META
    )


@given(v4s)
def test_an_ipv4_key_is_the_address(address):
    assert ip_key(str(address)) == str(address)
    assert ip_key(f"::ffff:{address}") == str(address)


def plain_v6(address: ipaddress.IPv6Address) -> bool:
    """Not an address that carries an IPv4 client (keyed by that IPv4 address instead)."""
    return (
        address.ipv4_mapped is None
        and address.sixtofour is None
        and address.teredo is None
        and address not in NAT64
    )


@given(v6s.filter(plain_v6), st.integers(0, 2**128 - 1), st.sampled_from([48, 56, 64, 128]))
@example(V6("2001:db8:1:2::1"), 2**64 - 1, 64)
def test_ipv6_keys_are_equal_within_a_network_and_differ_across(address, other_bits, prefix):
    host_mask = (1 << (128 - prefix)) - 1
    neighbour = V6((int(address) & ~host_mask) | (other_bits & host_mask))
    stranger = V6(int(address) ^ (1 << (128 - prefix)))  # flips the network's lowest bit
    with override_settings(IPV6_PREFIX=prefix):
        key = ip_key(str(address))
        assert address in ipaddress.ip_network(key)
        assert ipaddress.ip_network(key).prefixlen == prefix
        if plain_v6(neighbour):
            assert ip_key(str(neighbour)) == key
        if plain_v6(stranger):
            assert ip_key(str(stranger)) != key


@given(v4s, st.integers(0, 2**80 - 1))
@example(V4("192.0.2.1"), 0)
def test_an_ipv6_address_carrying_an_ipv4_client_has_its_key(v4, low):
    n = int(v4)
    for carrier in (
        V6((0x2002 << 112) | (n << 80) | low),  # 6to4: the /48 a single IPv4 host owns
        V6((0x20010000 << 96) | ((low & (2**64 - 1)) << 32) | (n ^ 0xFFFFFFFF)),  # Teredo
        V6((0x64FF9B << 96) | n),  # NAT64 (well-known prefix)
    ):
        assert ip_key(str(carrier)) == str(v4), carrier


@given(st.one_of(addresses.map(str), st.text(max_size=40)))
def test_a_key_is_its_own_key(value):
    assert ip_key(ip_key(value)) == ip_key(value)
