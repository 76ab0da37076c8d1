from __future__ import annotations

import asyncio
import threading

import pytest

from nemokit import ScaledClock, VirtualClock


def test_virtual_sleep_advances_at_once() -> None:
    clock = VirtualClock(start=5)
    clock.sleep(30)
    assert clock.now() == 35


def test_virtual_async_sleep_advances_at_once() -> None:
    clock = VirtualClock()
    asyncio.run(clock.asleep(90))
    assert clock.now() == 90


def test_virtual_clock_never_goes_back() -> None:
    clock = VirtualClock(start=10)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.set(3)


def test_scaled_clock_advance_wakes_a_sleeper() -> None:
    # At scale 1e-6 a 10 s sleep would last 10^7 real seconds: only the advance can end it.
    clock = ScaledClock(scale=1e-6)
    done = threading.Event()
    sleeper = threading.Thread(target=lambda: (clock.sleep(10), done.set()), daemon=True)
    sleeper.start()
    for _ in range(200):
        clock.advance(10)
        if done.wait(0.01):
            break
    assert done.is_set()
    assert clock.now() >= 10


def test_scaled_clock_refuses_bad_scale() -> None:
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(scale=0)
