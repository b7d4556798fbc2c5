"""Waiting for work done by another thread or process, with a deadline for slow machines
(a deadline is not a timing assertion: nothing here measures speed)."""

import time

DEADLINE = 120  # seconds


def wait_until(condition, what: str, *, deadline: float = DEADLINE, poll: float = 0.1):
    """The first truthy value of `condition()`; AssertionError naming `what` past the deadline."""
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        value = condition()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"still waiting for {what} after {deadline} s")
