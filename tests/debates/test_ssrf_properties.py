"""INPUT-4, TEST-1 (#16): properties of the SSRF guard over generated addresses.

The oracle is IANA's special-purpose address registries (RFC 6890 and its updates), written
out below independently of ``debates.fetch``: an address in a block that is not globally
reachable is refused, and so is every way of carrying a forbidden IPv4 address inside an IPv6
one (IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo); a global unicast address outside
those blocks is allowed. The name is resolved by a stub (the answer a hostile name server
would give), so nothing leaves the machine.

Finding (#16): on Python 3.11.7 ``ipaddress`` calls 192.0.0.8-192.0.0.255, fec0::/10 and
3fff::/20 global, and the guard trusted it; the regression examples are at the end.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from debates import fetch

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address

# IANA IPv4 special-purpose blocks that are not globally reachable (whole /24 of 192.0.0.0:
# its two anycast addresses are refused too, deliberately), multicast and the old class E.
FORBIDDEN_V4 = [
    ipaddress.IPv4Network(block)
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
    )
]
# Inside global unicast (2000::/3): the IETF protocol block (Teredo among it), documentation
# (both), and 6to4, whose verdict is its embedded IPv4's (tested separately).
SPECIAL_IN_2000_3 = [
    ipaddress.IPv6Network(block)
    for block in ("2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20")
]
GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def in_blocks(address: ipaddress.IPv4Address | ipaddress.IPv6Address, blocks: list) -> bool:  # type: ignore[type-arg]
    return any(address in block for block in blocks)


def addresses_in(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> st.SearchStrategy:  # type: ignore[type-arg]
    first, last = int(network.network_address), int(network.broadcast_address)
    cls = V4 if network.version == 4 else V6
    return st.integers(first, last).map(cls)


forbidden_v4 = st.sampled_from(FORBIDDEN_V4).flatmap(addresses_in)
# Built from octets and groups: whole-number strategies favour small values (all in 0.0.0.0/8).
any_v4 = st.binary(min_size=4, max_size=4).map(V4)
public_v4 = any_v4.filter(lambda a: not in_blocks(a, FORBIDDEN_V4))
any_v6 = st.binary(min_size=16, max_size=16).map(V6)


def embeddings(v4: ipaddress.IPv4Address, low: int) -> list[ipaddress.IPv6Address]:
    """Every IPv6 spelling that carries ``v4``; ``low`` fills the free bits."""
    n = int(v4)
    return [
        V6((0xFFFF << 32) | n),  # IPv4-mapped ::ffff:a.b.c.d
        V6(n),  # IPv4-compatible ::a.b.c.d (deprecated)
        V6((0x2002 << 112) | (n << 80) | (low & (2**80 - 1))),  # 6to4 2002:aabb:ccdd::/48
        V6((0x64FF9B << 96) | n),  # NAT64 well-known prefix 64:ff9b::/96
        # Teredo 2001:0::/32: server, flags, port, then the client's address inverted.
        V6((0x20010000 << 96) | ((low & (2**64 - 1)) << 32) | (n ^ 0xFFFFFFFF)),
    ]


@contextmanager
def resolving_to(*answers: str) -> Iterator[list[tuple[str, int]]]:
    """Every name resolves to ``answers`` (a hostile name server); the lookups are recorded."""
    lookups: list[tuple[str, int]] = []
    saved = fetch.resolver

    def stub(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return list(answers)

    fetch.resolver = stub
    try:
        yield lookups
    finally:
        fetch.resolver = saved


def checked(address: str) -> bool:
    """True when a public-looking name resolving to ``address`` passes the guard."""
    with resolving_to(address):
        try:
            fetch._check_url("https://news.example.com/a", time.monotonic() + 5)
        except fetch.FetchRefused:
            return False
    return True


@given(any_v4)
@example(V4("192.0.0.8"))
@example(V4("192.0.0.255"))
@example(V4("169.254.169.254"))
def test_an_ipv4_address_is_allowed_exactly_when_iana_calls_it_global(address):
    assert fetch._is_public(address) is not in_blocks(address, FORBIDDEN_V4)
    assert checked(str(address)) is not in_blocks(address, FORBIDDEN_V4)


@given(forbidden_v4, st.integers(0, 2**80 - 1))
@example(V4("169.254.169.254"), 0)
@example(V4("127.0.0.1"), 1)
def test_every_ipv6_embedding_of_a_forbidden_ipv4_address_is_refused(v4, low):
    for address in embeddings(v4, low):
        assert not fetch._is_public(address), address
        assert not checked(str(address)), address


@given(any_v6.filter(lambda a: a not in GLOBAL_UNICAST))
@example(V6("fec0::1"))
@example(V6("::1"))
@example(V6("64:ff9b:1::a9fe:a9fe"))
def test_ipv6_outside_global_unicast_is_refused(address):
    """Loopback, unspecified, ULA, link-local, site-local, multicast, NAT64, discard, the
    reserved rest: nothing outside 2000::/3 is a public web server."""
    assert not fetch._is_public(address)
    assert not checked(str(address))


@given(st.sampled_from([n for n in SPECIAL_IN_2000_3 if n.prefixlen != 16]).flatmap(addresses_in))
@example(V6("3fff::1"))
@example(V6("2001:db8::1"))
def test_special_blocks_inside_global_unicast_are_refused(address):
    assert not checked(str(address))


@given(addresses_in(GLOBAL_UNICAST).filter(lambda a: not in_blocks(a, SPECIAL_IN_2000_3)))
@example(V6("2606:4700:4700::1111"))
def test_global_unicast_ipv6_is_allowed(address):
    assert fetch._is_public(address)
    assert checked(str(address))


@given(st.lists(public_v4, min_size=1, max_size=3), forbidden_v4, st.integers(0, 3))
def test_one_forbidden_answer_among_public_ones_refuses_the_name(public, bad, position):
    """A name server that mixes one internal address into its answers gets nothing."""
    answers = [str(a) for a in public]
    answers.insert(position % (len(answers) + 1), str(bad))
    with resolving_to(*answers), pytest.raises(fetch.FetchRefused):
        fetch._check_url("http://mixed.example.com/", time.monotonic() + 5)


@given(public_v4)
def test_a_canonical_dotted_quad_of_a_public_address_is_fetched_from_that_address(address):
    with resolving_to(str(address)) as lookups:
        target = fetch._check_url(f"http://{address}/x", time.monotonic() + 5)
    assert target.address == str(address) and lookups == [(str(address), 80)]


def odd_spellings(address: ipaddress.IPv4Address) -> list[str]:
    """Numeric hosts that resolvers read as ``address`` but that are not a dotted quad."""
    n = int(address)
    a, b, c, d = address.packed
    return [
        str(n),  # 2130706433
        f"0x{n:x}",  # 0x7f000001
        f"{a}.{n & 0xFFFFFF}",  # 127.1
        f"{a}.{b}.{n & 0xFFFF}",  # 127.0.1
        f"0{a:o}.{b}.{c}.{d}",  # 0177.0.0.1
        f"0x{a:x}.{b}.{c}.{d}",  # 0x7f.0.0.1
    ]


@given(any_v4)
@example(V4("127.0.0.1"))
def test_odd_numeric_spellings_are_refused_before_any_lookup(address):
    for host in odd_spellings(address):
        with resolving_to("93.184.216.34") as lookups, pytest.raises(fetch.FetchRefused):
            fetch._check_url(f"http://{host}/", time.monotonic() + 5)
        assert lookups == [], host


@pytest.mark.parametrize(
    "address",
    ["192.0.0.8", "192.0.0.255", "192.0.0.128", "fec0::1", "fec0:1::80", "3fff::1", "5f00::1"],
)
def test_regression_blocks_python_311_calls_global_are_refused(address):
    """#16 finding: these passed the guard on Python 3.11.7 before the explicit block list."""
    assert not checked(address)
