"""Hypothesis strategies for scenarios, one per rule (see :data:`STRATEGIES`).

Scenarios are small on purpose (a few steps, one or two faults) so a run costs milliseconds and a
failure shrinks to something a person can read. Text comes from fixed pools (routing keywords in
English and Chinese, edit requests the mock's agent understands, chat), so shrinking moves
towards the first, simplest entry of each pool.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from conformance.drivers._protocol import Step
from mockserver._config import SSE_FRAMINGS

from ._intent import AMBIGUOUS_EDITS, REQUESTS, ask, edit, mixed_steps
from ._model import Fault, Scenario, ServerVariant

__all__ = ["LABELLED", "STRATEGIES", "scenarios_for", "variants"]

UPLOAD = Step("upload", files=("clip.mp4",))
EDITS = (
    "trim the pauses",
    'add a title "Urban Dreams"',
    "add background music",
    "add transitions",
    "make it vertical 9:16",
    "speed it up 2x",
    'add subtitles "hello"',
    "剪掉停顿",
    "加标题《城市之梦》",
    "加背景音乐",
    "加转场",
)
CHAT = ("hello", "what can you do?", "你好")
GENERATE = ("generate a video of a city at night", "生成一个海边日落的视频")
KEYWORDS = ("credits", "status", "export", "余额", "状态", "导出", "积分", "balance", "show tracks")
COMPOUND = (
    "trim the pauses and export",
    'add a title "Hi" and check my credits',
    "剪掉停顿然后导出",
    "加转场，然后看看余额",
    "add transitions, then show tracks",
)


#: Heartbeat intervals: the contract's 15-30 s, and short ones (1-5 s): a timing rule allows one
#: interval, so a short one makes it exact.
HEARTBEATS = (20.0, 15.0, 30.0, 5.0, 1.0, 3.0)
#: Mostly short intervals, for the rule that times each "Still working" notice.
SHORT_BEATS = (5.0, 3.0, 1.0, 20.0)


def variants(
    *,
    silent: bool | None = None,
    noise: bool | None = None,
    partial: bool | None = None,
    framings: tuple[str, ...] = SSE_FRAMINGS,
    beats: tuple[float, ...] = HEARTBEATS,
) -> st.SearchStrategy[ServerVariant]:
    """Server variants; ``silent``/``noise``/``partial`` pin those choices when given, the
    SSE framing is one of ``framings`` (``lf`` first, so failures shrink towards it) and the
    heartbeat interval one of ``beats``."""

    def pinned(value: bool | None) -> st.SearchStrategy[bool]:
        return st.booleans() if value is None else st.just(value)

    return st.builds(
        ServerVariant,
        error_style=st.sampled_from(("code_200", "http_status")),
        dialect=st.sampled_from(("adk", "simple")),
        heartbeat_form=st.sampled_from(("json", "empty", "comment")),
        heartbeat_interval=st.sampled_from(beats),
        silent_rate=pinned(silent).map(float),
        partial_text=pinned(partial),
        noise_rate=pinned(noise).map(float),
        seed=st.integers(0, 3),
        sse_framing=st.sampled_from(framings),
    )


def _say(pool: tuple[str, ...]) -> st.SearchStrategy[Step]:
    return st.sampled_from(pool).map(lambda text: Step("say", text))


def _session(*pools: tuple[str, ...], size: int = 2) -> st.SearchStrategy[tuple[Step, ...]]:
    """An upload, then 1..size steps drawn from ``pools``."""
    pool = tuple(text for p in pools for text in p)
    return st.lists(_say(pool), min_size=1, max_size=size).map(lambda s: (UPLOAD, *s))


def _scenario(
    steps: st.SearchStrategy[tuple[Step, ...]],
    *,
    server: st.SearchStrategy[ServerVariant] | None = None,
    faults: st.SearchStrategy[tuple[Fault, ...]] = st.just(()),  # noqa: B008
    token_mode: st.SearchStrategy[str] = st.just("anonymous"),  # noqa: B008
) -> st.SearchStrategy[Scenario]:
    return st.builds(
        Scenario,
        server=server if server is not None else variants(),
        steps=steps,
        faults=faults,
        token_mode=token_mode,
    )


def general() -> st.SearchStrategy[Scenario]:
    """Anything: edits, chat, keywords and compound requests on any variant."""
    return _scenario(_session(EDITS, CHAT, KEYWORDS, COMPOUND, size=3))


# Which user step reaches each request kind (so a fault on that kind is hit).
_TRIGGER = {
    "token": "hello",
    "session": "hello",
    "credits": "credits",
    "state": "status",
    "run_sse": "hello",
}


def _faulted(
    targets: tuple[str, ...], make: Callable[[str], st.SearchStrategy[Fault]]
) -> st.SearchStrategy[Scenario]:
    def build(target: str) -> st.SearchStrategy[Scenario]:
        steps = st.just((UPLOAD, Step("say", _TRIGGER[target])))
        return _scenario(steps, faults=make(target).map(lambda f: (f,)))

    return st.sampled_from(targets).flatmap(build)


def rate_limited() -> st.SearchStrategy[Scenario]:
    def fault(target: str) -> st.SearchStrategy[Fault]:
        return st.builds(
            Fault,
            target=st.just(target),
            kind=st.just("status"),
            status=st.just(429),
            retry_after=st.sampled_from((None, 10.0, 30.0, 45.0, 90.0)),
            times=st.integers(1, 2),
        )

    return _faulted(("credits", "state", "run_sse", "token", "session"), fault)


def _export(faults: st.SearchStrategy[tuple[Fault, ...]]) -> st.SearchStrategy[Scenario]:
    steps = st.sampled_from(EDITS[:4]).map(
        lambda e: (UPLOAD, Step("say", e), Step("say", "export"))
    )
    return _scenario(steps, faults=faults)


def plan_limit() -> st.SearchStrategy[Scenario]:
    fault = st.builds(
        Fault,
        target=st.just("render"),
        kind=st.just("status"),
        status=st.just(402),
        times=st.integers(1, 2),
    )
    return _export(fault.map(lambda f: (f,)))


def _code_fault(code: int, targets: tuple[str, ...]) -> st.SearchStrategy[Scenario]:
    def fault(target: str) -> st.SearchStrategy[Fault]:
        return st.just(Fault(target, "code", code=code))

    return _faulted(targets, fault)


def token_invalid() -> st.SearchStrategy[Scenario]:
    plain = _code_fault(1001, ("credits", "state", "run_sse"))
    return st.tuples(plain, st.sampled_from(("anonymous", "user"))).map(
        lambda pair: Scenario(pair[0].server, pair[0].steps, pair[0].faults, pair[1])  # type: ignore[arg-type]
    )


def session_lost() -> st.SearchStrategy[Scenario]:
    return _code_fault(1002, ("run_sse",))


def client_id_missing() -> st.SearchStrategy[Scenario]:
    fault = st.just((Fault("token", "status", status=400),))
    return _scenario(st.just((Step("say", "credits"),)), faults=fault)


def render_submit() -> st.SearchStrategy[Scenario]:
    fault = st.builds(
        Fault,
        target=st.just("render"),
        kind=st.just("status"),
        status=st.sampled_from((500, 502, 503)),
        times=st.integers(1, 2),
    )
    return _export(fault.map(lambda f: (f,)))


def renders() -> st.SearchStrategy[Scenario]:
    """Exports whose render completes, fails, or outlasts the client's 10 polls."""
    outcome = st.sampled_from(
        ((), (Fault("render", "render_failed"),), (Fault("render", "slow_render"),))
    )
    return _export(outcome)


