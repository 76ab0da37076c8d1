"""Time as a seam: the one ``Clock`` that the client, the mock and the tests share.

The contract is made of waits (30 s retries, 2-minute heartbeats, 90 s renders, 7-day tokens).
Nothing in the kit calls ``time.sleep`` or reads the wall clock directly: it asks a ``Clock``.

- :class:`SystemClock` is real time.
- :class:`VirtualClock` never waits: ``sleep(s)`` moves its time forward at once. A client and a
  mock that share one in a process run a 90 s render polled every 30 s in microseconds, and the
  run is deterministic. Time passes only where someone waits.
- :class:`ScaledClock` runs real time faster (``scale=1000`` makes a 30 s wait last 30 ms) and can
  be advanced by hand; it is what a mock in another process uses.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ScaledClock", "SystemClock", "VirtualClock"]


@runtime_checkable
class Clock(Protocol):
    """Seconds on a monotonic time line, and the two ways to wait on it."""

    def now(self) -> float:
        """The current time in seconds (the origin is the clock's own)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds`` of this clock's time."""
        ...

    async def asleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """Real, monotonic time."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def __repr__(self) -> str:
        return "SystemClock()"


class VirtualClock:
    """Time that moves only when someone waits on it or it is advanced by hand.

    A sleep moves the time forward by its length at once. Sleepers do not overlap: two tasks that
    each sleep 15 s move the clock 30 s (an autojump scheduler, as in trio's test clock, would be
    needed to overlap them). Code that waits for a point in time therefore re-reads ``now()``
    and sleeps only the rest. ``asleep`` yields to the event loop once, so that a producer and a
    consumer sharing the clock interleave as they would in real time.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (negative values are refused) and return it."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float) -> None:
        """Move time to ``when``; earlier than now is refused."""
        if when < self._now:
            raise ValueError(f"a clock cannot go backwards (from {self._now} to {when})")
        self._now = float(when)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self._now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:g})"


class ScaledClock:
    """Real time multiplied by ``scale``, plus whatever was added by hand with :meth:`advance`.

    With ``scale=1000`` one real second is 1000 seconds of this clock. Sleepers wake early when
    the clock is advanced past their deadline, so ``advance`` finishes a pending wait at once:
    threads through a condition, tasks through their event loop (a server driven by hand, such
    as a mock whose clock ``nemokit cassettes verify`` moves on, answers at once).
    """

    #: The longest a sleeper waits in real time before looking at the clock again (a safety net:
    #: advances and changes of scale wake sleepers themselves).
    _RECHECK = 0.25

    def __init__(self, scale: float = 1.0, start: float = 0.0) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        self._scale = float(scale)
        self._base_real = time.monotonic()
        self._base_virtual = float(start)
        self._woken = threading.Condition()
        #: Async sleepers now waiting: (their loop, the future that wakes them).
        self._tasks: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    @property
    def scale(self) -> float:
        return self._scale

    def set_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"time scale must be positive, got {scale}")
        with self._woken:
            self._rebase()
            self._scale = float(scale)
            self._wake()

    def now(self) -> float:
        return self._base_virtual + (time.monotonic() - self._base_real) * self._scale

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        with self._woken:
            self._base_virtual += seconds
            self._wake()
        return self.now()

    def sleep(self, seconds: float) -> None:
        deadline = self.now() + seconds
        with self._woken:
            while (left := deadline - self.now()) > 0:
                self._woken.wait(min(left / self._scale, self._RECHECK))

    async def asleep(self, seconds: float) -> None:
        deadline = self.now() + seconds
        loop = asyncio.get_running_loop()
        while (left := deadline - self.now()) > 0:
            woken: asyncio.Future[None] = loop.create_future()
            waiter = (loop, woken)
            with self._woken:
                self._tasks.add(waiter)
            timer = loop.call_later(min(left / self._scale, self._RECHECK), _resolve, woken)
            try:
                await woken
            finally:
                timer.cancel()
                with self._woken:
                    self._tasks.discard(waiter)
        await asyncio.sleep(0)

    def _wake(self) -> None:
        """Wake every sleeper to look at the clock again (called holding ``_woken``)."""
        self._woken.notify_all()
        for loop, woken in self._tasks:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, woken)

    def _rebase(self) -> None:
        real = time.monotonic()
        self._base_virtual += (real - self._base_real) * self._scale
        self._base_real = real

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self._scale:g}, now={self.now():.3f})"


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
