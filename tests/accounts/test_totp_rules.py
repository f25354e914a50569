"""MFA-1, TEST-3 (#16): TOTP as functions, against the published test vectors of RFC 4226
(HOTP) and RFC 6238 (TOTP, SHA-1), and the verification window of ±1 step. The MFA flows
(tests/accounts/test_mfa.py) use it end to end."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.mfa import totp

RFC_SECRET = b"12345678901234567890"


@pytest.mark.parametrize(
    ("counter", "code"),
    enumerate(
        [
            "755224",
            "287082",
            "359152",
            "969429",
            "338314",
            "254676",
            "287922",
            "162583",
            "399871",
            "520489",
        ]
    ),
)
def test_hotp_matches_rfc_4226_appendix_d(counter, code):
    assert totp.hotp(RFC_SECRET, counter) == code


@pytest.mark.parametrize(
    ("epoch", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_rfc_6238_appendix_b(epoch, code):
    assert totp.totp(RFC_SECRET, epoch, digits=8) == code
    assert totp.totp(RFC_SECRET, epoch) == code[-6:]  # six digits: the same value, shorter


def test_steps_are_30_seconds():
    assert (totp.STEP_SECONDS, totp.DIGITS, totp.DRIFT_STEPS) == (30, 6, 1)
    assert [totp.step_at(t) for t in (0, 29.999, 30, 59, 60, 1111111109)] == [
        0,
        0,
        1,
        1,
        2,
        37037036,
    ]


def test_a_code_matches_its_own_step_and_one_either_side_only():
    now = 1_700_000_000.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.hotp(RFC_SECRET, step + offset)
        assert totp.matching_step(RFC_SECRET, code, now) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.hotp(RFC_SECRET, step + offset)
        if code not in {totp.hotp(RFC_SECRET, step + d) for d in (-1, 0, 1)}:
            assert totp.matching_step(RFC_SECRET, code, now) is None


def test_the_earliest_matching_step_is_reported():
    """Two steps with the same code (1 in 10^6): the earliest counts. RFC 4226's secret gives
    911617 at counters 910737 and 910738 (found by search, fixed here)."""
    now = 910738 * 30.0 + 1
    assert totp.hotp(RFC_SECRET, 910737) == totp.hotp(RFC_SECRET, 910738) == "911617"
    assert totp.matching_step(RFC_SECRET, "911617", now) == 910737


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦", "12345\uff16"])
def test_malformed_codes_match_nothing(typed):
    assert totp.matching_step(RFC_SECRET, typed, 59) is None


def test_spaces_in_a_typed_code_are_ignored():
    code = totp.totp(RFC_SECRET, 59)
    assert totp.matching_step(RFC_SECRET, f" {code[:3]} {code[3:]} ", 59) == 1


def test_new_secrets_are_160_random_bits():
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50 and {len(s) for s in secrets} == {20}


def test_the_provisioning_uri_is_what_authenticator_apps_read():
    uri = totp.provisioning_uri(RFC_SECRET, account="jane@example.com", issuer="Aragora")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert unquote(parts.path) == "/Aragora:jane@example.com"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "issuer": "Aragora",
        "algorithm": "SHA1",
        "digits": "6",
        "period": "30",
    }
    assert totp.b32(RFC_SECRET) == base64.b32encode(RFC_SECRET).decode()  # 20 bytes: no padding
    assert totp.b32(b"\x00") == "AA"  # padding stripped


def test_the_qr_code_is_an_inline_svg_of_the_uri():
    svg = totp.qr_svg("otpauth://totp/x?secret=AA")
    assert svg.startswith("<svg") and 'fill="#fff"' in svg and "#111" in svg


@given(st.binary(min_size=1, max_size=64), st.integers(0, 2**40), st.integers(6, 8))
def test_hotp_is_always_the_configured_number_of_digits(secret, counter, digits):
    code = totp.hotp(secret, counter, digits)
    assert len(code) == digits and code.isdigit()


@given(st.text(max_size=12), st.integers(0, 2**33))
def test_any_typed_text_is_a_step_or_none_and_never_an_error(typed, epoch):
    """#16 finding: six non-ASCII digits made compare_digest raise (a 500 at the code step)."""
    step = totp.matching_step(RFC_SECRET, typed, epoch)
    cleaned = "".join(typed.split())
    if not (cleaned.isascii() and cleaned.isdigit() and len(cleaned) == 6):
        assert step is None
    else:
        assert step is None or abs(step - totp.step_at(epoch)) <= 1


def test_b32_strips_only_the_padding():
    assert totp.b32(b"\x00\x00\x00\x00\x17") == "AAAAAAAX"  # ends in X, a base32 letter
    assert totp.b32(b"\xff") == "74"


def test_the_qr_code_is_medium_correction_at_scale_4_in_the_house_colours():
    import segno

    uri = totp.provisioning_uri(RFC_SECRET, account="jane@example.com", issuer="Aragora")
    expected = segno.make(uri, error="m")
    svg = totp.qr_svg(uri)
    assert expected.error == "M"
    width = (expected.symbol_size(scale=4))[0]
    assert f'width="{width}"' in svg and f'height="{width}"' in svg
    assert svg == expected.svg_inline(scale=4, dark="#111", light="#fff")


def test_eight_digit_codes_are_checked_as_eight_digits():
    assert totp.matching_step(RFC_SECRET, "94287082", 59, digits=8) == 1
    assert totp.matching_step(RFC_SECRET, "287082", 59, digits=8) is None
