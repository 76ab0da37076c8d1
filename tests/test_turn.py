"""One ``/run_sse`` turn (``nemokit._turn``), driven over scripted SSE bodies in virtual time.

The fake server's stream body is a generator that sleeps on the shared ``VirtualClock`` between
chunks, so time passes while the client waits for the next chunk, as it does for real. Every
test checks that ``/run_sse`` was sent exactly once: the turn never re-sends a message.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit import contract
from nemokit._client import build_config
from nemokit._clock import VirtualClock
from nemokit._core import Core
from nemokit._draft import Timeline, diff_state
from nemokit._errors import OutOfCredits
from nemokit._flow import AsyncDriver, Close, Flow, Read, Send, Step, SyncDriver
from nemokit._models import SessionState
from nemokit._translate import translate
from nemokit._turn import TurnPolicy, TurnResult, run_turn, split_noise
from nemokit._views import Changes, Notice, Problem, Progress, Reply, View

BASE = "https://api.test"
SID = "1234567890123456789"
STATE_PATH = contract.PATH_STATE.format(sid=SID)

VIDEO = {
    "tt": 0,
    "name": "Video",
    "sg": [{"id": "sg_1", "start": 0, "duration": 10000, "source": "city timelapse"}],
}
BGM = {
    "tt": 1,
    "name": "BGM",
    "sg": [{"id": "sg_2", "start": 0, "duration": 10000, "source": "Lo-fi", "volume": 0.35}],
}
DRAFT_BEFORE = {"t": [VIDEO], "d": 10000, "m": {"title": "Urban Dreams"}}
DRAFT_AFTER = {"t": [VIDEO, BGM], "d": 10000, "m": {"title": "Urban Dreams"}}


def state_of(draft: dict[str, Any]) -> dict[str, Any]:
    return {
        "video_infos": [],
        "draft": copy.deepcopy(draft),
        "canvas_config": {},
        "video_analyses": [],
        "generated_media": [],
    }


AFTER = state_of(DRAFT_AFTER)


# --- SSE bodies -------------------------------------------------------------------------------


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


def adk_text(text: str, *, partial: bool = False) -> bytes:
    event: dict[str, Any] = {
        "content": {"parts": [{"text": text}], "role": "model"},
        "author": "nemo_agent",
        "invocationId": "inv_1",
        "id": "ev",
        "timestamp": 1.0,
    }
    if partial:
        event["partial"] = True
    return sse(event)


def adk_call(name: str) -> bytes:
    call = {"functionCall": {"id": "c1", "name": name, "args": {"clip": 1}}}
    return sse({"content": {"parts": [call], "role": "model"}, "author": "nemo_agent"})


def adk_result(name: str) -> bytes:
    result = {"functionResponse": {"id": "c1", "name": name, "response": {"ok": True}}}
    return sse({"content": {"parts": [result], "role": "model"}, "author": "nemo_agent"})


def simple_text(text: str) -> bytes:
    return sse({"type": "text", "content": text})


HEARTBEATS = {
    contract.HeartbeatForm.JSON: sse({"type": "heartbeat"}),
    contract.HeartbeatForm.EMPTY_DATA: b"data:\n\n",
    contract.HeartbeatForm.COMMENT: b": ping\n\n",
}


def beats(
    seconds: float, every: float = 15.0, form: contract.HeartbeatForm = contract.HeartbeatForm.JSON
) -> list[Any]:
    """``seconds`` of heartbeats: a wait of ``every`` then a heartbeat, repeated."""
    return [every, HEARTBEATS[form]] * int(seconds // every)


class Break:
    """A script step: the connection drops here."""


# --- a fake server and a fake core ------------------------------------------------------------


@dataclass
class FakeServer:
    """Serves one scripted ``/run_sse`` body and the state, which changes at planned times."""

    clock: VirtualClock
    script: list[Any]
    edits: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (at, state)
    state_fails: bool = False  # every state fetch after the first breaks the connection
    run_sse: list[float] = field(default_factory=list)
    state_fetches: list[float] = field(default_factory=list)
    asynchronous: bool = False

    def state_now(self) -> dict[str, Any]:
        state = state_of(DRAFT_BEFORE)
        for at, later in self.edits:
            if self.clock.now() >= at:
                state = later
        return state

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.PATH_RUN_SSE:
            self.run_sse.append(self.clock.now())
            headers = {"content-type": "text/event-stream"}
            body = self.abody() if self.asynchronous else self.body()
            return httpx.Response(200, headers=headers, content=body)
        assert request.url.path == STATE_PATH
        self.state_fetches.append(self.clock.now())
        if self.state_fails and len(self.state_fetches) > 1:
            raise httpx.ConnectError("no route to host", request=request)
        data = {
            "session_id": SID,
            "task_id": "task_1",
            "task_name": "project",
            "state": self.state_now(),
        }
        return httpx.Response(200, json={"code": 0, "message": "success", "data": data})

    def body(self) -> Iterator[bytes]:
        for step in self.script:
            if isinstance(step, Break):
                raise httpx.RemoteProtocolError("peer closed connection")
            if isinstance(step, bytes):
                yield step
            else:
                self.clock.sleep(step)

    async def abody(self) -> AsyncIterator[bytes]:
        for step in self.script:
            if isinstance(step, Break):
                raise httpx.ReadError("connection reset")
            if isinstance(step, bytes):
                yield step
            else:
                await self.clock.asleep(step)


def make_core(clock: VirtualClock) -> Core:
    """The real ``Core``, with a token and a session already at hand."""
    config = build_config("nmv_usr_test", {}, 30.0, api_url=BASE, client_id="cid-test")
    core = Core(config, clock)
    core.session_id, core.task_id = SID, "task_1"
    return core


def recorded(flow: Flow[TurnResult], steps: list[Step]) -> Flow[TurnResult]:
    """``flow`` unchanged, with every step it yields appended to ``steps``."""
    outcome: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = flow.throw(error) if error is not None else flow.send(outcome)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        steps.append(step)
        outcome, error = None, None
        try:
            outcome = yield step
        except BaseException as exc:  # thrown in by the driver: pass it on
            error = exc


def check_sent_once_and_closed(steps: list[Step]) -> None:
    """The turn sent ``/run_sse`` exactly once and closed its response after the last read."""
    sends = [
        s for s in steps if isinstance(s, Send) and s.request.url.path == contract.PATH_RUN_SSE
    ]
    assert len(sends) == 1, "the message must be sent exactly once"
    uses = [i for i, s in enumerate(steps) if isinstance(s, Read | Close)]
    assert uses, "the stream was never read"
    assert isinstance(steps[uses[-1]], Close), "the stream must be closed after the last read"
    assert sum(isinstance(s, Close) for s in steps) == 1


@dataclass
class Run:
    result: TurnResult
    views: list[tuple[float, View]]
    server: FakeServer
    start: float

    def shown(self, kind: type[View]) -> list[View]:
        return [view for _, view in self.views if isinstance(view, kind)]

    def times(self, kind: type[View]) -> list[float]:
        return [at - self.start for at, view in self.views if isinstance(view, kind)]

    @property
    def fetches_after_send(self) -> list[float]:
        return [at - self.server.run_sse[0] for at in self.server.state_fetches[1:]]


def run(
    script: list[Any],
    *,
    edits: list[tuple[float, dict[str, Any]]] = (),  # type: ignore[assignment]
    policy: TurnPolicy = TurnPolicy(),  # noqa: B008
    start: float = 1000.0,
    state_fails: bool = False,
) -> Run:
    clock = VirtualClock(start)
    timeline = [(start + at, state) for at, state in edits]
    server = FakeServer(clock, script, timeline, state_fails=state_fails)
    views: list[tuple[float, View]] = []
    steps: list[Step] = []
    with httpx.Client(transport=httpx.MockTransport(server.handler)) as http:
        driver = SyncDriver(http, clock)
        flow = run_turn(make_core(clock), "add some music", policy=policy)
        result = driver.run(recorded(flow, steps), lambda view: views.append((clock.now(), view)))
    assert len(server.run_sse) == 1, "the message must be sent exactly once"
    check_sent_once_and_closed(steps)
    return Run(result, views, server, start)


def replies(outcome: Run) -> list[str]:
    return [view.text for view in outcome.shown(Reply)]


# --- text -------------------------------------------------------------------------------------

GUI_REPLY = "I added Lo-fi music at 35% volume. Click the Export button to download your video."


def test_adk_reply_is_shown_translated_with_its_actions() -> None:
    outcome = run([2.0, adk_call("add_bgm"), 3.0, adk_result("add_bgm"), 1.0, adk_text(GUI_REPLY)])
    # The turn's message ("add some music") is its request: it asked for no export, so the
    # Export button is said, not pressed.
    expected = translate(GUI_REPLY, "add some music")
    assert replies(outcome) == [expected.text]
    assert "Lo-fi" in expected.text
    assert "Click" not in expected.text
    assert outcome.result.actions == ()
    assert outcome.result.set_aside == expected.set_aside
    assert [a.kind.value for a in expected.set_aside] == ["export"]
    assert outcome.result.outcome == "replied"
    assert outcome.result.text == expected.text
    assert outcome.result.tool_calls == ("add_bgm",)
    assert outcome.server.state_fetches == [1000.0]  # only the "before" fetch


def test_simple_dialect_reply_and_tools_are_read() -> None:
    script = [
        sse({"type": "tool_call", "name": "trim", "args": {}}),
        sse({"type": "tool_result", "name": "trim", "result": {"ok": True}}),
        simple_text("Trimmed the pauses."),
    ]
    outcome = run(script)
    assert replies(outcome) == ["Trimmed the pauses."]
    assert outcome.result.tool_calls == ("trim",)
    assert [type(view) for _, view in outcome.views] == [Reply]


@pytest.mark.parametrize("form", list(contract.HeartbeatForm))
def test_heartbeats_of_every_form_are_hidden(form: contract.HeartbeatForm) -> None:
    outcome = run([*beats(90, form=form), adk_text("Done."), *beats(30, form=form)])
    assert [view.text for _, view in outcome.views] == ["Done."]
    assert outcome.result.outcome == "replied"


def test_unknown_events_are_hidden() -> None:
    outcome = run([sse({"something": "else"}), sse({"type": "usage", "n": 3}), adk_text("Hi.")])
    assert [view.text for _, view in outcome.views] == ["Hi."]


def test_partial_chunks_are_shown_once_with_the_final_event_dropped() -> None:
    chunks = ["I added ", "Lo-fi music ", "to the timeline."]
    script = [adk_text(chunk, partial=True) for chunk in chunks]
    outcome = run([*script, adk_text("".join(chunks))])
    assert replies(outcome) == ["I added Lo-fi music to the timeline."]


def test_partial_chunks_without_a_final_event_are_shown_at_the_end() -> None:
    outcome = run([adk_text("Working ", partial=True), adk_text("on it.", partial=True)])
    assert replies(outcome) == ["Working on it."]
    assert outcome.result.outcome == "replied"


def test_simple_dialect_chunks_then_trailing_noise() -> None:
    chunks = [sse({"type": "text", "content": c, "partial": True}) for c in ("I added ", "music.")]
    outcome = run([*chunks, 2.0, simple_text(contract.NOISE_PHRASE + " with the title.")])
    assert replies(outcome) == ["I added music."]
    assert outcome.result.outcome == "replied"


@given(st.data())
def test_chunk_splits_do_not_change_what_is_shown(data: st.DataObject) -> None:
    body = b"".join(
        [
            HEARTBEATS[contract.HeartbeatForm.COMMENT],
            adk_call("trim"),
            adk_text("Trimmed ", partial=True),
            adk_text("the pauses.", partial=True),
            adk_text("Trimmed the pauses."),
            b"data:\n\n",
            simple_text("Anything else?"),
        ]
    )
    cuts = sorted(data.draw(st.sets(st.integers(1, len(body) - 1), max_size=12)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    outcome = run(pieces)
    assert replies(outcome) == ["Trimmed the pauses.", "Anything else?"]


# --- noise ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "noise",
    [
        contract.NOISE_PHRASE,
        contract.NOISE_PHRASE.upper() + ". Please try again later.",
        "i encountered a temporary issue while saving.",
    ],
)
def test_trailing_noise_after_normal_output_is_dropped(noise: str) -> None:
    outcome = run([adk_text("Added the title."), 1.0, adk_text(noise)])
    assert replies(outcome) == ["Added the title."]
    assert contract.NOISE_PHRASE.lower() not in outcome.result.text.lower()


def test_trailing_noise_inside_the_last_message_is_dropped() -> None:
    outcome = run([adk_text(f"Added the title.\n\n{contract.NOISE_PHRASE}. Sorry!")])
    assert replies(outcome) == ["Added the title."]


def test_noise_followed_by_normal_output_is_shown() -> None:
    outcome = run([adk_text("Adding music."), adk_text(contract.NOISE_PHRASE), adk_text("Done.")])
    assert replies(outcome) == ["Adding music.", contract.NOISE_PHRASE, "Done."]


def test_noise_after_a_silent_edit_is_dropped() -> None:
    script = [adk_call("add_bgm"), 5.0, adk_result("add_bgm"), adk_text(contract.NOISE_PHRASE)]
    outcome = run(script, edits=[(3, AFTER)])
    assert replies(outcome) == []
    assert outcome.result.outcome == "silent"
    assert outcome.result.changes == diff_state(state_of(DRAFT_BEFORE), AFTER)
    assert [type(view) for _, view in outcome.views] == [Changes]


def test_noise_as_the_only_thing_in_the_turn_is_shown_and_the_state_is_checked() -> None:
    outcome = run([5.0, adk_text(contract.NOISE_PHRASE + ". Please retry.")], edits=[(3, AFTER)])
    assert replies(outcome) == [contract.NOISE_PHRASE + ". Please retry."]
    assert outcome.result.outcome == "silent"
    assert outcome.result.changes == diff_state(state_of(DRAFT_BEFORE), AFTER)
    assert len(outcome.fetches_after_send) == 1


@pytest.mark.parametrize(
    ("text", "content", "noise"),
    [
        ("Done.", "Done.", ""),
        (contract.NOISE_PHRASE, "", contract.NOISE_PHRASE),
        (f"Done. {contract.NOISE_PHRASE}.", "Done.", f"{contract.NOISE_PHRASE}."),
        (f"Done\n{contract.NOISE_PHRASE}", "Done", contract.NOISE_PHRASE),
        # mid-sentence mentions are content, not noise
        (f"I said {contract.NOISE_PHRASE} earlier", f"I said {contract.NOISE_PHRASE} earlier", ""),
    ],
)
def test_split_noise(text: str, content: str, noise: str) -> None:
    assert split_noise(text) == (content, noise)


# --- time -------------------------------------------------------------------------------------


def test_still_working_every_two_minutes_of_a_seven_minute_turn() -> None:
    outcome = run([*beats(7 * 60), adk_text("Your video is generated.")])
    assert outcome.times(Progress) == [120.0, 240.0, 360.0]
    assert all(view.text == contract.STILL_WORKING_TEXT for view in outcome.shown(Progress))
    assert all(
        isinstance(view, Progress) and view.stage == "working" for view in outcome.shown(Progress)
    )
    assert replies(outcome) == ["Your video is generated."]


def test_still_working_counts_from_the_last_text_shown() -> None:
    outcome = run([*beats(60), adk_text("Generating now."), *beats(5 * 60)])
    assert outcome.times(Progress) == [180.0, 300.0]


def test_still_working_with_irregular_heartbeats_waits_for_a_chunk() -> None:
    outcome = run(beats(5 * 60, every=25))  # chunks at 25, 50, ... : checked when one arrives
    assert outcome.times(Progress) == [125.0, 250.0]


def test_ten_minutes_of_heartbeats_is_a_stall() -> None:
    outcome = run([adk_call("generate"), *beats(20 * 60), adk_text("never seen")])
    assert outcome.result.outcome == "stalled"
    problems = outcome.shown(Problem)
    assert outcome.times(Problem) == [600.0]
    assert len(problems) == 1
    assert isinstance(problems[0], Problem)
    assert problems[0].retryable
    assert "not sent again" in problems[0].text
    assert replies(outcome) == []
    assert len(outcome.shown(Progress)) == 4  # 120..480; the stall comes before a fifth


def test_a_stall_is_measured_from_the_last_non_heartbeat_event() -> None:
    outcome = run([*beats(180), adk_call("generate"), *beats(20 * 60)])
    assert outcome.result.outcome == "stalled"
    assert outcome.times(Problem) == [780.0]


def test_fifteen_minutes_is_the_limit() -> None:
    busy = [item for _ in range(8) for item in [*beats(120), adk_call("render")]]
    outcome = run(busy)
    assert outcome.result.outcome == "timed_out"
    assert outcome.times(Problem) == [900.0]  # a heartbeat arrives at 900 s
    assert "15 minutes" in outcome.shown(Problem)[0].text
    assert outcome.result.tool_calls == ("render",) * 7


def test_waits_follow_the_policy() -> None:
    policy = TurnPolicy(still_working_every=30, stall_after=100, limit=1000)
    outcome = run(beats(300, every=10), policy=policy)
    assert outcome.times(Progress) == [30.0, 60.0, 90.0]
    assert outcome.result.outcome == "stalled"
    assert outcome.times(Problem) == [100.0]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"still_working_every": 0},
        {"stall_after": -1},
        {"limit": 0},
        {"recovery_first_wait": -1},
        {"recovery_max_fetches": 0},
    ],
)
def test_policy_refuses_impossible_waits(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        TurnPolicy(**kwargs)  # type: ignore[arg-type]


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        sse({"error": "quota exceeded"}),
        sse({"content": {"parts": [{"text": "Error: quota exceeded"}]}, "author": "system"}),
    ],
)
def test_a_mid_stream_error_fails_the_turn(error: bytes) -> None:
    outcome = run([adk_text("Starting."), error, adk_text("never seen")])
    assert outcome.result.outcome == "failed"
    problem = outcome.shown(Problem)[0]
    assert "quota exceeded" in problem.text
    assert "not sent again" in problem.text
    assert replies(outcome) == ["Starting."]


# --- silent turns -----------------------------------------------------------------------------


def test_silent_turn_fetches_the_state_once_and_names_the_change() -> None:
    outcome = run([adk_call("add_bgm"), 10.0, adk_result("add_bgm")], edits=[(5, AFTER)])
    expected = diff_state(state_of(DRAFT_BEFORE), state_of(DRAFT_AFTER))
    assert expected
    assert outcome.result.outcome == "silent"
    assert outcome.fetches_after_send == [10.0]  # exactly one, when the stream closed
    changes = outcome.shown(Changes)
    assert len(changes) == 1
    assert isinstance(changes[0], Changes)
    assert changes[0].changes == expected == outcome.result.changes
    assert all(line in changes[0].text for line in expected)
    assert [type(view) for _, view in outcome.views] == [Changes]


def test_silent_turn_without_a_change_says_so() -> None:
    outcome = run([adk_call("inspect"), adk_result("inspect")])
    assert outcome.result.outcome == "silent"
    assert outcome.result.changes == ()
    change = outcome.shown(Changes)[0]
    assert "no changes" in change.text.lower()
    assert len(outcome.fetches_after_send) == 1


def test_given_before_state_is_not_fetched_again() -> None:
    clock = VirtualClock()
    server = FakeServer(clock, [adk_result("trim")], [(0.0, AFTER)])
    before = SessionState(SID, "task_1", "project", state_of(DRAFT_BEFORE))
    steps: list[Step] = []
    with httpx.Client(transport=httpx.MockTransport(server.handler)) as http:
        flow = run_turn(make_core(clock), "trim it", before=before)
        result = SyncDriver(http, clock).run(recorded(flow, steps))
    check_sent_once_and_closed(steps)
    assert len(server.run_sse) == 1
    assert len(server.state_fetches) == 1
    assert result.changes == diff_state(before.state, state_of(DRAFT_AFTER))


# --- disconnect recovery ----------------------------------------------------------------------


def test_recovery_reports_a_change_seen_on_the_first_fetch() -> None:
    outcome = run([adk_call("add_bgm"), 5.0, Break()], edits=[(20, AFTER)])
    assert outcome.result.outcome == "recovered"
    assert outcome.fetches_after_send == [35.0]  # broke at 5 s, first fetch 30 s later
    assert outcome.result.changes == diff_state(state_of(DRAFT_BEFORE), state_of(DRAFT_AFTER))
    assert isinstance(outcome.views[-1][1], Changes)
    assert "not sent again" in outcome.shown(Notice)[0].text


def test_recovery_reports_a_change_seen_on_the_third_fetch() -> None:
    outcome = run([Break()], edits=[(120, AFTER)])
    assert outcome.result.outcome == "recovered"
    assert outcome.fetches_after_send == [30.0, 90.0, 150.0]
    assert outcome.shown(Changes)[0].changes == outcome.result.changes != ()


def test_recovery_gives_up_after_five_unchanged_fetches() -> None:
    outcome = run([adk_text("Generating", partial=True), Break()])
    assert outcome.result.outcome == "lost"
    assert outcome.fetches_after_send == [30.0, 90.0, 150.0, 210.0, 270.0]
    problem = outcome.shown(Problem)[0]
    assert isinstance(problem, Problem)
    assert problem.retryable
    assert "did not arrive" in problem.text
    assert "retry" in problem.text
    assert replies(outcome) == ["Generating"]  # what had arrived was still shown


def test_recovery_waits_follow_the_policy() -> None:
    policy = TurnPolicy(recovery_first_wait=5, recovery_next_wait=7, recovery_max_fetches=3)
    outcome = run([Break()], policy=policy)
    assert outcome.fetches_after_send == [5.0, 12.0, 19.0]
    assert outcome.result.outcome == "lost"


def test_recovery_reports_a_change_the_draft_diff_does_not_describe() -> None:
    analysed = state_of(DRAFT_BEFORE) | {"video_analyses": [{"scene": "city at night"}]}
    assert diff_state(state_of(DRAFT_BEFORE), analysed) == ()
    outcome = run([Break()], edits=[(10, analysed)])
    assert outcome.result.outcome == "recovered"
    assert outcome.result.changes == ("the project was updated",)


def test_recovery_survives_state_fetches_that_fail() -> None:
    outcome = run([adk_call("add_bgm"), Break()], state_fails=True)
    assert outcome.result.outcome == "lost"
    assert outcome.fetches_after_send == [30.0, 90.0, 150.0, 210.0, 270.0]


def test_silent_turn_whose_state_cannot_be_read_says_so() -> None:
    outcome = run([adk_result("add_bgm")], state_fails=True)
    assert outcome.result.outcome == "silent"
    assert len(outcome.fetches_after_send) == 1
    problem = outcome.shown(Problem)[0]
    assert "status" in problem.text
    assert outcome.shown(Changes) == []


def test_a_refusal_before_the_stream_propagates_and_shows_nothing() -> None:
    clock = VirtualClock()
    refused = {"code": contract.Code.OUT_OF_CREDITS, "message": "out of credits", "data": None}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == contract.PATH_RUN_SSE:
            return httpx.Response(200, json=refused)
        return httpx.Response(200, json={"code": 0, "message": "success", "data": {"state": {}}})

    views: list[View] = []
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        flow = run_turn(make_core(clock), "generate a video")
        with pytest.raises(OutOfCredits):
            SyncDriver(http, clock).run(flow, views.append)
    assert views == []


# --- written once, driven twice ---------------------------------------------------------------


def test_the_same_flow_runs_under_the_async_driver() -> None:
    clock = VirtualClock(0.0)
    script = [*beats(250), adk_text(GUI_REPLY), Break()]
    server = FakeServer(clock, script, [(380.0, AFTER)], asynchronous=True)
    views: list[tuple[float, View]] = []
    steps: list[Step] = []

    async def scenario() -> TurnResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server.handler)) as http:
            flow = recorded(run_turn(make_core(clock), "make it pop"), steps)
            return await AsyncDriver(http, clock).run(
                flow, lambda v: views.append((clock.now(), v))
            )

    result = asyncio.run(scenario())
    assert len(server.run_sse) == 1
    check_sent_once_and_closed(steps)
    assert [at for at, view in views if isinstance(view, Progress)] == [120.0, 240.0]
    assert [view.text for _, view in views if isinstance(view, Reply)] == [
        translate(GUI_REPLY).text
    ]
    assert result.outcome == "recovered"
    assert server.state_fetches == [0.0, 270.0, 330.0, 390.0]


def test_an_unreadable_state_before_the_turn_does_not_stop_the_message() -> None:
    # The snapshot only serves the summary of a silent turn: losing the user's message over it
    # would be worse than a vaguer summary.
    @dataclass
    class FirstStateFails(FakeServer):
        def handler(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == STATE_PATH and not self.state_fetches:
                self.state_fetches.append(self.clock.now())
                return httpx.Response(503, text="busy")
            return super().handler(request)

    clock = VirtualClock(1000.0)
    server = FirstStateFails(clock, [adk_call("add_music"), adk_result("add_music")], [(0, AFTER)])
    views: list[View] = []
    with httpx.Client(transport=httpx.MockTransport(server.handler)) as http:
        flow = run_turn(make_core(clock), "add some music")
        result = SyncDriver(http, clock).run(flow, views.append)
    assert len(server.run_sse) == 1
    assert result.outcome == "silent"
    summary = Timeline.from_draft(DRAFT_AFTER).summary()
    assert [v.text for v in views if isinstance(v, Changes)] == [
        f"Done: the timeline now reads: {summary}."
    ]
