"""OPS-2: the circuit breaker in front of Redis (revocation AUTH-4, lockout LOCK-1) skips the
service at once after a failure, probes once per cooldown, and closes on success. Time is moved
by hand, never slept (#11)."""

from __future__ import annotations

import threading

from aragora.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_closed_until_a_failure():
    breaker = CircuitBreaker("t", cooldown=5.0, clock=Clock())
    assert not breaker.is_open
    assert breaker.allow() and breaker.allow()
    breaker.record_failure()
    assert breaker.is_open
    assert not breaker.allow()


def test_one_probe_per_cooldown_then_closed_by_success():
    clock = Clock()
    breaker = CircuitBreaker("t", cooldown=5.0, clock=clock)
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()  # still cooling down: the fallback answers
    clock.now += 0.1
    assert breaker.allow()  # the cooldown's edge: one call probes
    assert not breaker.allow()  # and only one
    clock.now += 5.0
    assert breaker.allow()  # a probe that never reported: another one a cooldown later
    breaker.record_success()
    assert not breaker.is_open
    assert breaker.allow() and breaker.allow()


def test_a_failed_probe_opens_for_another_cooldown():
    clock = Clock()
    breaker = CircuitBreaker("t", cooldown=5.0, clock=clock)
    breaker.record_failure()
    clock.now += 5.0
    assert breaker.allow()
    clock.now += 1.0
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()


def test_half_open_lets_exactly_one_of_many_threads_probe():
    """The reason the breaker is ours (see its docstring): under a burst after the cooldown one
    request probes Redis and the rest use the fallback at once."""
    clock = Clock()
    breaker = CircuitBreaker("t", cooldown=5.0, clock=clock)
    breaker.record_failure()
    clock.now += 5.0
    barrier = threading.Barrier(16)
    allowed: list[bool] = []

    def call() -> None:
        barrier.wait()
        allowed.append(breaker.allow())

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1 and len(allowed) == 16


def test_the_default_clock_is_monotonic():
    import time

    assert CircuitBreaker("t")._clock is time.monotonic
