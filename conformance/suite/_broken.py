"""Deliberately broken clients: nemokit's reference adapter with ONE bug each.

The suite proves its power by catching every one of them with the rule that names the bug. No
nemokit module is edited: each bug lives in a wrapper around the reference adapter's transport
(a header stripped on the way out, a request sent again), in a changed export policy, or in what
the adapter shows (a heartbeat or a tool call seen on the wire, the backend's raw text).

:data:`BROKEN_CLIENTS` maps a bug's name to ``(factory, expected_rule_id)``;
:data:`BROKEN_SCENARIOS` gives, for each, a small scenario on which the bug shows (the suite's
generated scenarios find them too; these make the project's tests fast and deterministic).
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from conformance.drivers._adapter import NemokitAdapter, shown_of
from conformance.drivers._protocol import ClientAdapter, Shown, Step
from nemokit import contract
from nemokit._clock import Clock
from nemokit._conversation import _Turn
from nemokit._export import ExportPolicy
from nemokit._flow import Flow
from nemokit._routing import Action, Route, route
from nemokit._sse import SSEComment, SSEDecoder, SSEEvent
from nemokit._turn import TurnPolicy, run_turn

from ._broken_gui import GUI_BROKEN_CLIENTS, GUI_BROKEN_SCENARIOS
from ._intent import ask, edit, mixed
from ._model import Fault, Scenario, ServerVariant

__all__ = [
    "BROKEN_CLIENTS",
    "BROKEN_SCENARIOS",
    "RULE_CURRENT_FORMS",
    "RULE_GUI",
    "RULE_INTENT",
    "RULE_ROUTING",
    "RULE_SECRET",
    "literal_route",
]

#: Rule ids of the rules this module expects from ``_rules`` (named once, here).
RULE_GUI = "T1"
RULE_ROUTING = "T2"
RULE_INTENT = "T3"
RULE_SECRET = "X1"
RULE_CURRENT_FORMS = "H5"

Factory = Callable[[httpx.BaseTransport, Clock, dict[str, str], pathlib.Path], ClientAdapter]
Hook = Callable[[httpx.Request, httpx.Response], httpx.Response]


class _Wrap(httpx.BaseTransport):
    """A transport that changes requests on the way out and may act on each response."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        out: Callable[[httpx.Request], httpx.Request] = lambda r: r,
        back: Hook = lambda _, r: r,
    ) -> None:
        self.inner, self.out, self.back = inner, out, back

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request = self.out(request)
        return self.back(request, self.inner.handle_request(request))

    def close(self) -> None:
        self.inner.close()


def _again(
    inner: httpx.BaseTransport, request: httpx.Request, old: httpx.Response
) -> httpx.Response:
    old.read()
    old.close()
    return inner.handle_request(request)


def _without(header: str) -> Callable[[httpx.Request], httpx.Request]:
    def strip(request: httpx.Request) -> httpx.Request:
        request.headers.pop(header, None)
        return request

    return strip


def _adapter_over(wrap: Callable[[httpx.BaseTransport, Clock], httpx.BaseTransport]) -> Factory:
    """A factory for the reference adapter whose transport goes through ``wrap``."""

    def factory(
        transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
    ) -> ClientAdapter:
        return NemokitAdapter(wrap(transport, clock), clock, env, config_dir)

    return factory


# --- bugs on the wire -------------------------------------------------------------------------


