"""The named scenarios: deterministic scripts recorded into ``cassettes/<name>.json``.

A :class:`ScenarioSpec` is a mock configuration (``MockConfig`` fields), a seed, a fault schedule
(``Faults.add`` fields) and the user's steps: ``say`` text, ``upload`` files (made here from their
names, byte for byte the same every time: ``.mp4`` is ``mockserver._media.tiny_mp4()``), or
``wait`` (virtual seconds pass, as when a user comes back later). :func:`record_scenario` runs the
steps through nemokit's ``Conversation`` over ``RecordingTransport(StreamingTransport(app))``,
client and mock sharing one ``VirtualClock``, and returns the cassette. Its ``extra`` keeps what a
replay needs to be judged: ``steps``, ``mock``, ``faults``, ``client`` and ``expected_views`` (the
``{kind, text}`` of everything the user saw, secrets already replaced).

Same seed, same bytes: the client id is fixed, time is virtual only, and the client's render ids
(wall time plus a random suffix in ``Core``) are replaced by ids made from the virtual clock.
"""

from __future__ import annotations

import asyncio
import itertools
import pathlib
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx

from nemokit import contract
from nemokit._clock import Clock, VirtualClock
from nemokit._views import View

from ._cassette import Cassette
from ._redact import Redactor

__all__ = [
    "BASE_URL",
    "CLIENT_ID",
    "SCENARIOS",
    "WEB_URL",
    "ScenarioSpec",
    "UserStep",
    "file_bytes",
    "record_scenario",
    "replay_scenario",
    "run_steps",
    "scenario_names",
    "view_record",
]

#: Where the client thinks the API is (the in-process mock answers any host).
BASE_URL = "http://mock.test"
WEB_URL = "https://nemovideo.com"
#: The fixed ``X-Client-Id`` of every recording (a uuid per run would change the bytes).
CLIENT_ID = "nemokit-scenario-client"
#: The ``NEMO_TOKEN`` a user-token cassette is replayed with (any token matches).
_REPLAY_USER_TOKEN = contract.TOKEN_PREFIX + "replayed-user-token"
#: Unix milliseconds of virtual time 0 (``MockConfig.epoch``), for render ids.
_EPOCH_MS = 1_767_225_600_000


