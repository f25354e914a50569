"""The lockout's clock, in epoch seconds: one place, so tests can move time instead of sleeping."""

import time


def now() -> float:
    return time.time()
