"""More deliberately broken clients: the bugs a cassette replay used to pass.

Each is nemokit's reference adapter with ONE bug, in the manner of :mod:`._broken`: on the wire
(the token put in the URL, a fresh client id on every token call, a state fetch straight after a
broken stream, a render retried under the same id), in the turn's waits (no 15-minute limit),
or in what the user sees (the token quoted in a Problem, the trailing noise kept, a simple-dialect
or bare-CR stream not read, no "Still working", Chinese keywords sent as messages). Merged into
:data:`._broken.BROKEN_CLIENTS`.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import httpx

from conformance.drivers._adapter import NemokitAdapter, shown_of
from conformance.drivers._protocol import ClientAdapter, Shown, Step
from nemokit import contract
from nemokit._clock import Clock
from nemokit._conversation import _TURN_OK, Conversation, _same_text, _Turn
from nemokit._flow import Flow
from nemokit._turn import TurnPolicy, run_turn

from ._broken import (
    Factory,
    _adapter_over,
    _cls,
    _data,
    _Iter,
    _on_turn_streams,
    _Tapped,
    _text_of,
    _Wrap,
)
from ._model import Fault, Scenario, ServerVariant

__all__ = ["MORE_BROKEN_CLIENTS", "MORE_BROKEN_SCENARIOS"]


# --- on the wire ------------------------------------------------------------------------------


def _token_in_query(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
    def out(request: httpx.Request) -> httpx.Request:
        _, _, token = request.headers.get(contract.HEADER_AUTHORIZATION, "").partition(" ")
        if token:
            request.url = request.url.copy_merge_params({"token": token})
        return request

    return _Wrap(inner, out=out)


def _new_client_id_every_call(inner: httpx.BaseTransport, _: Clock) -> httpx.BaseTransport:
    calls = 0

    def out(request: httpx.Request) -> httpx.Request:
        nonlocal calls
        if request.url.path == contract.PATH_ANONYMOUS_TOKEN:
            calls += 1
            request.headers[contract.HEADER_CLIENT_ID] = f"fresh-client-{calls}"
        return request

    return _Wrap(inner, out=out)


class _FetchOnBreak(httpx.SyncByteStream):
    """A stream that, when the connection breaks, fetches the state at once (then re-raises)."""

    def __init__(
        self, inner: httpx.BaseTransport, request: httpx.Request, first: httpx.SyncByteStream
    ) -> None:
        self.inner, self.request, self.first = inner, request, first

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.first
        except httpx.TransportError:
            body = self.request.content
            sid = _session_of(body)
            if sid:
                url = self.request.url.copy_with(path=f"/api/state/nemo_agent/me/{sid}/latest")
                state = httpx.Request("GET", url, headers=self.request.headers)
                self.inner.handle_request(state).read()
            raise

    def close(self) -> None:
        self.first.close()


def _session_of(body: bytes) -> str | None:
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return None
    sid = data.get("session_id", data.get("sessionId")) if isinstance(data, dict) else None
    return str(sid) if sid else None


_fetch_at_once_after_cut = _on_turn_streams(_FetchOnBreak)


def _same_render_id_factory(
    transport: httpx.BaseTransport, clock: Clock, env: dict[str, str], config_dir: pathlib.Path
) -> ClientAdapter:
    adapter = NemokitAdapter(transport, clock, env, config_dir)
    adapter.nemo.core._render_ids = lambda: "render_1767225600000_000001"
    return adapter


# --- in the turn's waits ----------------------------------------------------------------------


class _PolicyConversation(Conversation):
    """A conversation whose turns follow another :class:`TurnPolicy`."""

    turn_policy = TurnPolicy()

    def _message(self, text: str, turn: _Turn) -> Flow[bool]:
        if not text.strip():
            return True
        turn.sent.add(_same_text(text))
        result = yield from run_turn(self.core, text, policy=self.turn_policy)
        if result.outcome not in _TURN_OK:
            return False
        for action in result.actions:
            if not (yield from self._act(action, turn)):
                return False
        return True


class _NoTurnLimit(NemokitAdapter):
    def __init__(
        self,
        transport: httpx.BaseTransport,
        clock: Clock,
        env: dict[str, str],
        config_dir: pathlib.Path,
    ) -> None:
        super().__init__(transport, clock, env, config_dir)
        self.conversation = _PolicyConversation(self.nemo)
        self.conversation.turn_policy = TurnPolicy(limit=24 * 3600.0, stall_after=24 * 3600.0)


# --- in what the user sees --------------------------------------------------------------------


class _TokenInProblem(NemokitAdapter):
    def run_step(self, step: Step) -> list[Shown]:
        shown = super().run_step(step)
        token = getattr(self.nemo.core, "_token", None)
        if not token:
            return shown
        return [
            Shown(s.kind, f"{s.text} (token {token})") if s.kind == "problem" else s for s in shown
        ]


class _KeepsNoise(_Tapped):
    def alter(self, shown: list[Shown]) -> list[Shown]:
        noise = [t for t in map(_text_of, map(_data, self.items)) if contract.NOISE_PHRASE in t]
        return shown + [Shown("reply", t) for t in noise]


class _ReadsAdkOnly(_Tapped):
    def alter(self, shown: list[Shown]) -> list[Shown]:
        kinds = {d.get("type") for d in map(_data, self.items) if isinstance(d, dict)}
        simple = bool(kinds & {"text", "tool_call", "tool_result"})
        return [s for s in shown if s.kind != "reply"] if simple else shown


class _SplitsOnLfOnly(_Tapped):
    """Reads lines split on LF only: a stream framed with bare CRs shows no reply."""

    def __init__(
        self,
        transport: httpx.BaseTransport,
        clock: Clock,
        env: dict[str, str],
        config_dir: pathlib.Path,
    ) -> None:
        self.bare_cr = False
        super().__init__(_Wrap(transport, back=self._look), clock, env, config_dir)

    def _look(self, request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path != contract.PATH_RUN_SSE:
            return response
        first = response.stream

        def chunks() -> Iterator[bytes]:
            for chunk in first:  # type: ignore[union-attr]
                self.bare_cr |= b"\r" in chunk.replace(b"\r\n", b"")
                yield chunk

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Iter(chunks(), first),
            extensions=response.extensions,
        )

    def run_step(self, step: Step) -> list[Shown]:
        self.bare_cr = False
        return super().run_step(step)

    def alter(self, shown: list[Shown]) -> list[Shown]:
        return [s for s in shown if s.kind != "reply"] if self.bare_cr else shown


class _NoStillWorking(NemokitAdapter):
    def run_step(self, step: Step) -> list[Shown]:
        return [s for s in super().run_step(step) if "still working" not in s.text.lower()]


_CHINESE = ("导出", "积分", "余额", "状态")


class _ChineseAsMessages(NemokitAdapter):
    """Routes English keywords, but sends Chinese ones to ``/run_sse`` as they are."""

    def run_step(self, step: Step) -> list[Shown]:
        if step.op != "say" or not any(word in step.text for word in _CHINESE):
            return super().run_step(step)
        return [shown_of(v) for v in self.nemo.driver.iterate(self._raw(step.text))]

    def _raw(self, text: str) -> Flow[None]:
        if not self.conversation.connected:
            yield from self.conversation.connect_flow()
        result = yield from run_turn(self.nemo.core, text)
        del result


#: bug name → (adapter factory, the id of the rule that must catch it)
MORE_BROKEN_CLIENTS: dict[str, tuple[Factory, str]] = {
    "token_in_query": (_adapter_over(_token_in_query), "H4"),
    "token_in_problem": (_cls(_TokenInProblem), "X1"),
    "new_client_id_every_token_call": (_adapter_over(_new_client_id_every_call), "H3"),
    "keeps_trailing_noise": (_cls(_KeepsNoise), "S5"),
    "reads_adk_only": (_cls(_ReadsAdkOnly), "S8"),
    "splits_on_lf_only": (_cls(_SplitsOnLfOnly), "S9"),
    "no_still_working": (_cls(_NoStillWorking), "S3"),
    "no_turn_limit": (_cls(_NoTurnLimit), "S10"),
    "fetches_at_once_after_cut": (_adapter_over(_fetch_at_once_after_cut), "S7"),
    "resubmits_same_render_id": (_same_render_id_factory, "R6"),
    "chinese_keywords_as_messages": (_cls(_ChineseAsMessages), "T3"),
}

_UPLOAD = Step("upload", files=("clip.mp4",))
_EDIT = Step("say", 'add a title "Hello"')
_QUIET = ServerVariant(silent_rate=0.0, noise_rate=0.0)

#: bug name → a small scenario on the mock on which the bug shows.
MORE_BROKEN_SCENARIOS: dict[str, Scenario] = {
    "token_in_query": Scenario(_QUIET, (Step("say", "credits"),)),
    "token_in_problem": Scenario(
        _QUIET, (Step("say", "credits"),), (Fault("credits", "code", code=1001, times=2),)
    ),
    "new_client_id_every_token_call": Scenario(
        _QUIET, (Step("say", "credits"),), (Fault("credits", "code", code=1001),)
    ),
    "keeps_trailing_noise": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=1.0), (_UPLOAD, _EDIT)
    ),
    "reads_adk_only": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.0, dialect="simple"), (_UPLOAD, _EDIT)
    ),
    "splits_on_lf_only": Scenario(
        ServerVariant(silent_rate=0.0, noise_rate=0.0, sse_framing="cr"), (_UPLOAD, _EDIT)
    ),
    "no_still_working": Scenario(
        _QUIET, (Step("say", "generate a 20 second city timelapse video"),)
    ),
    "no_turn_limit": Scenario(_QUIET, (_UPLOAD, _EDIT), (Fault("run_sse", "long"),)),
    "fetches_at_once_after_cut": Scenario(
        _QUIET, (_UPLOAD, _EDIT), (Fault("run_sse", "cut", cut_after=1),)
    ),
    "resubmits_same_render_id": Scenario(
        _QUIET, (_UPLOAD, _EDIT, Step("say", "export")), (Fault("render", "status", status=500),)
    ),
    "chinese_keywords_as_messages": Scenario(_QUIET, (_UPLOAD, Step("say", "积分"))),
}
