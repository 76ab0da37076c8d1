"""Verify: replay every recorded request against a live server and say where reality differs.

For each interaction of a cassette, the recorded request is sent again (placeholders replaced by
live values) and the live answer compared with the recorded one on what a client depends on:

- the HTTP ``status``;
- the contract ``code`` (``code``, or ``success`` for render endpoints);
- the JSON ``shape``: keys and value types (string, number, boolean, null, object, array), never
  values, so ids and times may differ;
- the kind of ``body`` (JSON, text, binary) and, for a stream, the ``events``: the kinds of events
  in order (``content:text``, ``content:functionCall``, ``type:text``...), heartbeats of any form
  collapsed into one ``heartbeat``, and whether the stream was cut.

The server is an embedded mock by default: a ``MockServer`` in process with the cassette's
recorded mock settings, seed and faults (``extra.mock``, ``extra.faults``), on a virtual clock
moved to each request's recorded time. With ``against=URL`` it is any server over the network:
a real API or a remote mock. Either way secrets are obtained fresh: the token handed out by the
replayed ``anonymous-token`` call (``<TOKEN_1>`` in the cassette) is the one sent next, and the
ids a server makes (sessions, tasks, users) are learned from its answers likewise. Nothing
secret is ever part of a reported difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from nemokit._clock import VirtualClock

from ._cassette import (
    BinaryBody,
    Body,
    Cassette,
    Interaction,
    JsonBody,
    MultipartBody,
    RecordedRequest,
    RecordedResponse,
    TextBody,
)
from ._record import BlockSplitter
from ._redact import PLACEHOLDER_RE

__all__ = [
    "Difference",
    "event_kinds",
    "json_shape",
    "shape_differences",
    "verify_cassette",
]

#: Keys whose values a server makes: learned from its answers and used in later requests.
_ID_KEYS = frozenset({"token", "claim_token", "session_id", "sessionId", "task_id", "taskId",
                      "user_id", "userId"})  # fmt: skip
_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Difference:
    """One way a live answer differs from the recorded one (or why it could not be checked).

    ``aspect`` is ``status``, ``code``, ``shape``, ``body``, ``events``, ``error`` (the live
    exchange failed) or ``skipped`` (the request could not be rebuilt; not a failure).
    """

    source: str
    index: int
    request: str
    aspect: str
    detail: str

    def __str__(self) -> str:
        return (
            f"{self.source} interactions[{self.index}] {self.request}: {self.aspect}: {self.detail}"
        )

    @property
    def fails(self) -> bool:
        return self.aspect != "skipped"


# --- shapes and events --------------------------------------------------------------------------


def json_shape(value: Any) -> Any:
    """The shape of a JSON value: type names in place of values, one shape per list kind."""
    if isinstance(value, dict):
        return {key: json_shape(item) for key, item in value.items()}
    if isinstance(value, list):
        shapes: list[Any] = []
        for item in value:
            if (shape := json_shape(item)) not in shapes:
                shapes.append(shape)
        return shapes
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else "string"


def _type(shape: Any) -> str:
    return "object" if isinstance(shape, dict) else "array" if isinstance(shape, list) else shape


def shape_differences(recorded: Any, live: Any, path: str = "") -> list[str]:
    """Where two shapes differ, as ``path: what`` phrases (``data.files[].url: missing live``)."""
    here = path or "(body)"
    if isinstance(recorded, dict) and isinstance(live, dict):
        out: list[str] = []
        for key in sorted(recorded.keys() | live.keys()):
            where = f"{path}.{key}" if path else key
            if key not in live:
                out.append(f"{where}: missing live ({_type(recorded[key])} recorded)")
            elif key not in recorded:
                out.append(f"{where}: only live ({_type(live[key])})")
            else:
                out.extend(shape_differences(recorded[key], live[key], where))
        return out
    if isinstance(recorded, list) and isinstance(live, list):
        if recorded and live:  # empty lists say nothing about their items
            return shape_differences(recorded[0], live[0], f"{path}[]")
        return []
    if _type(recorded) != _type(live):
        return [f"{here}: {_type(recorded)} recorded, {_type(live)} live"]
    return []


def event_kind(raw: str) -> str:
    """The kind of one SSE block: ``heartbeat`` (any form), ``type:<t>``, ``content:<part>``,
    ``error``, or ``json:<keys>`` for anything else."""
    data = [line[5:].removeprefix(" ") for line in raw.splitlines() if line.startswith("data:")]
    text = "\n".join(data).strip()
    if not text:
        return "heartbeat"  # a comment such as ": ping", or an empty data line
    try:
        event = json.loads(text)
    except ValueError:
        return "data:text"
    if not isinstance(event, dict):
        return "data:" + _type(json_shape(event))
    if event.get("type") == "heartbeat":
        return "heartbeat"
    if "type" in event:
        return f"type:{event['type']}"
    if "error" in event:
        return "error"
    content = event.get("content")
    if isinstance(content, dict) and isinstance(content.get("parts"), list):
        parts = "+".join(k for p in content["parts"] if isinstance(p, dict) for k in sorted(p))
        return f"content:{parts}" + (":partial" if event.get("partial") else "")
    return "json:" + ",".join(sorted(event))


def event_kinds(blocks: list[str]) -> list[str]:
    """The kinds of a stream's blocks in order, each run of heartbeats collapsed into one."""
    kinds: list[str] = []
    for kind in map(event_kind, blocks):
        if not (kind == "heartbeat" and kinds and kinds[-1] == "heartbeat"):
            kinds.append(kind)
    return kinds


