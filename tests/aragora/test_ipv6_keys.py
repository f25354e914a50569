"""LOCK-1, LOCK-6, RATE-1, RATE-4 (#10 item 8): an IPv6 client is one key per /64
(``ARAGORA_IPV6_PREFIX``) for lockout counters, rate limits and blocks; IPv4 is unchanged."""

from __future__ import annotations

import pytest

from abuse import services as abuse
from accounts.lockout import service as lockout
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:0:0:0:9", "2001:db8:1:2::/64"),
        ("0.0.0.0", "0.0.0.0"),
    ],
)
def test_ip_key(ip, expected):
    from aragora.http.client_ip import ip_key

    assert ip_key(ip) == expected


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        # 6to4: 2002:V4::/48 is routed to the IPv4 host V4, who owns 65536 /64s of it.
        ("2002:c000:204:1::1", "192.0.2.4"),
        ("2002:c000:204:ffff::9", "192.0.2.4"),
        # Teredo: the client's public IPv4 sits in the address (obfuscated).
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "192.0.2.45"),
        # NAT64's well-known prefix: one IPv4 client each, not one /64 for all of them.
        ("64:ff9b::c000:204", "192.0.2.4"),
        ("64:ff9b::c633:6407", "198.51.100.7"),
    ],
)
def test_ip_key_of_an_ipv6_address_that_embeds_an_ipv4_one(ip, expected):
    """RATE-1, RATE-4, LOCK-1 (#10 red team 2): an address that carries its client's IPv4
    address counts as that IPv4 client. Keyed by /64, one IPv4 host sprayed from the 65536
    /64s of its 6to4 /48, and every NAT64 client shared one key."""
    from aragora.http.client_ip import ip_key

    assert ip_key(ip) == expected


def test_logins_sprayed_over_a_6to4_48_are_locked_like_one_ipv4_client():
    """LOCK-1, LOCK-3 (#10 red team 2): 6 wrong logins from 6 /64s of one 6to4 /48 lock."""
    statuses = [
        Api(REMOTE_ADDR=f"2002:c000:204:{n:x}::1")
        .post("/api/v1/auth/login", {"email": f"nobody{n}@example.com", "password": "x"})
        .status_code
        for n in range(1, 7)
    ]
    assert statuses == [401] * 5 + [429]


def test_the_prefix_is_configurable(settings):
    from aragora.http.client_ip import ip_key

    settings.IPV6_PREFIX = 48
    assert ip_key("2001:db8:1:2::1") == "2001:db8:1::/48"
    settings.IPV6_PREFIX = 128
    assert ip_key("2001:db8:1:2::1") == "2001:db8:1:2::1/128"


def _spray_login(n: int, network: str = "2001:db8:7:7") -> list:  # type: ignore[type-arg]
    """``n`` logins for unknown emails, each from its own address of one /64."""
    responses = []
    for i in range(1, n + 1):
        api = Api(REMOTE_ADDR=f"{network}:{i:x}:{i:x}:{i:x}:{i:x}")
        responses.append(
            api.post("/api/v1/auth/login", {"email": f"spray{i}@example.com", "password": "x"})
        )
    return responses


def test_30_logins_from_30_addresses_of_one_64_are_locked_then_limited():
    responses = _spray_login(30)
    statuses = [r.status_code for r in responses]
    assert statuses[:5] == [401] * 5  # LOCK-1: the /64's IP key locks at 5 failures
    assert set(statuses[5:]) == {429}
    codes = [error_code(r) for r in responses[5:]]
    assert codes[:5] == ["locked_out"] * 5 and set(codes[5:]) == {"rate_limited"}  # RATE-1
    assert responses[10]["X-RateLimit-Limit"] == "10"
    other_network = Api(REMOTE_ADDR="2001:db8:7:8::1")
    answer = other_network.post("/api/v1/auth/login", {"email": "z@example.com", "password": "x"})
    assert answer.status_code == 401  # the next /64 is another client
    listed = {(e.key_type, e.key) for e in lockout.entries()}
    assert ("ip", "2001:db8:7:7::/64") in listed


def test_ipv4_neighbours_stay_separate_clients():
    for last in range(1, 8):
        api = Api(REMOTE_ADDR=f"198.51.100.{last}")
        answer = api.post("/api/v1/auth/login", {"email": f"n{last}@example.com", "password": "x"})
        assert answer.status_code == 401


def test_rate_limits_count_an_ipv6_client_by_its_64(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "3/h"}
    statuses = [Api(REMOTE_ADDR=f"2001:db8:9:9::{i}").get("/api/v1/").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert Api(REMOTE_ADDR="2001:db8:9:a::1").get("/api/v1/").status_code == 200


def test_blocks_cover_the_whole_64_and_clear_by_any_address_in_it():
    abuse.block("ip:2001:db8:5:6::/64", seconds=600, reason="escalation", level=1)
    assert Api(REMOTE_ADDR="2001:db8:5:6:1:2:3:4").get("/api/v1/").status_code == 429
    assert Api(REMOTE_ADDR="2001:db8:5:7::1").get("/api/v1/").status_code == 200
    assert abuse.clear(key="ip:2001:db8:5:6::abcd") == 1
    assert Api(REMOTE_ADDR="2001:db8:5:6:1:2:3:4").get("/api/v1/").status_code == 200


def test_escalation_blocks_the_64(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "1/h"}
    settings.ESCALATION_STRIKES = 2
    for i in range(3):
        Api(REMOTE_ADDR=f"2001:db8:4:4::{i + 1}").get("/api/v1/")
    assert abuse.active_blocks()[0].key == "ip:2001:db8:4:4::/64"
    assert Api(REMOTE_ADDR="2001:db8:4:4:ffff::1").get("/api/v1/").status_code == 429


def test_lockout_clears_by_any_address_of_the_64():
    _spray_login(5, network="2001:db8:3:3")
    assert lockout.clear(ip="2001:db8:3:3::99") >= 1
    answer = Api(REMOTE_ADDR="2001:db8:3:3::5").post(
        "/api/v1/auth/login", {"email": "after@example.com", "password": "x"}
    )
    assert answer.status_code == 401


def test_admins_may_clear_a_block_by_the_key_it_is_listed_under():
    from abuse.api import ClearBlockSerializer

    for key in ("ip:2001:db8:5:6::/64", "ip:2001:db8:5:6::1", "ip:198.51.100.7", "user:3"):
        assert ClearBlockSerializer(data={"key": key}).is_valid(), key
    assert not ClearBlockSerializer(data={"key": "ip:<script>"}).is_valid()
