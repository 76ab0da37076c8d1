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

This module holds the text and files; the values are in :mod:`._interactions` and
:mod:`._bodies`, the field checks and :class:`CassetteError` in :mod:`._cassette_schema`, and all
are importable from here.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
from typing import Any

from ._bodies import (
    BinaryBody,
    Body,
    JsonBody,
    MultipartBody,
    MultipartPart,
    TextBody,
)
from ._bodies import body_from_json as body_from_json
from ._bodies import body_to_json as body_to_json
from ._cassette_schema import JSON, CassetteError, _SchemaError
from ._interactions import (
    CASSETTE_FORMAT_VERSION,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)

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
