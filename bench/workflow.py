"""The seed guide's quick edit end to end in virtual time, in process: wall time per workflow.

An ``AsyncConversation`` over ``AsyncNemo`` talks to the mock through ``httpx.ASGITransport``,
both on one ``VirtualClock``: connect (the first session request is refused with 429 and
``Retry-After: 30``, waited out once), upload a link, an edit that works for minutes with
heartbeats every 2 minutes and ends silently (the client reads the state to see the change),
then an export whose render takes about 90 s, polled every 30 s, and the download.

Each run checks what happened (one 429 retry, heartbeats, a silent turn, polls 30 s apart, a
video saved) so the timing is of a workflow that really ran. Headline: virtual ÷ wall time.
Target: < 100 ms of wall time per workflow.

    python -m bench.workflow [--quick]
"""

from __future__ import annotations

import asyncio
import itertools
import pathlib
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockserver import MockServer
from mockserver._config import MockConfig
from mockserver.agent import heartbeat_frame
from nemokit import contract
from nemokit._async_client import AsyncNemo
from nemokit._clock import VirtualClock
from nemokit._conversation import AsyncConversation
from nemokit._views import VideoReady

from ._common import Result, parse_args, table

__all__ = ["TARGET_MS", "main", "run"]

COMMAND = "python -m bench.workflow"
TARGET_MS = 100.0
EDIT = "trim the pauses and add transitions"
#: Edit turns last 10-30 s times this: minutes, so that 2-minute heartbeats show.
EDIT_SCALE = 12.0
#: Short renders last 30-40 s times this: about 90 s.
RENDER_SCALE = 2.5


@dataclass(frozen=True, slots=True)
class Run:
    """One workflow: wall seconds, virtual seconds, and what the journal shows."""

    wall: float
    virtual: float
    requests: int
    polls: int
    heartbeats: int
    render_seconds: float


def _server(clock: VirtualClock) -> MockServer:
    config = MockConfig(seed=3, silent_rate=1.0, noise_rate=0.0, heartbeat_interval=120.0,
                        duration_scale=EDIT_SCALE)  # fmt: skip
    server = MockServer(config, clock)
    server.faults.add(method="POST", path=contract.PATH_SESSION, status=429, retry_after=30)
    return server


class _HeartbeatCounter:
    """The mock's app, counting the heartbeat frames it streams (the journal keeps requests)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.count = app, 0
        self._frame = heartbeat_frame(contract.HeartbeatForm.JSON)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.count += message.get("body", b"").count(self._frame)
            await send(message)

        await self.app(scope, receive, counting)


async def _workflow(
    server: MockServer, app: _HeartbeatCounter, clock: VirtualClock, dest: pathlib.Path
) -> list[object]:
    async with AsyncNemo(
        api_url="http://mock.test",
        client_id="bench-workflow",
        transport=httpx.ASGITransport(app=app),
        clock=clock,
        env={},
    ) as nemo:
        conversation = AsyncConversation(nemo, dest=dest)
        views: list[object] = [v async for v in conversation.connect()]
        views += [v async for v in conversation.say("upload https://media.test/talk.mp4")]
        views += [v async for v in conversation.say(EDIT)]
        server.configure(duration_scale=RENDER_SCALE)  # renders are planned when submitted
        views += [v async for v in conversation.say("export")]
        return views


def once(dest: pathlib.Path) -> Run:
    """Run the workflow once on a fresh mock; check it did what it says."""
    clock = VirtualClock()
    server = _server(clock)
    app = _HeartbeatCounter(server.app)
    start = time.perf_counter()
    views = asyncio.run(_workflow(server, app, clock, dest))
    wall = time.perf_counter() - start
    return _checked(server, views, wall, clock.now(), app.count)


def _checked(
    server: MockServer, views: list[object], wall: float, virtual: float, heartbeats: int
) -> Run:
    entries = server.journal.entries()
    sessions = [e.status for e in entries if e.path == contract.PATH_SESSION]
    turns = [e for e in entries if e.path == contract.PATH_RUN_SSE]
    submits = [e.time for e in entries if e.path == contract.PATH_RENDER and e.method == "POST"]
    polls = [e.time for e in entries
             if e.method == "GET" and e.path.startswith(contract.PATH_RENDER + "/")]  # fmt: skip
    problems = []
    if sessions != [429, 200]:
        problems.append(f"expected a 429 then a session, got statuses {sessions}")
    if len(turns) != 1 or len(submits) != 1 or not polls:
        problems.append(f"{len(turns)} turns, {len(submits)} renders, {len(polls)} polls")
    if any(b - a < contract.RENDER_POLL_INTERVAL for a, b in itertools.pairwise(submits + polls)):
        problems.append(f"polls closer than {contract.RENDER_POLL_INTERVAL} s")
    if heartbeats < 2:
        problems.append(f"{heartbeats} heartbeats: the edit did not last minutes")
    if not views or not isinstance(views[-1], VideoReady):
        problems.append(f"the workflow ended with {views[-1:]!r}")
    if problems:
        raise RuntimeError("the workflow did not run as planned: " + "; ".join(problems))
    return Run(wall, virtual, len(entries), len(polls), heartbeats, polls[-1] - submits[0])


def run(quick: bool = False) -> Result:
    """Best and median wall time of the workflow over several runs."""
    count = 3 if quick else 30
    with tempfile.TemporaryDirectory() as folder:
        once(pathlib.Path(folder))  # warm imports and lazy paths
        runs = [once(pathlib.Path(folder)) for _ in range(count)]
    walls = sorted(r.wall for r in runs)
    best, median = walls[0], walls[len(walls) // 2]
    sample = runs[0]
    rows = [
        ["wall ms (best)", best * 1e3],
        ["wall ms (median)", median * 1e3],
        ["virtual seconds", sample.virtual],
        ["virtual ÷ wall (median)", sample.virtual / median],
        ["requests", sample.requests],
        ["heartbeats streamed during the edit (every 120 virtual s)", sample.heartbeats],
        ["render: submit to last poll, virtual s", sample.render_seconds],
        ["render polls", sample.polls],
    ]
    return Result(
        name="The quick-edit workflow in virtual time",
        command=COMMAND + (" --quick" if quick else ""),
        table=table(["measure", "value"], rows),
        headline=(
            f"{median * 1e3:.1f} ms wall (median of {count}) for {sample.virtual:,.0f} virtual s: "
            f"{sample.virtual / median:,.0f}× faster than real time (target < {TARGET_MS:.0f} ms)"
        ),
        met=median * 1e3 < TARGET_MS,
        notes=("AsyncConversation + AsyncNemo over httpx.ASGITransport, one VirtualClock",),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    print(run(quick=args.quick).render())


if __name__ == "__main__":
    main()
