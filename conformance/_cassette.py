"""The cassette format: typed values, their JSON form, and loading and saving with clear errors.

A cassette is one JSON document, written to be read in a diff (indent 2, sorted keys, one SSE
event per line, UTF-8 text as is)::

    {
      "base_url": "http://mock", "created": null, "extra": {}, "recorded_with": "0.1.0",
      "scenario": "quick_edit", "seed": 7, "version": 1,
      "interactions": [
        {
          "at": 0.0,
          "request": {"method": "POST", "path": "/run_sse", "query": {},
                      "headers": {"authorization": "Bearer <TOKEN_1>", ...},
                      "body": {"json": {...}}},
          "response": {"status": 200, "headers": {"content-type": "text/event-stream"},
                       "body": null, "cut": false,
                       "events": [
                         {"raw": "data: {...}\\n\\n", "t": 0.5},
                         {"raw": ": ping\\n\\n", "t": 15.0}
                       ]}
        }
      ]
    }

A body is ``null`` (empty) or one tagged object: ``{"json": value}``, ``{"text": "..."}``,
``{"binary": {"size", "sha256", "base64"?}}`` (bytes kept only when small) or
``{"multipart": [{"name", "filename", "content_type", "size", "sha256"}, ...]}`` (a summary:
multipart boundaries are random, so the bytes could neither match nor stay stable). An SSE
response has ``events`` instead of a body: each ``raw`` is the exact text of one event or comment
block and ``t`` its time in seconds from the response start. ``at`` is the request's time from
the start of the recording. Times are virtual when recorded with a virtual clock, which is what
makes re-recording byte-for-byte deterministic: nothing here reads the wall clock.

Loading never fails with a bare ``KeyError``: a bad file raises :class:`CassetteError` naming the
file and the place (line and column for broken JSON, a path such as
``interactions[3].response.status`` for a field of the wrong shape).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import pathlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from nemokit._errors import NemoError

__all__ = [
    "CASSETTE_FORMAT_VERSION",
    "BinaryBody",
    "Body",
    "Cassette",
    "CassetteError",
    "Interaction",
    "JsonBody",
    "MultipartBody",
    "MultipartPart",
    "RecordedRequest",
    "RecordedResponse",
    "StreamEvent",
    "TextBody",
    "dumps_cassette",
    "load_cassette",
    "loads_cassette",
    "save_cassette",
]

#: The version written into every cassette; a loader refuses any other.
CASSETTE_FORMAT_VERSION = 1

JSON: TypeAlias = Any


class CassetteError(NemoError):
    """A cassette that cannot be read or written; the message names the file and the place.

    ``file`` is the path (or ``"<string>"``), ``where`` the place in it: ``"line 3, column 7"``
    for broken JSON, a JSON path such as ``"interactions[3].response.status"`` for a bad field.
    """

    def __init__(self, message: str, *, file: str = "<string>", where: str | None = None) -> None:
        place = f" at {where}" if where else ""
        super().__init__(f"{file}{place}: {message}")
        self.file = file
        self.where = where
        self.reason = message


class _SchemaError(Exception):
    """Internal: a field of the wrong shape at ``path``; turned into a CassetteError by loads."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               dict: "an object", list: "a list"}  # fmt: skip


def _describe(value: object) -> str:
    return "null" if value is None else type(value).__name__.replace("dict", "object")


def _get(obj: Mapping[str, Any], key: str, path: str, kind: type, *, optional: bool = False) -> Any:
    """``obj[key]`` checked against ``kind`` (``None`` allowed when ``optional``)."""
    where = f"{path}.{key}" if path else key
    if key not in obj:
        if optional:
            return None
        raise _SchemaError(where, "missing")
    value = obj[key]
    if value is None and optional:
        return None
    return _check(value, kind, where)


def _check(value: Any, kind: type, where: str) -> Any:
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise _SchemaError(where, f"expected {_TYPE_NAMES[kind]}, found {_describe(value)}")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    for key, item in _check(value, dict, where).items():
        _check(item, str, f"{where}.{key}")
    return dict(value)


