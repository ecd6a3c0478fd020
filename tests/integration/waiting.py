# SPDX-License-Identifier: GPL-2.0-or-later
"""Polling with a deadline, shared by the integration tests (every wait has a timeout)."""
import time


def wait_for(pred, timeout=10.0, what="condition", interval=0.02):
    """Calls pred until it returns a true value, which is returned; fails after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(interval)
