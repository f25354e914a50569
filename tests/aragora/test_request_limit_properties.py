"""LIMIT-1, LIMIT-2, RATE-1, TEST-1 (#16): properties of the request-limit parsing and of the
rate strings, over generated headers, bodies and rates.

- any ``Content-Length`` is either a length or a clean 400, never a server error; a body over
  the request limit, or a JSON body over the JSON limit, is refused with 413 from the header;
  anything within the limits passes through;
- a multipart body is stopped at part ``MAX_MULTIPART_PARTS + 1`` however its bytes are split
  into reads, and never before;
- the JSON parser refuses nesting deeper than ``MAX_JSON_DEPTH`` and parses anything shallower;
- a rate string ``<count>/<multiplier><unit>`` parses to its count and its seconds; anything
  else is a ``ValueError`` (a typo stops start-up, never a request); windows end within one
  period of now, the same for every moment of a window.
"""

from __future__ import annotations

import io
import json
import random

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.exceptions import ParseError

from aragora import rates
from aragora.http.json import BoundedJSONParser
from aragora.http.limits import PartCountingStream, RequestLimitsMiddleware, TooManyParts

pytestmark = pytest.mark.django_db
LIMITS = {"MAX_REQUEST_BYTES": 1000, "MAX_JSON_BYTES": 100, "MAX_MULTIPART_PARTS": 5}


def status_for(content_type: str, content_length: str) -> int:
    # An empty body: nothing is read before the verdict. The factory sets CONTENT_TYPE only
    # along with data, so it is given as a header of the environ.
    request = RequestFactory().generic(
        "POST", "/x", b"", CONTENT_TYPE=content_type, CONTENT_LENGTH=content_length
    )
    with override_settings(**LIMITS):
        response = RequestLimitsMiddleware(lambda r: HttpResponse(status=200))(request)
    return response.status_code


@given(st.text(max_size=20), st.sampled_from(["application/json", "text/plain"]))
@example("-1", "text/plain")
@example("1e3", "application/json")
@example("١٢", "text/plain")  # Arabic-Indic digits: int() reads them
@example(" 12 ", "text/plain")
def test_any_content_length_is_a_length_or_a_400(raw, content_type):
    status = status_for(content_type, raw)
    try:
        length = int(raw or "0")
    except ValueError:
        length = -1
    if length < 0:
        assert status == 400
    else:
        limit = 100 if content_type == "application/json" else 1000
        assert status == (413 if length > limit else 200)


@given(
    st.integers(0, 5000),
    st.sampled_from(
        [
            "application/json",
            "application/problem+json",
            "application/vnd.api+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/octet-stream",
        ]
    ),
)
@example(100, "application/json")  # exactly at a limit: allowed (found by mutation, #16)
@example(1000, "text/plain")
@example(101, "application/problem+json")
def test_lengths_over_a_limit_are_413_and_within_pass(length, content_type):
    limit = 100 if content_type.endswith("json") else 1000
    assert status_for(content_type, str(length)) == (413 if length > limit else 200)


def multipart(boundary: bytes, parts: list[bytes]) -> bytes:
    body = b"".join(
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + p + b"\r\n"
        for p in parts
    )
    return body + b"--" + boundary + b"--\r\n"


def read_all(stream: PartCountingStream, sizes: list[int], lines: bool) -> None:
    """Read the stream to its end in reads of the given sizes (cycled), or line by line."""
    i = 0
    while True:
        if lines:
            chunk = stream.readline(sizes[i % len(sizes)])
        else:
            chunk = stream.read(sizes[i % len(sizes)])
        if not chunk:
            return
        i += 1


boundaries = (
    st.binary(min_size=1, max_size=30)
    .filter(lambda b: b"\r" not in b)
    .map(lambda b: b"B" + b.hex().encode())
)
part_bodies = st.lists(st.binary(max_size=40), min_size=0, max_size=9)


