"""Time as a seam: the one ``Clock`` that the client, the mock and the tests share.

The contract is made of waits (30 s retries, 2-minute heartbeats, 90 s renders, 7-day tokens).
Nothing in the kit calls ``time.sleep`` or reads the wall clock directly: it asks a ``Clock``.

- :class:`SystemClock` is real time.
- :class:`VirtualClock` never waits for real: it is a discrete-event scheduler. A sleep registers
  its wake-up and time jumps to the earliest one once every party (the client, the mock's
  streams) is waiting, so concurrent sleepers overlap as in real time. A client and a mock that
  share one in a process run a 90 s render polled every 30 s in microseconds, and the run is
  deterministic.
- :class:`ScaledClock` runs real time faster (``scale=1000`` makes a 30 s wait last 30 ms) and can
  be advanced by hand; it is what a mock in another process uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["Clock", "ScaledClock", "SystemClock", "VirtualClock"]

_T = TypeVar("_T")


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


class _Wake:
    """One pending sleep: its wake-up time, and how to wake it (a thread or a future)."""

    __slots__ = ("cancelled", "done", "future", "loop", "order", "thread", "when")
    _count = itertools.count()

    def __init__(
        self,
        when: float,
        thread: int | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        future: asyncio.Future[None] | None = None,
    ) -> None:
        self.when, self.thread, self.loop, self.future = when, thread, loop, future
        self.done = self.cancelled = False
        self.order = next(self._count)  # sleepers due at the same time wake in the order they slept

    def __lt__(self, other: _Wake) -> bool:
        return (self.when, self.order) < (other.when, other.order)


class VirtualClock:
    """A discrete-event clock: time jumps to the earliest wake-up once every party is waiting.

    A sleep registers its wake-up time and waits. Time never moves while a party of the virtual
    world can still run; once all of them wait, it jumps to the earliest pending wake-up and
    wakes every sleeper due then (trio's ``MockClock(autojump_threshold=0)`` works the same way).
    Concurrent sleepers overlap: two tasks that each sleep 15 s wake together at +15 s. The
    parties are:

    - **event loops**: every asyncio loop that has slept on this clock (the client's loop, the
      in-process transport's loop that runs the mock). A loop is waiting when it has nothing
      ready to run (a standard asyncio loop's ready queue is empty) or has stopped. A task that
      is cancelled while asleep stops taking part at once (a stream whose client has gone).
    - **threads** that sleep with :meth:`sleep` or call into the mock through
      :class:`~mockserver.StreamingTransport`: a thread holds time still from the moment it
      wakes (or gets an answer from the mock) until it waits again or ends. A thread that stops
      taking part while others still wait calls :meth:`leave`; a thread that must be counted
      before it first waits (a second client starting in parallel) calls :meth:`hold`.

    The mock's render jobs take part without tasks: their state is derived from :meth:`now`.
    :meth:`advance` and :meth:`set` move time by hand and wake the sleepers that fall due.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Condition()
        self._sleepers: list[_Wake] = []
        self._holders: set[int] = set()  # threads running in the world outside an event loop
        self._busy: set[asyncio.AbstractEventLoop] = set()  # loops that may have work to do
        self._checking: set[asyncio.AbstractEventLoop] = set()  # loops with a check scheduled
        self._threads = threading.local()  # a _Leaver per thread that took part

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (negative values are refused) and return it."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        with self._lock:
            self._move_to(self._now + seconds)
            return self._now

    def set(self, when: float) -> None:
        """Move time to ``when``; earlier than now is refused."""
        with self._lock:
            if when < self._now:
                raise ValueError(f"a clock cannot go backwards (from {self._now} to {when})")
            self._move_to(float(when))

    def hold(self) -> None:
        """Count the calling thread as running: time stays still until it waits or leaves."""
        self._joined()
        with self._lock:
            self._holders.add(threading.get_ident())

    def leave(self) -> None:
        """The calling thread stops taking part (it no longer holds time still)."""
        with self._lock:
            self._holders.discard(threading.get_ident())
            self._decide()

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._joined()
        me = threading.get_ident()
        with self._lock:
            wake = _Wake(self._now + seconds, thread=me)
            heapq.heappush(self._sleepers, wake)
            self._holders.discard(me)
            with contextlib.suppress(RuntimeError):  # this thread's own loop cannot run now
                self._busy.discard(asyncio.get_running_loop())
            self._decide()
            while not wake.done:
                self._lock.wait()

    async def asleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            wake = _Wake(self._now + seconds, loop=loop, future=future)
            heapq.heappush(self._sleepers, wake)
            # The thread runs this loop: its own activity is the loop's from now on.
            self._holders.discard(threading.get_ident())
            self._mark_busy(loop)
        try:
            await future
        except asyncio.CancelledError:
            with self._lock:
                wake.cancelled = True  # dropped from the queue when it comes up
                self._decide()
            raise

    async def serve(self, thread: int, call: Awaitable[_T]) -> _T:
        """Run ``call`` in this loop for ``thread``, which is blocked on it meanwhile.

        The thread holds time from before it submits the call (it calls :meth:`hold`) until
        the call has started here; while the call runs, this loop's state counts; the thread
        holds time again before it gets the answer, so nothing moves while it works on it.
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            self._mark_busy(loop)
            self._holders.discard(thread)
        try:
            return await call
        finally:
            with self._lock:
                self._holders.add(thread)

    def _joined(self) -> None:
        """Make sure the calling thread leaves when it ends (its thread-local data is freed)."""
        if getattr(self._threads, "leaver", None) is None:
            self._threads.leaver = _Leaver(self, threading.get_ident())

    def _gone(self, thread: int) -> None:
        with self._lock:
            self._holders.discard(thread)
            self._decide()

    # --- the scheduler (all called with the lock held) ----------------------------------------

    def _mark_busy(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop in self._checking:
            self._busy.add(loop)
        elif _call_soon(loop, self._check, loop):
            self._busy.add(loop)
            self._checking.add(loop)

    def _check(self, loop: asyncio.AbstractEventLoop) -> None:
        """In ``loop``: once nothing else is ready to run there, the loop is waiting."""
        # asyncio has no public "idle" hook; the ready queue of the standard loops (the one
        # anyio's portal and asyncio.run use) is it. A loop without one (uvloop) counts as
        # waiting whenever this check runs, which is still exact for a single task.
        if getattr(loop, "_ready", None):  # others first; look again after them
            loop.call_soon(self._check, loop)
            return
        with self._lock:
            self._checking.discard(loop)
            self._busy.discard(loop)
            self._decide()

    def _decide(self) -> None:
        """Jump to the earliest wake-up while every party is waiting."""
        while self._sleepers and not self._holders and self._loops_waiting():
            if self._sleepers[0].cancelled:
                heapq.heappop(self._sleepers)
                continue
            self._move_to(self._sleepers[0].when)

    def _loops_waiting(self) -> bool:
        for loop in list(self._busy):
            if loop.is_closed() or not loop.is_running():
                self._busy.discard(loop)  # a stopped loop runs nothing
                self._checking.discard(loop)
            else:
                return False
        return True

    def _move_to(self, when: float) -> None:
        self._now = max(self._now, when)
        woke_thread = False
        while self._sleepers and self._sleepers[0].when <= self._now:
            wake = heapq.heappop(self._sleepers)
            if wake.cancelled:
                continue
            wake.done = True
            if wake.thread is not None:
                self._holders.add(wake.thread)
                woke_thread = True
            elif wake.loop is not None and wake.future is not None:
                if wake.loop.is_closed():
                    continue
                _call_soon(wake.loop, _resolve, wake.future)
                self._mark_busy(wake.loop)
        if woke_thread:
            self._lock.notify_all()

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now:g})"


class _Leaver:
    """Kept in a thread's local data: when the thread ends, it stops holding the clock's time."""

    def __init__(self, clock: VirtualClock, thread: int) -> None:
        self.clock, self.thread = weakref.ref(clock), thread

    def __del__(self) -> None:
        clock = self.clock()
        if clock is not None:
            clock._gone(self.thread)


def _call_soon(
    loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: Any
) -> bool:
    """``loop.call_soon``, thread-safe when called from another thread (only then: waking the
    loop through its self-pipe costs a system call); False when the loop has closed meanwhile
    (its thread may close it at any moment: a closed loop runs nothing and waits for nothing)."""
    try:
        if asyncio._get_running_loop() is loop:
            loop.call_soon(callback, *args)
        else:
            loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:  # "Event loop is closed"
        return False
    return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


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
                _call_soon(loop, _resolve, woken)

    def _rebase(self) -> None:
        real = time.monotonic()
        self._base_virtual += (real - self._base_real) * self._scale
        self._base_real = real

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self._scale:g}, now={self.now():.3f})"