# --- bodies -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A body that was valid JSON (stored as the value: a diff shows the fields)."""

    value: JSON


@dataclass(frozen=True, slots=True)
class TextBody:
    """A text body that is not JSON."""

    text: str


@dataclass(frozen=True, slots=True)
class BinaryBody:
    """Bytes: always their size and SHA-256, the bytes themselves only when small."""

    size: int
    sha256: str
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class MultipartPart:
    """One part of a multipart body, summarised."""

    name: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class MultipartBody:
    """A multipart body as the list of its parts (the boundary is random, so not kept)."""

    parts: tuple[MultipartPart, ...]


Body: TypeAlias = JsonBody | TextBody | BinaryBody | MultipartBody | None


def body_to_json(body: Body) -> JSON:
    """The tagged JSON form of a body (``None`` for an empty one)."""
    if isinstance(body, JsonBody):
        return {"json": body.value}
    if isinstance(body, TextBody):
        return {"text": body.text}
    if isinstance(body, BinaryBody):
        out: dict[str, Any] = {"size": body.size, "sha256": body.sha256}
        if body.data is not None:
            out["base64"] = base64.b64encode(body.data).decode("ascii")
        return {"binary": out}
    if isinstance(body, MultipartBody):
        return {"multipart": [_part_to_json(part) for part in body.parts]}
    return None


def _part_to_json(part: MultipartPart) -> JSON:
    return {"name": part.name, "filename": part.filename, "content_type": part.content_type,
            "size": part.size, "sha256": part.sha256}  # fmt: skip


def body_from_json(value: Any, where: str) -> Body:
    """Read a tagged body; ``where`` is its JSON path, for errors."""
    if value is None:
        return None
    obj = _check(value, dict, where)
    if len(obj) != 1 or next(iter(obj)) not in _BODY_KINDS:
        kinds = ", ".join(_BODY_KINDS)
        raise _SchemaError(where, f"expected one of {kinds} as the only key, found {sorted(obj)}")
    kind, inner = next(iter(obj.items()))
    body: Body = _BODY_KINDS[kind](inner, f"{where}.{kind}")
    return body


def _binary_from_json(value: Any, where: str) -> BinaryBody:
    obj = _check(value, dict, where)
    data = _get(obj, "base64", where, str, optional=True)
    try:
        raw = None if data is None else base64.b64decode(data, validate=True)
    except binascii.Error:
        raise _SchemaError(f"{where}.base64", "not valid base64") from None
    size = _get(obj, "size", where, int)
    if raw is not None and len(raw) != size:
        raise _SchemaError(f"{where}.size", f"says {size} but base64 holds {len(raw)} bytes")
    return BinaryBody(size=size, sha256=_get(obj, "sha256", where, str), data=raw)


def _multipart_from_json(value: Any, where: str) -> MultipartBody:
    parts = []
    for i, item in enumerate(_check(value, list, where)):
        at = f"{where}[{i}]"
        obj = _check(item, dict, at)
        parts.append(
            MultipartPart(
                name=_get(obj, "name", at, str),
                filename=_get(obj, "filename", at, str, optional=True),
                content_type=_get(obj, "content_type", at, str, optional=True),
                size=_get(obj, "size", at, int),
                sha256=_get(obj, "sha256", at, str),
            )
        )
    return MultipartBody(tuple(parts))


_BODY_KINDS: dict[str, Any] = {
    "json": lambda value, where: JsonBody(value),
    "text": lambda value, where: TextBody(_check(value, str, where)),
    "binary": _binary_from_json,
    "multipart": _multipart_from_json,
}