def _no_attribution(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
    return _Wrap(inner, out=_without(contract.HEADER_SKILL_SOURCE))


def _no_authorization(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
    return _Wrap(inner, out=_without(contract.HEADER_AUTHORIZATION))


def _on_status(
    status: int, wait: float
) -> Callable[[httpx.BaseTransport, Clock], httpx.BaseTransport]:
    """Send a request answered ``status`` once more by itself after ``wait`` seconds (on top of
    whatever the client then does): a 429 retried twice or too early, a 402 retried."""

    def wrap(inner: httpx.BaseTransport, clock: Clock) -> httpx.BaseTransport:
        def back(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            if response.status_code != status:
                return response
            clock.sleep(wait)
            return _again(inner, request, response)

        return _Wrap(inner, back=back)

    return wrap


def _user_id_in_paths(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
    """Writes the account's user id where the current guide writes ``me`` (guide 0.x)."""
    user_id = ""

    def back(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        nonlocal user_id
        if request.url.path == contract.PATH_ANONYMOUS_TOKEN:
            response.read()
            data = response.json().get("data") or {}
            user_id = str(data.get("user_id") or user_id)
        return response

    def out(request: httpx.Request) -> httpx.Request:
        path = request.url.path
        if user_id and "/nemo_agent/me/" in path:
            old = path.replace("/nemo_agent/me/", f"/nemo_agent/{user_id}/")
            request.url = request.url.copy_with(path=old)
        return request

    return _Wrap(inner, out=out, back=back)


def _new_client_id_on_reauth(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
    seen = 0

    def out(request: httpx.Request) -> httpx.Request:
        nonlocal seen
        if request.url.path == contract.PATH_ANONYMOUS_TOKEN:
            seen += 1
            if seen > 1:  # every token after the first asks for a new account
                request.headers[contract.HEADER_CLIENT_ID] = f"broken-client-{seen}"
        return request

    return _Wrap(inner, out=out)


class _ResendOnCut(httpx.SyncByteStream):
    """A stream that, when the connection breaks, sends the request again and goes on reading."""

    def __init__(self, inner: httpx.BaseTransport, request: httpx.Request, first: Any) -> None:
        self.inner, self.request, self.first = inner, request, first

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.first
        except httpx.TransportError:
            again = self.inner.handle_request(self.request)
            yield from again.stream  # type: ignore[misc]

    def close(self) -> None:
        if hasattr(self.first, "close"):
            self.first.close()


def _on_turn_streams(
    make: Callable[[httpx.BaseTransport, httpx.Request, Any], httpx.SyncByteStream],
) -> Callable[[httpx.BaseTransport, Clock], httpx.BaseTransport]:
    """A transport wrapper whose successful ``/run_sse`` answers stream through ``make(inner,
    request, stream)``: where a broken client misbehaves once a turn's stream is open."""

    def wrap(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
        def back(request: httpx.Request, response: httpx.Response) -> httpx.Response:
            if request.url.path != contract.PATH_RUN_SSE or response.status_code != 200:
                return response
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=make(inner, request, response.stream),
                extensions=response.extensions,
            )

        return _Wrap(inner, back=back)

    return wrap


_resend_after_cut = _on_turn_streams(_ResendOnCut)


def _export_as_message_factory(
    transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
) -> ClientAdapter:
    return _ExportAsMessage(transport, clock, env, config_dir)


class _ExportAsMessage(NemokitAdapter):
    """Sends whatever the user typed to ``/run_sse``, routing skipped."""

    def run_step(self, step: Step) -> list[Shown]:
        if step.op != "say":
            return super().run_step(step)
        flow = self._raw_turn(step.text)
        return [shown_of(view) for view in self.nemo.driver.iterate(flow)]

    def _raw_turn(self, text: str) -> Flow[None]:
        if not self.conversation.connected:
            yield from self.conversation.connect_flow()
        result = yield from run_turn(self.nemo.core, text)
        del result


def _policy_factory(policy: ExportPolicy) -> Factory:
    def factory(
        transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
    ) -> ClientAdapter:
        adapter = NemokitAdapter(transport, clock, env, config_dir)
        adapter.conversation.policy = policy
        return adapter

    return factory


def _turn_waits(policy: TurnPolicy) -> Factory:
    """The reference adapter with a turn's waits changed (an off-by-one client)."""

    def factory(
        transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
    ) -> ClientAdapter:
        adapter = NemokitAdapter(transport, clock, env, config_dir)
        adapter.conversation.turn_policy = policy
        return adapter

    return factory


# --- bugs in routing --------------------------------------------------------------------------

_LITERAL = {
    Action.EXPORT: re.compile(r"(?<![a-z])(?:export|download|send me the video)(?![a-z])|导出"),
    Action.CREDITS: re.compile(r"(?<![a-z])(?:credits|balance)(?![a-z])|积分|余额"),
    Action.STATE: re.compile(r"(?<![a-z])(?:status|show tracks)(?![a-z])|状态"),
    Action.UPLOAD: re.compile(r"(?<![a-z])upload(?![a-z])|上传"),
}
_CLAUSES = re.compile(r"\s*(?:[,;，、；]|\band then\b|\band\b|\bthen\b|然后|再)\s*")


def literal_route(text: str) -> tuple[Route, ...]:
    """The routing table read literally: a clause holding one of its words anywhere is that
    action ("add end credits" shows the balance; the edit never reaches the agent)."""
    found: set[Action] = set()
    kept = []
    for clause in _CLAUSES.split(text):
        hits = {a for a, pattern in _LITERAL.items() if pattern.search(clause.casefold())}
        found |= hits
        if not hits and clause.strip(" .!?。！？"):
            kept.append(clause.strip())
    routes = [Route(Action.UPLOAD)] if Action.UPLOAD in found else []
    routes += [Route(Action.MESSAGE, ", ".join(kept))] if kept else []
    routes += [Route(a) for a in (Action.STATE, Action.CREDITS, Action.EXPORT) if a in found]
    return tuple(routes)


def _english_only_route(text: str) -> tuple[Route, ...]:
    """nemokit's router for English; Chinese text goes to the agent whole (导出 is not seen)."""
    return route(text) if text.isascii() else (Route(Action.MESSAGE, text.strip()),)


def _drops_chinese_edits(text: str) -> tuple[Route, ...]:
    """nemokit's router, but a Chinese request that also asks for an action loses its edit
    ("剪掉停顿然后导出" only exports): the bug the Node driver had, a filler test that took CJK
    characters for punctuation."""
    routes = route(text)
    if text.isascii() or all(r.action is Action.MESSAGE for r in routes):
        return routes
    return tuple(r for r in routes if r.action is not Action.MESSAGE)


class _RoutesWith(NemokitAdapter):
    """The reference client with another router in front of its conversation."""

    router: Callable[[str], tuple[Route, ...]] = staticmethod(route)

    def run_step(self, step: Step) -> list[Shown]:
        if step.op != "say":
            return super().run_step(step)
        return [shown_of(view) for view in self.conversation._drive(self._handle(step.text))]

    def _handle(self, text: str) -> Flow[None]:
        conversation = self.conversation
        if not conversation.connected:
            yield from conversation.connect_flow()
        turn = _Turn()
        for routed in type(self).router(text):
            if not (yield from conversation._route(routed, turn)):
                break


class _RoutesBySubstring(_RoutesWith):
    router = staticmethod(literal_route)


class _ChineseNotRouted(_RoutesWith):
    router = staticmethod(_english_only_route)


class _DropsChineseEdits(_RoutesWith):
    router = staticmethod(_drops_chinese_edits)


def _slow_polls_factory(
    transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
) -> ClientAdapter:
    adapter = NemokitAdapter(transport, clock, env, config_dir)
    adapter.conversation.policy = ExportPolicy(poll_interval=5.0, max_polls=40)
    return adapter


# --- bugs in what the user sees ---------------------------------------------------------------


class _Tapped(NemokitAdapter):
    """The reference adapter that also keeps every SSE item its transport carried this step."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        clock: Clock,
        env: dict[str, str],
        config_dir: pathlib.Path,
    ) -> None:
        self.items: list[SSEEvent | SSEComment] = []
        super().__init__(_Wrap(transport, back=self._tap), clock, env, config_dir)

    def _tap(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path != contract.PATH_RUN_SSE:
            return response
        decoder, first = SSEDecoder(), response.stream

        def tee() -> Iterator[bytes]:
            for chunk in first:  # type: ignore[union-attr]
                self.items += decoder.feed(chunk)
                yield chunk

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Iter(tee(), first),
            extensions=response.extensions,
        )

    def run_step(self, step: Step) -> list[Shown]:
        self.items = []
        shown = super().run_step(step)
        return self.alter(shown)

    def alter(self, shown: list[Shown]) -> list[Shown]:
        return shown


class _Iter(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes], owner: Any) -> None:
        self.chunks, self.owner = chunks, owner

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        if hasattr(self.owner, "close"):
            self.owner.close()


def _data(item: SSEEvent | SSEComment) -> Any:
    if isinstance(item, SSEComment):
        return None
    try:
        return json.loads(item.data)
    except ValueError:
        return None


class _ShowsHeartbeats(_Tapped):
    def alter(self, shown: list[Shown]) -> list[Shown]:
        beats = [
            i
            for i in self.items
            if isinstance(i, SSEComment) or not i.data.strip() or "heartbeat" in i.data
        ]
        return shown + [Shown("progress", "💓 heartbeat") for _ in beats[:3]]


class _ShowsToolCalls(_Tapped):
    def alter(self, shown: list[Shown]) -> list[Shown]:
        calls = [i.data for i in self.items if isinstance(i, SSEEvent) and "unction" in i.data]
        calls += [i.data for i in self.items if isinstance(i, SSEEvent) and '"tool_' in i.data]
        return shown + [Shown("notice", f"Tool: {c}") for c in calls]


class _ForwardsGui(_Tapped):
    """Shows the backend's text as it came: GUI instructions and all."""

    def alter(self, shown: list[Shown]) -> list[Shown]:
        raw = [t for t in map(_text_of, map(_data, self.items)) if t]
        return [s for s in shown if s.kind != "reply"] + [Shown("reply", t) for t in raw]


def _text_of(data: Any) -> str:
    if not isinstance(data, dict) or data.get("partial"):
        return ""
    if data.get("type") == "text":
        return str(data.get("content", ""))
    parts = (
        data.get("content", {}).get("parts", []) if isinstance(data.get("content"), dict) else []
    )
    return "".join(str(p["text"]) for p in parts if isinstance(p, dict) and "text" in p)


class _SilentAfterLastPoll(NemokitAdapter):
    """Gives up after the 10th poll without a word (the "still rendering" problem dropped)."""

    def run_step(self, step: Step) -> list[Shown]:
        shown = super().run_step(step)
        return [s for s in shown if not (s.kind == "problem" and "still rendering" in s.text)]


class _IgnoresSilentTurns(NemokitAdapter):
    """Never says what a silent turn changed (the summary is dropped)."""

    def run_step(self, step: Step) -> list[Shown]:
        return [s for s in super().run_step(step) if s.kind != "changes"]


class _PrintsToken(NemokitAdapter):
    def run_step(self, step: Step) -> list[Shown]:
        shown = super().run_step(step)
        token = getattr(self.nemo.core, "_token", None)
        return shown + ([Shown("notice", f"Connected with token {token}")] if token else [])


def _cls(cls: type[NemokitAdapter]) -> Factory:
    def factory(
        transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
    ) -> ClientAdapter:
        return cls(transport, clock, env, config_dir)

    return factory


#: bug name → (adapter factory, the id of the rule that must catch it)
BROKEN_CLIENTS: dict[str, tuple[Factory, str]] = {
    "missing_attribution_header": (_adapter_over(_no_attribution), "H2"),
    "no_authorization": (_adapter_over(_no_authorization), "H1"),
    "user_id_in_paths": (_adapter_over(_user_id_in_paths), RULE_CURRENT_FORMS),
    "retries_429_twice": (_adapter_over(_on_status(429, contract.RATE_LIMIT_WAIT)), "R1"),
    "retries_429_too_early": (_adapter_over(_on_status(429, 0.0)), "R1"),
    "retries_402": (_adapter_over(_on_status(402, 0.0)), "R2"),
    "reauth_with_new_client_id": (_adapter_over(_new_client_id_on_reauth), "R3"),
    "resends_after_stream_started": (_adapter_over(_resend_after_cut), "R7"),
    "shows_heartbeats": (_cls(_ShowsHeartbeats), "S1"),
    "shows_tool_calls": (_cls(_ShowsToolCalls), "S2"),
    "ignores_silent_turns": (_cls(_IgnoresSilentTurns), "S6"),
    "forwards_gui_phrases": (_cls(_ForwardsGui), RULE_GUI),
    "sends_export_as_message": (_export_as_message_factory, RULE_ROUTING),
    "polls_every_5s": (_slow_polls_factory, "R8"),
    "polls_40_times": (_policy_factory(ExportPolicy(max_polls=40)), "R8"),
    "silent_after_10th_poll": (_cls(_SilentAfterLastPoll), "R8"),
    "routes_by_substring": (_cls(_RoutesBySubstring), RULE_INTENT),
    "chinese_keywords_not_routed": (_cls(_ChineseNotRouted), RULE_INTENT),
    "drops_chinese_edits_in_mixed_requests": (_cls(_DropsChineseEdits), RULE_INTENT),
    # Off by about a tenth: caught only because virtual time is exact.
    "stall_after_11_minutes": (_turn_waits(TurnPolicy(stall_after=11 * 60.0)), "S4"),
    "still_working_every_130s": (_turn_waits(TurnPolicy(still_working_every=130.0)), "S3"),
    "polls_11_times": (
        _policy_factory(ExportPolicy(max_polls=contract.MAX_RENDER_POLLS + 1)),
        "R8",
    ),
    "prints_token": (_cls(_PrintsToken), RULE_SECRET),
    **{name: (_cls(cls), rule) for name, (cls, rule) in GUI_BROKEN_CLIENTS.items()},
}

_EDIT = Step("say", 'add a title "Hello"')
_UPLOAD = Step("upload", files=("clip.mp4",))
_QUIET = ServerVariant(silent_rate=0.0, noise_rate=0.0)

#: bug name → a scenario on which the bug shows.
BROKEN_SCENARIOS: dict[str, Scenario] = {
    "missing_attribution_header": Scenario(_QUIET, (Step("say", "credits"),)),
    "no_authorization": Scenario(_QUIET, (Step("say", "credits"),)),
    "user_id_in_paths": Scenario(_QUIET, (Step("say", "status"),)),
    "retries_429_twice": Scenario(
        _QUIET, (Step("say", "credits"),), (Fault("credits", "status", status=429, times=2),)
    ),
    "retries_429_too_early": Scenario(
        _QUIET, (Step("say", "credits"),), (Fault("credits", "status", status=429),)
    ),
    "retries_402": Scenario(
        _QUIET, (_UPLOAD, _EDIT, Step("say", "export")), (Fault("render", "status", status=402),)
    ),
    "reauth_with_new_client_id": Scenario(
        _QUIET, (Step("say", "credits"),), (Fault("credits", "code", code=1001),)
    ),
    "resends_after_stream_started": Scenario(
        _QUIET, (_UPLOAD, _EDIT), (Fault("run_sse", "cut", cut_after=1),)
    ),
    "shows_heartbeats": Scenario(
        ServerVariant(silent_rate=0.0, heartbeat_interval=2.0), (_UPLOAD, _EDIT)
    ),
    "shows_tool_calls": Scenario(_QUIET, (_UPLOAD, _EDIT)),
    "ignores_silent_turns": Scenario(
        ServerVariant(silent_rate=1.0, noise_rate=0.0), (_UPLOAD, _EDIT)
    ),
    # seed 1: the agent's replies end with a GUI instruction (it does so half the time)
    "forwards_gui_phrases": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.0, seed=1),
        (_UPLOAD, _EDIT, Step("say", "add transitions")),
    ),
    "sends_export_as_message": Scenario(_QUIET, (_UPLOAD, _EDIT, Step("say", "export"))),
    "polls_every_5s": Scenario(_QUIET, (_UPLOAD, _EDIT, Step("say", "export"))),
    "polls_40_times": Scenario(
        _QUIET, (_UPLOAD, _EDIT, Step("say", "export")), (Fault("render", "slow_render"),)
    ),
    "silent_after_10th_poll": Scenario(
        _QUIET, (_UPLOAD, _EDIT, Step("say", "export")), (Fault("render", "slow_render"),)
    ),
    "routes_by_substring": Scenario(_QUIET, (_UPLOAD, edit("add end credits"))),
    "chinese_keywords_not_routed": Scenario(_QUIET, (_UPLOAD, ask("credits", "余额"))),
    "drops_chinese_edits_in_mixed_requests": Scenario(
        _QUIET, (_UPLOAD, _EDIT, mixed("剪掉停顿", "然后", "export", "导出"))
    ),
    "stall_after_11_minutes": Scenario(
        ServerVariant(silent_rate=0.0, heartbeat_interval=5.0),
        (_UPLOAD, _EDIT),
        (Fault("run_sse", "stall"),),
    ),
    "still_working_every_130s": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.0, heartbeat_interval=5.0),
        (_UPLOAD, Step("say", "generate a video of a city at night")),
    ),
    "polls_11_times": Scenario(
        _QUIET, (_UPLOAD, _EDIT, Step("say", "export")), (Fault("render", "slow_render"),)
    ),
    "prints_token": Scenario(_QUIET, (Step("say", "credits"),)),
    **GUI_BROKEN_SCENARIOS,
}

# The bugs a cassette replay used to pass live beside this module; they build on its pieces
# (imported last, when every name above exists).
from ._broken_more import MORE_BROKEN_CLIENTS, MORE_BROKEN_SCENARIOS  # noqa: E402

BROKEN_CLIENTS.update(MORE_BROKEN_CLIENTS)
BROKEN_SCENARIOS.update(MORE_BROKEN_SCENARIOS)
