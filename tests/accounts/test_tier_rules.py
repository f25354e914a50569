"""LOCK-1, LOCK-3, TEST-3 (#16): the tier rules as functions (``ARAGORA_LOCKOUT_TIERS`` parsing,
lock durations, the reservation ceiling), with no store behind them. The lockout's own tests
(tests/accounts/test_lockout*.py) run them through the stores; these pin each rule down so a
changed comparison or constant fails here (the mutation run, ``make mutation``, checks that)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from accounts.lockout.tiers import lock_seconds, next_lock_at, parse_tiers

DEFAULT = "5:60,10:900,15:3600"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5:60,10:900,15:3600", ((5, 60), (10, 900), (15, 3600))),
        ("15:3600,5:60,10:900", ((5, 60), (10, 900), (15, 3600))),  # sorted
        ("1:1", ((1, 1),)),
        (" 3 : 10 , 7:20", ((3, 10), (7, 20))),  # int() forgives spaces
    ],
)
def test_parse_tiers(value, expected):
    assert parse_tiers(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "5",
        "5:",
        ":60",
        "5:60,",
        "5:60:1",
        "ten:60",
        "5:sixty",
        "0:60",
        "5:0",
        "-1:60",
        "5:-60",
        "5:60,5:900",
    ],
)
def test_bad_tiers_stop_start_up_naming_the_variable(value):
    with pytest.raises(ImproperlyConfigured, match="ARAGORA_LOCKOUT_TIERS"):
        parse_tiers(value)


def test_the_two_refusals_say_what_is_wrong():
    with pytest.raises(ImproperlyConfigured) as shape:
        parse_tiers("5-60")
    assert str(shape.value) == "ARAGORA_LOCKOUT_TIERS must look like 5:60,10:900"
    with pytest.raises(ImproperlyConfigured) as values:
        parse_tiers("5:60,5:61")
    assert str(values.value) == "ARAGORA_LOCKOUT_TIERS needs distinct positive failures:seconds"


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (0, 0),
        (1, 0),
        (4, 0),
        (5, 60),
        (6, 0),
        (9, 0),
        (10, 900),
        (11, 0),
        (14, 0),
        (15, 3600),
        (16, 3600),
        (1000, 3600),
    ],
)
def test_lock_seconds_at_each_tier_between_and_beyond(failures, seconds):
    assert lock_seconds(parse_tiers(DEFAULT), failures) == seconds


@pytest.mark.parametrize(
    ("failures", "ceiling"),
    [(0, 5), (4, 5), (5, 10), (6, 10), (9, 10), (10, 15), (14, 15), (15, 16), (16, 17), (99, 100)],
)
def test_the_next_lock_is_at_the_next_threshold_then_every_failure(failures, ceiling):
    assert next_lock_at(parse_tiers(DEFAULT), failures) == ceiling


tier_lists = st.dictionaries(st.integers(1, 50), st.integers(1, 10**5), min_size=1, max_size=5)


@given(tier_lists, st.integers(0, 120))
def test_tier_rules_for_any_configuration(tiers_by_failures, failures):
    tiers = parse_tiers(",".join(f"{f}:{s}" for f, s in tiers_by_failures.items()))
    top = max(tiers_by_failures)
    expected = tiers_by_failures[top] if failures >= top else tiers_by_failures.get(failures, 0)
    assert lock_seconds(tiers, failures) == expected
    ceiling = next_lock_at(tiers, failures)
    assert ceiling > failures
    # The ceiling is the first count after this one that locks.
    assert lock_seconds(tiers, ceiling) > 0
    assert all(lock_seconds(tiers, n) == 0 for n in range(failures + 1, ceiling))