# --- interactions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One SSE block as it came: ``raw`` is its exact text, ``t`` seconds from response start."""

    t: float
    raw: str

    def to_json(self) -> JSON:
        return {"t": self.t, "raw": self.raw}

    @classmethod
    def from_json(cls, value: Any, where: str) -> StreamEvent:
        obj = _check(value, dict, where)
        t = _get(obj, "t", where, float)
        if t < 0:
            raise _SchemaError(f"{where}.t", f"a time cannot be negative ({t})")
        return cls(t=t, raw=_get(obj, "raw", where, str))


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request as recorded: secrets already replaced by placeholders.

    ``headers`` holds only the headers that matter, with lower-case names; ``query`` maps each
    key to its values in order.
    """

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None

    def to_json(self) -> JSON:
        return {"method": self.method, "path": self.path, "query": self.query,
                "headers": self.headers, "body": body_to_json(self.body)}  # fmt: skip

    @classmethod
    def from_json(cls, value: Any, where: str) -> RecordedRequest:
        obj = _check(value, dict, where)
        query: dict[str, list[str]] = {}
        raw_query = _get(obj, "query", where, dict, optional=True) or {}
        for key, values in raw_query.items():
            at = f"{where}.query.{key}"
            query[key] = [
                _check(v, str, f"{at}[{i}]") for i, v in enumerate(_check(values, list, at))
            ]
        headers = obj.get("headers")
        return cls(
            method=_get(obj, "method", where, str),
            path=_get(obj, "path", where, str),
            query=query,
            headers=_str_map(headers, f"{where}.headers") if headers is not None else {},
            body=body_from_json(obj.get("body"), f"{where}.body"),
        )

    def describe(self) -> str:
        """``METHOD /path?query`` (already redacted), for messages."""
        pairs = [f"{k}={v}" for k, values in sorted(self.query.items()) for v in values]
        return f"{self.method} {self.path}" + ("?" + "&".join(pairs) if pairs else "")


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """A response as recorded. An SSE response has ``events`` (and ``body`` is ``None``).

    ``cut`` says the stream broke (replay ends it with ``httpx.RemoteProtocolError``);
    ``client_closed`` says the client stopped reading before the end (the rest is unknown).
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Body = None
    events: tuple[StreamEvent, ...] | None = None
    cut: bool = False
    client_closed: bool = False

    def to_json(self) -> JSON:
        out: dict[str, Any] = {"status": self.status, "headers": self.headers,
                               "body": body_to_json(self.body), "cut": self.cut}  # fmt: skip
        if self.client_closed:
            out["client_closed"] = True
        if self.events is not None:
            out["events"] = [event.to_json() for event in self.events]
        return out

    @classmethod
    def from_json(cls, value: Any, where: str) -> RecordedResponse:
        obj = _check(value, dict, where)
        status = _get(obj, "status", where, int)
        if not 100 <= status <= 599:
            raise _SchemaError(f"{where}.status", f"{status} is not an HTTP status")
        raw_events = _get(obj, "events", where, list, optional=True)
        events = None
        if raw_events is not None:
            at = f"{where}.events"
            events = tuple(StreamEvent.from_json(e, f"{at}[{i}]") for i, e in enumerate(raw_events))
        headers = obj.get("headers")
        return cls(
            status=status,
            headers=_str_map(headers, f"{where}.headers") if headers is not None else {},
            body=body_from_json(obj.get("body"), f"{where}.body"),
            events=events,
            cut=bool(_get(obj, "cut", where, bool, optional=True)),
            client_closed=bool(_get(obj, "client_closed", where, bool, optional=True)),
        )

    @property
    def is_stream(self) -> bool:
        return self.events is not None


@dataclass(frozen=True, slots=True)
class Interaction:
    """One request and its response; ``at`` is when it was sent, from the recording's start."""

    request: RecordedRequest
    response: RecordedResponse
    at: float | None = None

    def to_json(self) -> JSON:
        return {"at": self.at, "request": self.request.to_json(),
                "response": self.response.to_json()}  # fmt: skip

    @classmethod
    def from_json(cls, value: Any, where: str) -> Interaction:
        obj = _check(value, dict, where)
        return cls(
            request=RecordedRequest.from_json(
                _get(obj, "request", where, dict), f"{where}.request"
            ),
            response=RecordedResponse.from_json(
                _get(obj, "response", where, dict), f"{where}.response"
            ),
            at=_get(obj, "at", where, float, optional=True),
        )


