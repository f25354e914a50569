"""LOCK-6: one function decides the client IP; forged headers from untrusted peers do nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from aragora.http.client_ip import resolve_client_ip


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    return settings


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.9", "", "203.0.113.9"),
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.1.1.1", "198.51.100.7", "198.51.100.7"),
        ("10.1.1.1", "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # right-most untrusted hop
        ("10.1.1.1", "6.6.6.6, 198.51.100.7, 10.2.2.2, 192.0.2.1", "198.51.100.7"),
        ("10.1.1.1", "", "10.1.1.1"),
        ("10.1.1.1", "not-an-ip", "10.1.1.1"),
        ("10.1.1.1", "198.51.100.7, garbage", "10.1.1.1"),
        ("10.1.1.1", "::ffff:198.51.100.7", "198.51.100.7"),
        ("::ffff:203.0.113.9", "1.2.3.4", "203.0.113.9"),
        ("2001:db8::1", "1.2.3.4", "2001:db8::1"),
    ],
)
def test_resolve_client_ip(proxies, remote, forwarded, expected):
    assert resolve_client_ip(remote, forwarded) == expected


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.7:51234", "198.51.100.7"),
        ("6.6.6.6, 198.51.100.7:443", "198.51.100.7"),
        ("[2001:db8:1:2::9]:443", "2001:db8:1:2::9"),
        ("[2001:db8:1:2::9]", "2001:db8:1:2::9"),
        ("198.51.100.7:not-a-port", "10.1.1.1"),  # still garbage: the proxy is what we know
    ],
)
def test_a_hop_written_with_its_port_is_the_client(proxies, forwarded, expected):
    """LOCK-6, RATE-1 (#10 red team 2): proxies that write ``ip:port`` (or ``[ipv6]:port``)
    name the client too. Read as garbage, every client behind such a proxy was counted as the
    proxy's own address: one client's failures locked and blocked everyone."""
    assert resolve_client_ip("10.1.1.1", forwarded) == expected


@pytest.mark.django_db
def test_forged_forwarded_for_from_untrusted_peer_changes_nothing(settings):
    settings.TRUSTED_PROXIES = []
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.get("/api/test/whoami", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert response.json() == {"ip": "203.0.113.9"}


@pytest.mark.django_db
def test_forged_proto_header_from_untrusted_peer_is_dropped(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    forged = Client(REMOTE_ADDR="203.0.113.9").get("/api/v1/", HTTP_X_FORWARDED_PROTO="https")
    assert forged.status_code == 301  # still seen as plain HTTP: redirected
    trusted = Client(REMOTE_ADDR="10.0.0.5").get("/api/v1/", HTTP_X_FORWARDED_PROTO="https")
    assert trusted.status_code == 200


@pytest.mark.django_db
def test_trusted_proxy_forwarded_for_is_used(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = Client(REMOTE_ADDR="10.0.0.5")
    response = client.get("/api/test/whoami", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert response.json() == {"ip": "198.51.100.7"}