def broken_streams() -> st.SearchStrategy[Scenario]:
    fault = st.one_of(
        st.builds(
            Fault, target=st.just("run_sse"), kind=st.just("cut"), cut_after=st.integers(0, 4)
        ),
        st.just(Fault("run_sse", "drop")),
        st.just(Fault("run_sse", "stall")),
    )
    steps = _say(EDITS + CHAT).map(lambda s: (UPLOAD, s))
    return _scenario(steps, faults=fault.map(lambda f: (f,)))


def stalled() -> st.SearchStrategy[Scenario]:
    steps = _say(EDITS + CHAT).map(lambda s: (UPLOAD, s))
    return _scenario(steps, faults=st.just((Fault("run_sse", "stall"),)))


def cut_streams() -> st.SearchStrategy[Scenario]:
    fault = st.builds(
        Fault, target=st.just("run_sse"), kind=st.just("cut"), cut_after=st.integers(0, 4)
    )
    steps = _say(EDITS + CHAT).map(lambda s: (UPLOAD, s))
    return _scenario(steps, faults=fault.map(lambda f: (f,)))


def long_turns() -> st.SearchStrategy[Scenario]:
    """Generations (minutes of work) more often than edits, with mostly short heartbeats."""
    return _scenario(
        _session(GENERATE, GENERATE, EDITS, size=1), server=variants(beats=SHORT_BEATS)
    )