# --- placeholders in, live values out -----------------------------------------------------------


@dataclass(slots=True)
class _Values:
    """Recorded value (a placeholder or an id) → the live value to send instead."""

    known: dict[str, str] = field(default_factory=dict)

    def text(self, text: str) -> str:
        for recorded in sorted(self.known, key=len, reverse=True):
            text = text.replace(recorded, self.known[recorded])
        return PLACEHOLDER_RE.sub(self._fresh, text)

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        return value

    def _fresh(self, match: re.Match[str]) -> str:
        # A placeholder never seen in an answer (a client id): any stable value of our own.
        return self.known.setdefault(match.group(0), f"verify-{match.group(0)[1:-1].lower()}")

    def learn(self, recorded: Any, live: Any, key: str = "") -> None:
        """Walk both answers together and remember what the server made."""
        if isinstance(recorded, dict) and isinstance(live, dict):
            for name in recorded.keys() & live.keys():
                self.learn(recorded[name], live[name], name)
        elif isinstance(recorded, list) and isinstance(live, list):
            for a, b in zip(recorded, live, strict=False):
                self.learn(a, b, key)
        elif isinstance(recorded, str) and isinstance(live, str) and recorded != live:
            made = PLACEHOLDER_RE.fullmatch(recorded) or key in _ID_KEYS
            if made:
                self.known[recorded] = live


# --- one exchange -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Live:
    status: int
    code: Any
    body_kind: str
    shape: Any
    events: list[str] | None
    cut: bool
    value: Any


def _build(
    client: httpx.Client, request: RecordedRequest, values: _Values, files: Mapping[str, bytes]
) -> httpx.Request | str:
    """The live request, or the reason it cannot be rebuilt."""
    headers = {name: values.text(value) for name, value in request.headers.items()}
    query = {key: [values.text(v) for v in vs] for key, vs in request.query.items()}
    url, body = values.text(request.path), request.body
    kwargs: dict[str, Any] = {"headers": headers, "params": query}
    if isinstance(body, JsonBody):
        kwargs["content"] = json.dumps(values.json(body.value)).encode()
    elif isinstance(body, TextBody):
        kwargs["content"] = values.text(body.text).encode()
    elif isinstance(body, BinaryBody):
        if body.data is None:
            return f"the request body ({body.size} bytes) was not kept"
        kwargs["content"] = body.data
    elif isinstance(body, MultipartBody):
        missing = [p.filename or p.name for p in body.parts if p.sha256 not in files]
        if missing:
            return f"the uploaded file(s) {', '.join(missing)} cannot be rebuilt"
        headers.pop("content-type", None)  # httpx writes its own boundary
        kwargs["files"] = [
            (p.name, (p.filename or p.name, files[p.sha256], p.content_type or ""))
            for p in body.parts
        ]
    return client.build_request(request.method, url, **kwargs)


def _exchange(client: httpx.Client, request: httpx.Request, recorded: RecordedResponse) -> _Live:
    response = client.send(request, stream=True)
    try:
        if "text/event-stream" in response.headers.get("content-type", ""):
            limit = len(recorded.events or ()) if recorded.client_closed else None
            blocks, cut = _read_blocks(response, limit)
            return _Live(response.status_code, None, "stream", None, event_kinds(blocks), cut, None)
        try:
            data = response.read()
        except httpx.TransportError:
            return _Live(response.status_code, None, "cut", None, None, True, None)
    finally:
        response.close()
    return _body(response.status_code, response.headers.get("content-type", ""), data)


def _read_blocks(response: httpx.Response, limit: int | None) -> tuple[list[str], bool]:
    splitter, blocks = BlockSplitter(), list[str]()
    try:
        for chunk in response.iter_raw():
            blocks.extend(b.decode("utf-8", "replace") for b in splitter.feed(chunk))
            if limit is not None and len(blocks) >= limit:
                return blocks[:limit], False
    except httpx.TransportError:
        return blocks, True
    rest = splitter.flush()
    return blocks + ([rest.decode("utf-8", "replace")] if rest.strip() else []), False


def _body(status: int, content_type: str, data: bytes) -> _Live:
    if not data:
        return _Live(status, None, "empty", None, None, False, None)
    try:
        value = json.loads(data)
    except ValueError:
        kind = "text" if content_type.startswith("text/") else "binary"
        return _Live(status, None, kind, None, None, False, None)
    return _Live(status, _code(value), "json", json_shape(value), None, False, value)


