"""The recorded values of a cassette: events, requests, responses, interactions, the cassette.

Frozen values, each with ``to_json`` and a checking ``from_json`` (a field of the wrong shape is
an error naming its JSON path). Bodies are in :mod:`._bodies`; the text and files in
:mod:`._cassette`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._bodies import Body, body_from_json, body_to_json
from ._cassette_schema import JSON, _check, _get, _SchemaError, _str_map

#: The version written into every cassette; a loader refuses any other.
CASSETTE_FORMAT_VERSION = 1


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
