"""Multi-step flows written once, driven twice.

A flow is a generator that yields *steps* and receives their outcomes (the shape of httpx's
``Auth.auth_flow``). It decides everything (what to send, how long to wait, what to show) and
does no I/O itself; :class:`SyncDriver` and :class:`AsyncDriver` perform the steps.

==========================  =====================================================
step                        the driver answers with
==========================  =====================================================
``Send(request)``           the ``httpx.Response`` with its body read
``Send(request, stream)``   the ``httpx.Response``, body not read yet
``Read(response)``          the next chunk of bytes, ``b""`` at the end
``Close(response)``         ``None`` (the response is closed)
``Sleep(seconds)``          ``None`` after the clock's sleep
``Show(view)``              ``None`` (the view went to the caller)
==========================  =====================================================

An ``httpx.TransportError`` raised while sending or reading is thrown into the flow at the
``yield``, so that the flow, not the driver, decides what a dropped connection means.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, Union

import httpx

from ._clock import Clock
from ._views import View

__all__ = [
    "AsyncDriver",
    "Close",
    "Flow",
    "Read",
    "Send",
    "Show",
    "Sleep",
    "Step",
    "SyncDriver",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Send:
    request: httpx.Request
    stream: bool = False


@dataclass(frozen=True, slots=True)
class Read:
    response: httpx.Response


@dataclass(frozen=True, slots=True)
class Close:
    response: httpx.Response


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Show:
    view: View


Step = Union[Send, Read, Close, Sleep, Show]  # noqa: UP007 (a runtime alias on 3.10)
Flow = Generator[Step, Any, T]


class _Finished(Exception):
    """Carries a flow's return value out of a view iterator."""


class SyncDriver:
    """Performs a flow's steps with an ``httpx.Client`` and a clock."""

    def __init__(self, http: httpx.Client, clock: Clock) -> None:
        self.http = http
        self.clock = clock

    def run(self, flow: Flow[T], on_view: Callable[[View], None] | None = None) -> T:
        """Drive ``flow`` to its end and return its value; views go to ``on_view``."""
        views = self.iterate(flow)
        while True:
            try:
                view = next(views)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            if on_view is not None:
                on_view(view)

    def iterate(self, flow: Flow[T]) -> Generator[View, None, T]:
        """Drive ``flow``, yielding each view as it is shown; returns the flow's value."""
        chunks: dict[int, Iterator[bytes]] = {}
        outcome: Any = None
        error: BaseException | None = None
        try:
            while True:
                try:
                    step = flow.throw(error) if error is not None else flow.send(outcome)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
                outcome, error = None, None
                if isinstance(step, Show):
                    yield step.view
                    continue
                try:
                    outcome = self._perform(step, chunks)
                except httpx.TransportError as exc:
                    error = exc
        finally:
            flow.close()

    def _perform(self, step: Step, chunks: dict[int, Iterator[bytes]]) -> Any:
        if isinstance(step, Send):
            response = self.http.send(step.request, stream=step.stream)
            if step.stream:
                chunks[id(response)] = _raw_chunks(response)
            return response
        if isinstance(step, Read):
            return next(chunks[id(step.response)], b"")
        if isinstance(step, Close):
            chunks.pop(id(step.response), None)
            step.response.close()
            return None
        if isinstance(step, Sleep):
            self.clock.sleep(step.seconds)
            return None
        raise TypeError(f"a flow yielded {step!r}, which is not a step")


class AsyncDriver:
    """Performs a flow's steps with an ``httpx.AsyncClient`` and a clock."""

    def __init__(self, http: httpx.AsyncClient, clock: Clock) -> None:
        self.http = http
        self.clock = clock

    async def run(self, flow: Flow[T], on_view: Callable[[View], None] | None = None) -> T:
        """Drive ``flow`` to its end and return its value; views go to ``on_view``."""
        result: list[T] = []
        async for view in self.iterate(flow, result):
            if on_view is not None:
                on_view(view)
        return result[0]

    async def iterate(self, flow: Flow[T], result: list[T] | None = None) -> AsyncIterator[View]:
        """Drive ``flow``, yielding views; its return value is appended to ``result``."""
        chunks: dict[int, AsyncIterator[bytes]] = {}
        outcome: Any = None
        error: BaseException | None = None
        try:
            while True:
                try:
                    step = flow.throw(error) if error is not None else flow.send(outcome)
                except StopIteration as done:
                    if result is not None:
                        result.append(done.value)
                    return
                outcome, error = None, None
                if isinstance(step, Show):
                    yield step.view
                    continue
                try:
                    outcome = await self._perform(step, chunks)
                except httpx.TransportError as exc:
                    error = exc
        finally:
            flow.close()
            for response_chunks in chunks.values():
                await _aclose(response_chunks)

    async def _perform(self, step: Step, chunks: dict[int, AsyncIterator[bytes]]) -> Any:
        if isinstance(step, Send):
            response = await self.http.send(step.request, stream=step.stream)
            if step.stream:
                chunks[id(response)] = _araw_chunks(response)
            return response
        if isinstance(step, Read):
            try:
                return await chunks[id(step.response)].__anext__()
            except StopAsyncIteration:
                return b""
        if isinstance(step, Close):
            chunks.pop(id(step.response), None)
            await step.response.aclose()
            return None
        if isinstance(step, Sleep):
            await self.clock.asleep(step.seconds)
            return None
        raise TypeError(f"a flow yielded {step!r}, which is not a step")


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    # A response made in memory (``httpx.MockTransport`` returning ``content=...``) is read when
    # it is built: its stream cannot be iterated again, but its content is at hand.
    if response.is_stream_consumed:
        return iter([response.content] if response.content else [])
    return response.iter_raw()


async def _araw_chunks(response: httpx.Response) -> AsyncIterator[bytes]:
    if response.is_stream_consumed:
        if response.content:
            yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


async def _aclose(chunks: AsyncIterator[bytes]) -> None:
    close = getattr(chunks, "aclose", None)
    if close is not None:
        await close()