@given(boundaries, part_bodies, st.lists(st.integers(1, 70), min_size=1, max_size=8), st.booleans())
@example(b"Bx", [b""] * 6, [1], False)
@example(b"Bx", [b""] * 5, [1], True)
def test_multipart_is_stopped_after_the_last_allowed_part_however_it_is_read(
    boundary, bodies, sizes, lines
):
    bodies = [b.replace(b"--" + boundary, b"") for b in bodies]  # a part cannot hold its delimiter
    stream = PartCountingStream(io.BytesIO(multipart(boundary, bodies)), boundary, max_parts=5)
    if len(bodies) > 5:
        with pytest.raises(TooManyParts):
            read_all(stream, sizes, lines)
    else:
        read_all(stream, sizes, lines)


def nested(depth: int, leaf: object, rnd: random.Random) -> object:
    value = leaf
    for _ in range(depth - 1):
        value = [value] if rnd.random() < 0.5 else {"k": value}
    return value


@given(st.integers(1, 80), st.randoms(use_true_random=False))
@example(64, random.Random(0))
@example(65, random.Random(0))
def test_json_nesting_deeper_than_the_limit_is_refused(depth, rnd):
    body = json.dumps(nested(depth, [], rnd)).encode()
    with override_settings(MAX_JSON_DEPTH=64, MAX_JSON_BYTES=10_000):
        if depth > 64:
            with pytest.raises(ParseError):
                BoundedJSONParser().parse(io.BytesIO(body))
        else:
            assert BoundedJSONParser().parse(io.BytesIO(body)) == json.loads(body)


# ---- rate strings -----------------------------------------------------------------------

units = st.sampled_from(["", "s", "m", "h", "d"])


@given(st.integers(0, 10**6), st.one_of(st.none(), st.integers(1, 1000)), units, st.booleans())
@example(100, None, "m", False)
@example(5, 10, "", True)
def test_a_well_formed_rate_parses_to_its_count_and_seconds(count, multiplier, unit, padded):
    if multiplier is None and unit == "":
        return  # "5/" has no period: covered by the next test
    text = f"{count}/{multiplier or ''}{unit}"
    if padded:
        text = f"  {text}\t"
    seconds = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit] * (multiplier or 1)
    assert rates.parse_rate(text) == (count, seconds)


@given(st.text(max_size=15))
@example("5/")
@example("100/M")
@example("5/0s")
@example("10/m extra")
@example("/m")
def test_anything_else_is_a_value_error_that_names_it(text):
    try:
        count, seconds = rates.parse_rate(text)
    except ValueError as error:
        assert repr(text) in str(error)
        return
    # Accepted: then it was a well-formed rate with a period of at least a second.
    assert count >= 0 and seconds >= 1
    head, _, tail = text.strip().partition("/")
    multiplier = tail.rstrip("smhd")
    unit = tail[len(multiplier) :]
    assert head.isdecimal() and len(unit) <= 1 and (multiplier.isdecimal() or unit)


@given(st.text(max_size=10).filter(lambda t: not _ok(t)), st.sampled_from(["login", "api"]))
def test_a_bad_configured_rate_stops_start_up_naming_its_variable(text, policy):
    with pytest.raises(ImproperlyConfigured, match=f"ARAGORA_RATE_LIMIT_{policy.upper()}"):
        rates.validate({"other": "5/m", policy: text})


def _ok(text: str) -> bool:
    try:
        rates.parse_rate(text)
    except ValueError:
        return False
    return True


@given(st.text(max_size=30), st.integers(1, 10**6), st.floats(0, 4e9))
def test_a_window_ends_within_one_period_and_is_shared_by_its_moments(key, period, now):
    end = rates.window_end(key, period, now)
    assert int(now) <= end < int(now) + period
    for moment in (end - period + 1, end, (end - period + 1 + end) // 2):
        if moment >= 0:
            assert rates.window_end(key, period, moment) == end
    assert rates.window_end(key, period, end + 1) == end + period


@given(st.text(max_size=20), st.text(max_size=20), st.integers(0, 10**9), st.integers(0, 10**9))
def test_counter_keys_are_fixed_and_separate_windows(group, key, window, other):
    first = rates.counter_key(group, "5/m", key, window)
    assert first == rates.counter_key(group, "5/60s", key, window)  # the same rate, spelled twice
    assert first.startswith("rl:") and len(first) == 3 + 64
    if other != window:
        assert rates.counter_key(group, "5/m", key, other) != first
