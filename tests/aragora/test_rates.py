"""RATE-1, RATE-2, RATE-3: the rate syntax, fixed windows and counter keys we own (#11), and a
bad configured rate refusing to start."""

from __future__ import annotations

import hashlib
import time
import zlib

import pytest
from django.core.exceptions import ImproperlyConfigured

from aragora import rates
from tests.aragora.test_startup import manage


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("100/m", (100, 60)),
        ("5/10s", (5, 10)),
        ("5/10", (5, 10)),  # no unit: seconds, as django-ratelimit reads it
        ("3/2h", (3, 7200)),
        ("7/d", (7, 86400)),
        ("1/s", (1, 1)),
        ("0/m", (0, 60)),
    ],
)
def test_rate_syntax(rate, expected):
    """RATE-1: django-ratelimit's syntax, read as it read it."""
    assert rates.parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["100", "100/", "abc", "100/M", "100/0m", "1/0", "100/m x", ""])
def test_bad_rates_are_refused_by_name(rate):
    """RATE-1: a rate with no period, a zero period, an upper-case unit (django-ratelimit read
    ``100/M`` as 100 per second) or stray text is refused, naming the value."""
    with pytest.raises(ValueError, match="bad rate"):
        rates.parse_rate(rate)


def test_validate_names_the_setting():
    with pytest.raises(ImproperlyConfigured, match="ARAGORA_RATE_LIMIT_UPLOAD: bad rate '5/x'"):
        rates.validate({"default": "100/m", "upload": "5/x"})


def test_a_bad_configured_rate_refuses_to_start():
    """RATE-1: the typo stops ``manage.py check`` at startup, not a client's request later."""
    result = manage("check", ARAGORA_RATE_LIMIT_DEFAULT="100/minute")
    assert result.returncode != 0
    assert "ARAGORA_RATE_LIMIT_DEFAULT: bad rate '100/minute'" in result.stderr


def test_window_edges():
    """RATE-2: fixed windows aligned on the epoch plus a per-key offset; a moment on the edge
    belongs to the window ending then, the next second to the next window."""
    key, period = "ip:198.51.100.7", 60
    offset = zlib.crc32(key.encode()) % period
    edge = 1_800_000_000 - (1_800_000_000 % period) + offset  # a window's last second
    assert rates.window_end(key, period, now=edge) == edge
    assert rates.window_end(key, period, now=edge - 1) == edge
    assert rates.window_end(key, period, now=edge - period + 1) == edge
    assert rates.window_end(key, period, now=edge + 1) == edge + period
    assert rates.window_end(key, 1, now=edge + 0.9) == edge  # per second: this second


def test_windows_end_at_different_seconds_per_key():
    """Clients' windows do not all end at once (the per-key offset)."""
    now = 1_800_000_000
    ends = {rates.window_end(f"ip:198.51.100.{i}", 3600, now=now) for i in range(20)}
    assert len(ends) > 1
    assert all(now <= end < now + 3600 for end in ends)


def test_counter_keys_are_unchanged():
    """RATE-3: the counter key is django-ratelimit 4.1's, so counters made before the change
    are found after it (a deploy mid-window neither resets nor doubles a client's count)."""
    raw = "aragora.default100/60sip:198.51.100.71800000020"
    expected = "rl:" + hashlib.sha256(raw.encode()).hexdigest()
    assert rates.counter_key("aragora.default", "100/m", "ip:198.51.100.7", 1800000020) == expected
    other = rates.counter_key("aragora.default", "100/m", "ip:198.51.100.7", 1800000080)
    assert other != expected  # a new window, a new counter


@pytest.mark.parametrize("rate", [None, 100, b"100/m", ["100/m"]])
def test_a_rate_that_is_not_text_is_a_value_error(rate):
    """TEST-3 (#16): a non-string setting is a bad rate like any other, not an AttributeError."""
    with pytest.raises(ValueError, match="bad rate"):
        rates.parse_rate(rate)


def test_the_bad_rate_message_says_how_to_write_one():
    with pytest.raises(ValueError) as error:
        rates.parse_rate("100/minute")
    assert str(error.value) == (
        "bad rate '100/minute': use <count>/<period>, period s, m, h or d with an optional "
        "multiplier, e.g. 100/m or 5/10s"
    )


def test_without_a_moment_the_window_is_the_current_one():
    before = int(time.time())
    end = rates.window_end("ip:198.51.100.7", 3600)
    assert before <= end < int(time.time()) + 3600
    assert end == rates.window_end("ip:198.51.100.7", 3600, now=time.time()) or (
        int(time.time()) > end  # the window ended between the two calls
    )