@dataclass(frozen=True, slots=True)
class UserStep:
    """One thing the user does: ``say`` text (with ``files`` attached), ``upload`` files, or
    ``wait`` ``seconds`` of virtual time."""

    op: Literal["say", "upload", "wait"]
    text: str = ""
    files: tuple[str, ...] = ()
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op}
        if self.text:
            out["text"] = self.text
        if self.files:
            out["files"] = list(self.files)
        if self.op == "wait":
            out["seconds"] = self.seconds
        return out

    @classmethod
    def from_json(cls, value: Any) -> UserStep:
        """A step from a cassette's ``extra.steps``; a bad one is a ``ValueError`` naming it."""
        if not isinstance(value, Mapping) or value.get("op") not in ("say", "upload", "wait"):
            raise ValueError(f"a step must be an object with op say, upload or wait: {value!r}")
        files = value.get("files", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ValueError(f"a step's files must be a list of names: {value!r}")
        return cls(
            op=value["op"],
            text=str(value.get("text", "")),
            files=tuple(files),
            seconds=float(value.get("seconds", 0.0)),
        )


def say(text: str, *files: str) -> UserStep:
    return UserStep("say", text, files)


def upload(*files: str) -> UserStep:
    return UserStep("upload", "upload", files)


def wait(seconds: float) -> UserStep:
    return UserStep("wait", seconds=seconds)


#: Quiet agent unless a scenario says otherwise: no silent turns, no trailing noise.
_QUIET: Mapping[str, Any] = {"silent_rate": 0.0, "noise_rate": 0.0}


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """A named, deterministic script: mock settings, seed, faults and the user's steps."""

    name: str
    summary: str
    steps: tuple[UserStep, ...]
    mock: Mapping[str, Any] = field(default_factory=lambda: dict(_QUIET))
    faults: tuple[Mapping[str, Any], ...] = ()
    seed: int = 7
    #: ``user``: the client is given a token (as ``NEMO_TOKEN``) the mock issued beforehand.
    token_mode: Literal["anonymous", "user"] = "anonymous"

    def mock_config(self, seed: int | None = None) -> Any:
        """The ``MockConfig`` for this scenario (``seed`` overrides the spec's)."""
        from mockserver._config import MockConfig

        return MockConfig().replace(seed=self.seed if seed is None else seed, **dict(self.mock))


def _spec(name: str, summary: str, *steps: UserStep, **options: Any) -> ScenarioSpec:
    mock = {**_QUIET, **options.pop("mock", {})}
    return ScenarioSpec(name, summary, tuple(steps), mock=mock, **options)


_UPLOAD = "/api/upload-video/*"
_RUN = "/run_sse"
_TRIM = "trim the pauses and add transitions"
_ASK = "what can you do?"


def _wire(framing: str, heartbeat: str, dialect: str = "adk") -> ScenarioSpec:
    """A question answered under one framing, heartbeat form and dialect; heartbeats every 2 s
    so the short turn carries several."""
    return _spec(
        f"wire_{dialect}_{framing}_{heartbeat}",
        f"A question answered in the {dialect} dialect, {framing} framing, heartbeats as "
        f"{heartbeat}: the reply is shown once, no heartbeat is.",
        say(_ASK),
        mock={"sse_framing": framing, "heartbeat_form": heartbeat, "dialect": dialect,
              "heartbeat_interval": 2.0},
    )  # fmt: skip


_ALL: tuple[ScenarioSpec, ...] = (
    _spec("quick_edit", "The guide's quick edit: upload, one compound request, the MP4.",
          upload("raw recording.mp4"),
          say("trim the pauses, add transitions, and export a shareable link")),
    _spec("batch", "Several uploads in one session, each edited and given its own render.",
          upload("part one.mp4"), say('add a title "Part One" and export'),
          upload("part two.mp4"), say('add a title "Part Two" and export'),
          upload("part three.mp4"), say('add a title "Part Three" and export')),
    _spec("iterative", "A rough cut refined step by step, previewing the tracks between edits.",
          upload("rough.mp4"), say("trim the pauses"), say("show tracks"),
          say('add a title "Urban Dreams"'), say("add lo-fi background music"),
          say("status"), say("export")),
    _spec("silent_turn", "An edit that ends after its tool result with no text: the client "
          "fetches the state and summarises the change.",
          upload("clip.mp4"), say("add transitions"), mock={"silent_rate": 1.0}),
    _spec("generation", "Generation, then the backend's own post-production in two stages "
          "(BGM, then a title) seen in the state afterwards.",
          say("generate a 20 second city timelapse video"), say("status"), wait(60),
          say("status"), wait(60), say("status"), say("credits")),
    _spec("error_1001", "1001 twice: the anonymous token is renewed once, then the user is told.",
          say("credits"),
          faults=({"method": "GET", "path": "/api/credits/*", "code": 1001, "times": 2},)),
    _spec("error_1002", "1002 twice on a turn: a new session once, then the user is told.",
          upload("clip.mp4"), say(_TRIM),
          faults=({"method": "POST", "path": _RUN, "code": 1002, "times": 2},)),
    _spec("error_2001", "Out of credits on an anonymous token: the registration link.",
          upload("clip.mp4"), say(_TRIM), mock={"initial_credits": 5}),
    _spec("error_4001", "An unsupported file type: the accepted types are shown.",
          upload("https://media.test/notes.txt")),
    _spec("error_4002", "A file too large: compress or trim it.",
          upload("huge.mp4"),
          faults=({"method": "POST", "path": _UPLOAD, "code": 4002},)),
    _spec("error_400", "No X-Client-Id twice: a new id once, then the user is told.",
          say("credits"),
          faults=({"method": "POST", "path": "/api/auth/anonymous-token", "status": 400,
                   "times": 2},)),
    _spec("error_402", "Export blocked by the free plan (HTTP 402): reported, never retried.",
          upload("clip.mp4"), say(_TRIM), say("export"),
          faults=({"method": "POST", "path": "/api/render/proxy/lambda", "status": 402},)),
    _spec("error_429", "Rate limited twice: one wait and retry, then the user is told.",
          say("credits"),
          faults=({"method": "GET", "path": "/api/credits/*", "status": 429, "times": 2},)),
    _spec("retry_429", "Rate limited once with Retry-After 45: the client waits 45 s, retries.",
          upload("clip.mp4"), say(_TRIM),
          faults=({"method": "POST", "path": _RUN, "status": 429, "retry_after": 45},)),
    _spec("reauth_1001", "The token expires before a turn: a new one, the turn sent once.",
          upload("clip.mp4"), say(_TRIM),
          faults=({"method": "POST", "path": _RUN, "code": 1001},)),
    _spec("new_session_1002", "The session is gone before a turn: a new one, the turn sent once.",
          upload("clip.mp4"), say(_TRIM),
          faults=({"method": "POST", "path": _RUN, "code": 1002},)),
    _spec("render_failure_retry", "The first render fails; the user exports again and it works.",
          upload("clip.mp4"), say(_TRIM), say("export"), say("export"),
          mock={"render_fail_rate": 0.5}, seed=2),
    _spec("stream_cut", "The stream breaks mid-turn: no re-send; the state shows the edit.",
          upload("clip.mp4"), say(_TRIM),
          faults=({"method": "POST", "path": _RUN, "cut_after": 1},)),
    _spec("stalled_stream", "Only heartbeats: after 10 minutes the turn is reported stalled.",
          upload("clip.mp4"), say(_TRIM),
          faults=({"method": "POST", "path": _RUN, "stall": True},)),
    # --- the wire variants and the rules' subjects: every rule is exercised on cassettes ---
    _spec("trailing_noise", 'A reply followed by the trailing "I encountered a temporary '
          'issue": the noise is dropped.',
          upload("clip.mp4"), say("add transitions"), mock={"noise_rate": 1.0}),
    _spec("simple_dialect", "The simple dialect with streamed chunks: an edit and a question, "
          "each reply shown once.",
          upload("clip.mp4"), say("add transitions"), say(_ASK),
          mock={"dialect": "simple", "partial_text": True}),
    _wire("crlf", "empty"),
    _wire("cr", "comment"),
    _wire("multiline", "json"),
    _wire("ids", "comment"),
    _wire("chunked", "empty"),
    _wire("cr", "json", "simple"),
    _spec("chinese_routing", "Keywords in Chinese: credits, status and export are the "
          "client's own actions, never messages.",
          upload("clip.mp4"), say("add transitions"), say("积分"), say("状态"), say("余额"),
          say("导出")),
    _spec("user_token_1001", "The user's own NEMO_TOKEN is refused (1001): reported, never "
          "swapped for an anonymous one.",
          say("credits"), token_mode="user",
          faults=({"method": "GET", "path": "/api/credits/*", "code": 1001},)),
    _spec("render_submit_retry", "The render submit fails (HTTP 500): retried once with a new "
          "id, then polled to the MP4.",
          upload("clip.mp4"), say("add transitions"), say("export"),
          faults=({"method": "POST", "path": "/api/render/proxy/lambda", "status": 500},)),
    _spec("stream_cut_unchanged", "A question's stream breaks: nothing changes, so after 5 "
          "state fetches the failure is reported.",
          upload("clip.mp4"), say(_ASK),
          faults=({"method": "POST", "path": _RUN, "cut_after": 1},)),
    _spec("stalled_stream_comment", "Only `: ping` comments: after 10 minutes the turn is "
          "reported stalled.",
          say(_ASK), mock={"heartbeat_form": "comment", "heartbeat_interval": 60.0},
          faults=({"method": "POST", "path": _RUN, "stall": True},)),
    _spec("long_turn", "A turn that keeps making progress for 20 minutes: given up at the "
          "15-minute limit and reported, never re-sent.",
          upload("clip.mp4"), say(_TRIM),
          mock={"slow_turn_seconds": 1200.0, "heartbeat_interval": 60.0}),
    _spec("chinese_tip", "A Chinese GUI tip after a greeting (拖拽时间线上的片段可以调整顺序): "
          "shown as advice, never carried out as an edit.",
          upload("clip.mp4"), say("trim the pauses"), say("你好"), seed=0),
    _spec("slow_render", "A render that outlasts the 10 polls (every duration ×12): the client "
          "stops polling after the 10th and says so.",
          upload("clip.mp4"), say("add transitions"), say("export"),
          mock={"duration_scale": 12.0}),
    _spec("edits_with_keywords", "Edits that hold routing words (end credits, 状态栏) go to the "
          "agent; the balance asked for afterwards is the client's own call.",
          upload("clip.mp4"), say("add end credits"), say("加一个状态栏"), say("credits")),
    _spec("still_working", "A generation that works for minutes with heartbeats every 5 s: "
          '"Still working" every 2 minutes, on the schedule.',
          upload("clip.mp4"), say("generate a video of a city at night"),
          mock={"heartbeat_interval": 5.0, "silent_rate": 0.0, "noise_rate": 0.0}),
)  # fmt: skip

#: Every scenario by name, in a stable order.
SCENARIOS: Mapping[str, ScenarioSpec] = {spec.name: spec for spec in _ALL}


def scenario_names() -> list[str]:
    return list(SCENARIOS)


# --- files ------------------------------------------------------------------------------------


def file_bytes(name: str) -> bytes:
    """The bytes of a file a scenario uploads, made from its name alone (so always the same)."""
    from mockserver._media import tiny_mp4

    suffix = pathlib.PurePath(name).suffix.lower()
    if suffix in (".mp4", ".mov"):
        return tiny_mp4()
    if suffix == ".wav":
        return _tiny_wav()
    return f"nemokit scenario file {name}\n".encode()


def _tiny_wav(frames: int = 800, rate: int = 8000) -> bytes:
    data = bytes(frames)  # 0.1 s of 8-bit silence
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _is_url(name: str) -> bool:
    return name.lower().startswith(("http://", "https://"))


# --- running the steps --------------------------------------------------------------------------


def view_record(view: View, redactor: Redactor | None = None) -> dict[str, str]:
    """``{kind, text}`` of a view (``kind`` as in ``Shown``), its text through ``redactor``."""
    return {"kind": view.kind, "text": redactor.text(view.text) if redactor else view.text}


def run_steps(
    conversation: Any, steps: Iterable[UserStep], folder: pathlib.Path, clock: Clock
) -> Iterator[View]:
    """Every view the user sees while ``steps`` run through a sync ``Conversation``."""
    for step in steps:
        if step.op == "wait":
            clock.sleep(step.seconds)
            continue
        yield from conversation.say(step.text, _attach(folder, step.files))


def _attach(folder: pathlib.Path, files: Iterable[str]) -> list[str]:
    """What the user attaches: links as they are, files written into ``folder`` first."""
    return [name if _is_url(name) else str(_write(folder, name)) for name in files]


def _write(folder: pathlib.Path, name: str) -> pathlib.Path:
    path = folder / name
    if not path.exists():
        path.write_bytes(file_bytes(name))
    return path


def _virtual_render_ids(clock: Clock) -> Callable[[], str]:
    # Core names renders from wall time and a random suffix; a recording must not.
    counter = itertools.count(1)

    def render_id() -> str:
        return f"render_{_EPOCH_MS + round(clock.now() * 1000)}_{next(counter):06x}"

    return render_id


def _settings(clock: Clock, token: str | None = None) -> dict[str, Any]:
    return {"api_url": BASE_URL, "web_url": WEB_URL, "client_id": CLIENT_ID, "clock": clock,
            "env": {}, "token": token}  # fmt: skip


def _converse(
    transport: httpx.BaseTransport,
    clock: Clock,
    steps: Sequence[UserStep],
    *,
    fixed_ids: bool,
    token: str | None = None,
) -> list[View]:
    """The steps through a sync ``Conversation`` (replay: ``httpx.MockTransport``)."""
    from nemokit._client import Nemo
    from nemokit._conversation import Conversation

    with tempfile.TemporaryDirectory(prefix="nemokit-scenario-") as tmp:
        folder = pathlib.Path(tmp)
        ids = _virtual_render_ids(clock) if fixed_ids else None
        with Nemo(transport=transport, render_ids=ids, **_settings(clock, token)) as nemo:
            conversation = Conversation(nemo, dest=folder)
            return list(run_steps(conversation, steps, folder, clock))


async def _aconverse(
    transport: httpx.AsyncBaseTransport,
    clock: Clock,
    steps: Sequence[UserStep],
    token: str | None = None,
) -> list[View]:
    """The steps through an ``AsyncConversation``: client and mock on one event loop.

    Recording runs here rather than over the threaded sync transport: with the mock on another
    thread, when a block reaches the recorder races with the mock's next virtual sleep, and the
    events' recorded times would differ from run to run.
    """
    from nemokit._async_client import AsyncNemo
    from nemokit._conversation import AsyncConversation

    views: list[View] = []
    with tempfile.TemporaryDirectory(prefix="nemokit-scenario-") as tmp:
        folder = pathlib.Path(tmp)
        ids = _virtual_render_ids(clock)
        settings = _settings(clock, token)
        async with AsyncNemo(transport=transport, render_ids=ids, **settings) as nemo:
            conversation = AsyncConversation(nemo, dest=folder)
            for step in steps:
                if step.op == "wait":
                    await clock.asleep(step.seconds)
                    continue
                attached = _attach(folder, step.files)
                views.extend([view async for view in conversation.say(step.text, attached)])
    return views


def record_scenario(spec: ScenarioSpec | str, *, seed: int | None = None) -> Cassette:
    """Run a scenario against a fresh embedded mock and return its cassette (nothing written)."""
    from mockserver import AsyncStreamingTransport, MockServer

    from ._record import AsyncRecordingTransport, Recorder

    spec = SCENARIOS[spec] if isinstance(spec, str) else spec
    clock = VirtualClock()
    config = spec.mock_config(seed)
    server = MockServer(config, clock)
    for fault in spec.faults:
        server.faults.add(**fault)
    token = None
    if spec.token_mode == "user":  # issued beforehand, as a user would have it
        token = server.state.issue_token(CLIENT_ID, "127.0.0.1").token
    recorder = Recorder(clock=clock)

    async def main() -> list[View]:
        inner = AsyncStreamingTransport(server.app)
        try:
            transport = AsyncRecordingTransport(inner, recorder)
            return await _aconverse(transport, clock, spec.steps, token)
        finally:
            await inner.aclose()

    views = asyncio.run(main())
    extra = {
        "summary": spec.summary,
        "steps": [step.to_json() for step in spec.steps],
        "mock": dict(spec.mock),
        "faults": [dict(fault) for fault in spec.faults],
        "client": {"client_id": "<CLIENT_ID_1>", "web_url": WEB_URL},
        "expected_views": [view_record(view, recorder.redactor) for view in views],
    }
    if spec.token_mode == "user":
        extra["token_mode"] = "user"
    return replace(recorder.cassette, scenario=spec.name, seed=config.seed, base_url=BASE_URL,
                   extra=extra)  # fmt: skip


def cassette_steps(cassette: Cassette) -> list[UserStep]:
    """The user steps a cassette was recorded with (``extra.steps``)."""
    steps = cassette.extra.get("steps", [])
    if not isinstance(steps, list):
        raise ValueError("the cassette's extra.steps is not a list")
    return [UserStep.from_json(step) for step in steps]


def replay_scenario(
    cassette: Cassette, *, fixed_ids: bool = False, clock: VirtualClock | None = None
) -> tuple[list[dict[str, str]], Any]:
    """Replay a scenario cassette through the client; the views seen and the router used.

    The router plays streams at recorded pace on a virtual clock (instant in real time), so the
    client's timers (stall, still working) see the same times as when it was recorded. Render
    ids are the client's own unless ``fixed_ids``: the router's matching tolerates them.
    """
    from ._replay import build_router

    clock = clock if clock is not None else VirtualClock()
    router = build_router(cassette, timing="recorded", clock=clock)
    transport = httpx.MockTransport(router.handler)
    # A user's token: any will do (matching reads a token as its kind, never its value).
    token = _REPLAY_USER_TOKEN if cassette.extra.get("token_mode") == "user" else None
    views = _converse(transport, clock, cassette_steps(cassette), fixed_ids=fixed_ids, token=token)
    return [view_record(view) for view in views], router