def _code(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    return value.get("code", value.get("success"))


def _recorded_kind(response: RecordedResponse) -> str:
    if response.events is not None:
        return "stream"
    body: Body = response.body
    return {
        JsonBody: "json",
        TextBody: "text",
        BinaryBody: "binary",
        MultipartBody: "multipart",
    }.get(type(body), "empty")


def _compare(recorded: RecordedResponse, live: _Live) -> Iterator[tuple[str, str]]:
    if recorded.status != live.status:
        yield "status", f"{recorded.status} recorded, {live.status} live"
    kind = _recorded_kind(recorded)
    if kind != live.body_kind and not (recorded.cut and live.cut):
        yield "body", f"{kind} recorded, {live.body_kind} live"
        return
    if isinstance(recorded.body, JsonBody):
        if (code := _code(recorded.body.value)) != live.code:
            yield "code", f"{json.dumps(code)} recorded, {json.dumps(live.code)} live"
        for phrase in shape_differences(json_shape(recorded.body.value), live.shape):
            yield "shape", phrase
    if recorded.events is not None and live.events is not None:
        expected = event_kinds([event.raw for event in recorded.events])
        if expected != live.events:
            yield "events", _sequence_difference(expected, live.events)
    if recorded.cut != live.cut:
        yield (
            "events",
            f"stream {'cut' if recorded.cut else 'complete'} recorded, "
            + ("cut live" if live.cut else "complete live"),
        )


def _sequence_difference(recorded: list[str], live: list[str]) -> str:
    at = next((i for i, (a, b) in enumerate(zip(recorded, live, strict=False)) if a != b), None)
    if at is None:
        at = min(len(recorded), len(live))
    return (
        f"event {at}: {recorded[at] if at < len(recorded) else 'end'} recorded, "
        f"{live[at] if at < len(live) else 'end'} live ({' '.join(recorded)} | {' '.join(live)})"
    )


# --- a whole cassette ---------------------------------------------------------------------------


def scenario_files(cassette: Cassette) -> dict[str, bytes]:
    """Bytes of the files a scenario cassette uploaded, by SHA-256 (made again from names)."""
    import hashlib

    from ._scenarios import file_bytes

    names = [f for step in cassette.extra.get("steps", []) if isinstance(step, dict)
             for f in step.get("files", []) if isinstance(f, str)]  # fmt: skip
    return {hashlib.sha256(data).hexdigest(): data for data in map(file_bytes, names)}


def verify_cassette(
    cassette: Cassette,
    *,
    source: str = "<memory>",
    against: str | None = None,
    mock: Mapping[str, Any] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> list[Difference]:
    """Every difference between ``cassette`` and a live server (an empty list: none).

    ``against`` is a base URL (default: an embedded mock); ``mock`` overrides the embedded mock's
    recorded settings (to check a cassette against another dialect, say); ``transport`` replaces
    the network for ``against`` (tests).
    """
    clock = VirtualClock()
    if against is None:
        from mockserver import StreamingTransport

        server = _embedded(cassette, clock, mock or {})
        inner: httpx.BaseTransport = StreamingTransport(server.app)
        base, advance = cassette.base_url or "http://mock.test", _advance(clock)
    else:
        inner = transport if transport is not None else httpx.HTTPTransport()
        base, advance = against, None
    files, values, found = scenario_files(cassette), _Values(), []
    with httpx.Client(transport=inner, base_url=base, timeout=_TIMEOUT) as client:
        for index, interaction in enumerate(cassette.interactions):
            if advance is not None and interaction.at is not None:
                advance(interaction.at)
            found.extend(_check_one(client, source, index, interaction, values, files))
    return found


def _check_one(
    client: httpx.Client,
    source: str,
    index: int,
    interaction: Interaction,
    values: _Values,
    files: Mapping[str, bytes],
) -> list[Difference]:
    request, recorded = interaction.request, interaction.response
    name = f"{request.method} {request.path}"
    built = _build(client, request, values, files)
    if isinstance(built, str):
        return [Difference(source, index, name, "skipped", built)]
    try:
        live = _exchange(client, built, recorded)
    except httpx.TransportError as error:
        return [Difference(source, index, name, "error", f"{type(error).__name__}: {error}")]
    if isinstance(recorded.body, JsonBody) and live.value is not None:
        values.learn(recorded.body.value, live.value)
    return [
        Difference(source, index, name, aspect, text) for aspect, text in _compare(recorded, live)
    ]


def _embedded(cassette: Cassette, clock: VirtualClock, overrides: Mapping[str, Any]) -> Any:
    from mockserver import MockServer
    from mockserver._config import MockConfig

    recorded = cassette.extra.get("mock", {})
    settings = {**(recorded if isinstance(recorded, dict) else {}), **overrides}
    config = MockConfig().replace(seed=cassette.seed or 0, **settings)
    server = MockServer(config, clock)
    for fault in cassette.extra.get("faults", []):
        server.faults.add(**fault)
    return server


def _advance(clock: VirtualClock) -> Callable[[float], None]:
    def to(when: float) -> None:
        if when > clock.now():
            clock.set(when)

    return to