def noisy() -> st.SearchStrategy[Scenario]:
    return _scenario(_session(EDITS, CHAT), server=variants(noise=True))


def silent() -> st.SearchStrategy[Scenario]:
    return _scenario(_session(EDITS, size=2), server=variants(silent=True))


def spoken() -> st.SearchStrategy[Scenario]:
    return _scenario(_session(EDITS, CHAT), server=variants(silent=False))


def framed() -> st.SearchStrategy[Scenario]:
    """Spoken turns under a WHATWG framing other than plain ``lf`` (partial chunks or not)."""
    server = variants(silent=False, framings=SSE_FRAMINGS[1:])
    return _scenario(_session(EDITS, CHAT), server=server)


def long_turn() -> st.SearchStrategy[Scenario]:
    """One turn that keeps making progress for 20 minutes (past the 15-minute limit)."""
    steps = _say(EDITS + CHAT + GENERATE).map(lambda s: (UPLOAD, s))
    return _scenario(steps, faults=st.just((Fault("run_sse", "long"),)))


def restarts() -> st.SearchStrategy[Scenario]:
    first = _say(KEYWORDS[:2] + CHAT)
    return _scenario(st.tuples(first, st.just(Step("restart")), first))


#: Labelled steps for the routing rules (each records what it means): requests in both
#: languages, edits that hold a routing word, and an edit joined to a request.
LABELLED: tuple[Step, ...] = (
    *(ask(action, text) for action, texts in REQUESTS.items() for text in texts),
    *(edit(text) for text in AMBIGUOUS_EDITS),
    *(edit(text) for text in EDITS),
    *mixed_steps((*EDITS[:2], *EDITS[7:9], *AMBIGUOUS_EDITS[:4], *AMBIGUOUS_EDITS[10:12])),
)


def routed() -> st.SearchStrategy[Scenario]:
    """Up to three labelled steps after an upload: the routing rules judge by their intent."""
    steps = st.lists(st.sampled_from(LABELLED), min_size=1, max_size=3)
    return _scenario(steps.map(lambda s: (UPLOAD, *s)))


STRATEGIES: dict[str, Callable[[], st.SearchStrategy[Scenario]]] = {
    "H1": general,
    "H2": general,
    "H3": restarts,
    "H4": general,
    "R1": rate_limited,
    "R2": plan_limit,
    "R3": token_invalid,
    "R4": session_lost,
    "R5": client_id_missing,
    "R6": render_submit,
    "R7": broken_streams,
    "R8": renders,
    "S1": general,
    "S2": general,
    "S3": long_turns,
    "S4": stalled,
    "S5": noisy,
    "S6": silent,
    "S7": cut_streams,
    "S8": spoken,
    "S9": framed,
    "S10": long_turn,
    "T1": spoken,
    "T2": routed,
    "T3": routed,
    "T4": spoken,
    "T5": spoken,
    "X1": general,
}


def scenarios_for(rule_id: str) -> st.SearchStrategy[Scenario]:
    """The scenarios relevant to ``rule_id`` (``general`` for a rule without its own)."""
    return STRATEGIES.get(rule_id.upper(), general)()