@dataclass(frozen=True, slots=True)
class Cassette:
    """A recording: metadata and the interactions in the order their requests were sent.

    ``extra`` holds whatever else a scenario wants to keep (JSON values).
    """

    interactions: tuple[Interaction, ...] = ()
    scenario: str | None = None
    recorded_with: str | None = None
    seed: int | None = None
    base_url: str | None = None
    created: str | None = None
    extra: dict[str, JSON] = field(default_factory=dict)
    version: int = CASSETTE_FORMAT_VERSION

    def to_json(self) -> JSON:
        return {
            "version": self.version, "scenario": self.scenario,
            "recorded_with": self.recorded_with, "seed": self.seed, "base_url": self.base_url,
            "created": self.created, "extra": self.extra,
            "interactions": [i.to_json() for i in self.interactions],
        }  # fmt: skip

    @classmethod
    def from_json(cls, value: Any) -> Cassette:
        obj = _check(value, dict, "(top level)")
        version = _get(obj, "version", "", int)
        if version != CASSETTE_FORMAT_VERSION:
            raise _SchemaError(
                "version",
                f"format version {version} is not supported "
                f"(this nemokit reads version {CASSETTE_FORMAT_VERSION})",
            )
        items = _get(obj, "interactions", "", list)
        return cls(
            interactions=tuple(
                Interaction.from_json(item, f"interactions[{i}]") for i, item in enumerate(items)
            ),
            scenario=_get(obj, "scenario", "", str, optional=True),
            recorded_with=_get(obj, "recorded_with", "", str, optional=True),
            seed=_get(obj, "seed", "", int, optional=True),
            base_url=_get(obj, "base_url", "", str, optional=True),
            created=_get(obj, "created", "", str, optional=True),
            extra=_get(obj, "extra", "", dict, optional=True) or {},
        )


# --- text and files -----------------------------------------------------------------------------


def dumps_cassette(cassette: Cassette) -> str:
    """The cassette's text: stable for equal cassettes (sorted keys, no wall-clock time)."""
    return _render(cassette.to_json(), 0, None) + "\n"


def _render(value: JSON, depth: int, key: str | None) -> str:
    """JSON with indent 2 and sorted keys, but one line per SSE event, so a diff shows events."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if depth > 1 and len(compact := _dump(value)) <= _ONE_LINE and key != "events":
        return compact  # a short header map, query or body reads best on one line
    if isinstance(value, dict) and value:
        items = (f"{inner}{_dump(k)}: {_render(v, depth + 1, k)}" for k, v in sorted(value.items()))
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        one_line = key == "events"
        rows = (inner + (_dump(v) if one_line else _render(v, depth + 1, None)) for v in value)
        return "[\n" + ",\n".join(rows) + f"\n{pad}]"
    return _dump(value)


#: Containers whose JSON is at most this long are written on one line.
_ONE_LINE = 72


def _dump(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)


class _NotJson(ValueError):
    """``NaN``/``Infinity``, which Python's json module accepts and JSON does not."""


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


def loads_cassette(text: str, *, source: str = "<string>") -> Cassette:
    """Parse a cassette's text; any problem is a :class:`CassetteError` naming ``source``."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise CassetteError(f"not valid JSON ({error.msg})", file=source, where=where) from None
    except _NotJson as error:  # NaN/Infinity: the writer refuses them, so no cassette has them
        raise CassetteError(f"not valid JSON ({error} is not a JSON number)", file=source) from None
    except RecursionError:
        raise CassetteError("not valid JSON (nested too deeply)", file=source) from None
    try:
        return Cassette.from_json(data)
    except _SchemaError as error:
        raise CassetteError(error.message, file=source, where=error.path) from None


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Read a cassette file (UTF-8)."""
    name = os.fspath(path)
    try:
        text = pathlib.Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CassetteError("no such cassette", file=name) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CassetteError(f"cannot be read ({type(error).__name__})", file=name) from None
    return loads_cassette(text, source=name)


def save_cassette(cassette: Cassette, path: str | os.PathLike[str]) -> pathlib.Path:
    """Write a cassette atomically: a temporary file beside it, then a rename."""
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = dumps_cassette(cassette)
    except (TypeError, ValueError, RecursionError) as error:
        raise CassetteError(f"cannot be written: {error}", file=str(target)) from None
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return target
