"""HAR 1.2 in and out: browser DevTools recordings as cassettes, and cassettes as HAR.

:func:`cassette_from_har` reads a HAR (an untrusted file: every field is checked, nothing in it
is run) into a cassette through the recorder's own capture and redaction, so an imported
cassette keeps the same headers, body forms and placeholders as a recorded one. A
``text/event-stream`` response becomes events, cut into blocks as the recorder cuts them; a HAR
has no time per event, so they all get ``t = 0``. An entry whose request never got an answer
(status 0) is skipped and counted.

:func:`har_from_cassette` writes HAR 1.2 (for a browser, WireMock or Hoverfly). Placeholders
stay placeholders; a stream's events are the response text; a cut stream is marked with the
custom field ``_cut`` (HAR allows fields starting with an underscore).

A bad HAR is a :class:`~conformance.cassettes._cassette.CassetteError` naming the file and the place:
``line 3, column 7`` for broken JSON, ``log.entries[2].request`` for a missing or wrong field.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import http
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from ._capture import RESPONSE_HEADERS, BodySink, capture_body, capture_request
from ._cassette import (
    BinaryBody,
    Cassette,
    CassetteError,
    Interaction,
    JsonBody,
    MultipartBody,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    TextBody,
)
from ._cassette_schema import _check, _get, _SchemaError
from ._redact import Redactor
from ._tee import BlockSplitter

__all__ = ["HarImport", "cassette_from_har", "har_from_cassette"]

#: The HAR versions read (1.2 readers read 1.1 files) and the one written.
_VERSIONS = ("1.1", "1.2")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True, slots=True)
class HarImport:
    """An imported cassette, and how many entries were left out (no answer: status 0)."""

    cassette: Cassette
    skipped: int


# --- HAR → cassette -----------------------------------------------------------------------------


def cassette_from_har(text: str, *, source: str = "<string>") -> HarImport:
    """A redacted cassette from a HAR's text; any problem is a CassetteError naming ``source``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise CassetteError(f"not valid JSON ({error.msg})", file=source, where=where) from None
    except RecursionError:
        raise CassetteError("not valid JSON (nested too deeply)", file=source) from None
    try:
        return _read(data)
    except _SchemaError as error:
        raise CassetteError(error.message, file=source, where=error.path) from None


def _read(data: Any) -> HarImport:
    log = _get(_check(data, dict, "(top level)"), "log", "", dict)
    version = _get(log, "version", "log", str)
    if version not in _VERSIONS:
        raise _SchemaError("log.version", f"HAR {version!r} is not read (HAR 1.2 and 1.1 are)")
    entries = _get(log, "entries", "log", list)
    redactor, interactions, skipped = Redactor(), [], 0
    starts: list[float | None] = []
    for index, entry in enumerate(entries):
        where = f"log.entries[{index}]"
        entry = _check(entry, dict, where)
        request = _request(_get(entry, "request", where, dict), f"{where}.request", redactor)
        raw = _get(entry, "response", where, dict)
        if _get(raw, "status", f"{where}.response", int) == 0:
            skipped += 1  # the browser never got an answer (blocked, cancelled)
            continue
        response = _response(raw, f"{where}.response", redactor)
        interactions.append(Interaction(request, response))
        starts.append(_started(entry, where))
    first = min((s for s in starts if s is not None), default=None)
    timed = tuple(
        Interaction(
            i.request,
            i.response,
            at=round(s - first, 6) if s is not None and first is not None else None,
        )
        for i, s in zip(interactions, starts, strict=True)
    )
    creator = log.get("creator")
    name = creator.get("name") if isinstance(creator, dict) else None
    extra: dict[str, Any] = {"imported_from": "har"}
    if isinstance(name, str):
        extra["har_creator"] = redactor.text(name)[:100]
    return HarImport(Cassette(interactions=timed, extra=extra, recorded_with=_version()), skipped)


def _pairs(value: Any, where: str) -> list[tuple[str, str]]:
    out = []
    for i, item in enumerate(_check(value, list, where)):
        at = f"{where}[{i}]"
        obj = _check(item, dict, at)
        out.append((_get(obj, "name", at, str), _get(obj, "value", at, str)))
    return out


#: What RFC 9110 allows in a field name (a token) and what it never allows in a value.
_FIELD_NAME = re.compile(r"^:?[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _headers(value: Any, where: str) -> list[tuple[str, str]]:
    pairs = _pairs(value, where)
    for i, (name, text) in enumerate(pairs):
        if not _FIELD_NAME.match(name):
            raise _SchemaError(f"{where}[{i}].name", "not a header name (RFC 9110 token)")
        if _BAD_VALUE.search(text):
            raise _SchemaError(f"{where}[{i}].value", "a header value with control characters")
    return pairs


def _request(raw: dict[str, Any], where: str, redactor: Redactor) -> RecordedRequest:
    method = _get(raw, "method", where, str)
    url = _get(raw, "url", where, str)
    headers = [(k, v) for k, v in _headers(_get(raw, "headers", where, list), f"{where}.headers")
               if not k.startswith(":")]  # fmt: skip  # HTTP/2 pseudo-headers are not headers
    post = _get(raw, "postData", where, dict, optional=True)
    content = b""
    if post is not None:
        text = _get(post, "text", f"{where}.postData", str, optional=True)
        if text is not None:
            content = text.encode("utf-8", "surrogatepass")
        elif (params := post.get("params")) is not None:
            pairs = _pairs(params, f"{where}.postData.params")
            content = urlencode(pairs).encode()
        mime = _get(post, "mimeType", f"{where}.postData", str, optional=True)
        if mime and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("content-type", mime))
    try:
        request = httpx.Request(method, url, headers=headers, content=content)
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError) as error:
        raise _SchemaError(where, f"not a request httpx can read ({error})") from None
    if request.url.scheme not in ("http", "https"):
        raise _SchemaError(
            f"{where}.url", f"not an http(s) URL ({request.url.scheme or 'no scheme'})"
        )
    sink = BodySink()
    sink.feed(content)
    return capture_request(request, sink, redactor)


def _response(raw: dict[str, Any], where: str, redactor: Redactor) -> RecordedResponse:
    status = _get(raw, "status", where, int)
    if not 100 <= status <= 599:
        raise _SchemaError(f"{where}.status", f"{status} is not an HTTP status")
    headers = _headers(_get(raw, "headers", where, list), f"{where}.headers")
    content = _get(raw, "content", where, dict)
    mime = _get(content, "mimeType", f"{where}.content", str, optional=True) or ""
    data = _content_bytes(content, f"{where}.content")
    kept = {k.lower(): v for k, v in headers if k.lower() in RESPONSE_HEADERS}
    if mime:
        kept.setdefault("content-type", mime)
    cut = bool(raw.get("_cut") is True)
    if "text/event-stream" in (kept.get("content-type") or mime):
        splitter = BlockSplitter()
        blocks = [*splitter.feed(data), splitter.flush()]
        events = tuple(
            StreamEvent(t=0.0, raw=redactor.text(b.decode("utf-8", "replace"))) for b in blocks if b
        )
        return RecordedResponse(status, redactor.headers(kept), None, events, cut=cut)
    sink = BodySink()
    sink.feed(data)
    body = capture_body(sink, kept.get("content-type"), redactor)
    return RecordedResponse(status, redactor.headers(kept), body, cut=cut)


def _content_bytes(content: dict[str, Any], where: str) -> bytes:
    text: str | None = _get(content, "text", where, str, optional=True)
    if text is None:
        return b""
    encoding: str | None = _get(content, "encoding", where, str, optional=True)
    if encoding is None:
        return text.encode("utf-8", "surrogatepass")
    if encoding.lower() != "base64":
        raise _SchemaError(f"{where}.encoding", f"{encoding!r} is not read (base64 is)")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _SchemaError(f"{where}.text", "not valid base64") from None


def _started(entry: dict[str, Any], where: str) -> float | None:
    text = _get(entry, "startedDateTime", where, str, optional=True)
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _SchemaError(
            f"{where}.startedDateTime", f"not an ISO 8601 time ({text[:40]!r})"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return (when - _EPOCH).total_seconds()


# --- cassette → HAR -----------------------------------------------------------------------------


def har_from_cassette(cassette: Cassette) -> dict[str, Any]:
    """HAR 1.2 for ``cassette`` (a JSON value); times count from 1970 plus each ``at``."""
    base = (cassette.base_url or "http://nemo.invalid").rstrip("/")
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "nemokit", "version": _version()},
            "pages": [],
            "entries": [_entry(base, i) for i in cassette.interactions],
        }
    }


def _entry(base: str, interaction: Interaction) -> dict[str, Any]:
    request, response = interaction.request, interaction.response
    start = _EPOCH + dt.timedelta(seconds=interaction.at or 0.0)
    took = (response.events[-1].t if response.events else 0.0) * 1000
    query = [{"name": k, "value": v} for k, values in request.query.items() for v in values]
    url = base + request.path + ("?" + urlencode([(q["name"], q["value"]) for q in query])
                                 if query else "")  # fmt: skip
    har_request: dict[str, Any] = {
        "method": request.method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": _header_list(request.headers), "queryString": query,
        "headersSize": -1, "bodySize": -1,
    }  # fmt: skip
    post = _post_data(request)
    if post is not None:
        har_request["postData"] = post
    entry: dict[str, Any] = {
        "startedDateTime": start.isoformat().replace("+00:00", "Z"),
        "time": took,
        "request": har_request,
        "response": _har_response(response),
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": took},
    }
    return entry


def _header_list(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in headers.items()]


def _post_data(request: RecordedRequest) -> dict[str, Any] | None:
    body, mime = request.body, request.headers.get("content-type", "")
    if isinstance(body, JsonBody):
        return {
            "mimeType": mime or "application/json",
            "text": json.dumps(body.value, ensure_ascii=False),
        }
    if isinstance(body, TextBody):
        return {"mimeType": mime or "text/plain", "text": body.text}
    if isinstance(body, MultipartBody):  # the parts' bytes were never kept: names only
        params = [
            {"name": p.name, "fileName": p.filename or "", "contentType": p.content_type or ""}
            for p in body.parts
        ]
        return {"mimeType": mime or "multipart/form-data", "params": params, "text": ""}
    if isinstance(body, BinaryBody):
        text = body.data.decode("latin-1") if body.data is not None else ""
        return {"mimeType": mime or "application/octet-stream", "text": text}
    return None


def _har_response(response: RecordedResponse) -> dict[str, Any]:
    mime = response.headers.get("content-type", "")
    content: dict[str, Any] = {"mimeType": mime}
    body = response.body
    if response.events is not None:
        text = "".join(event.raw for event in response.events)
        content.update(size=len(text.encode()), text=text)
    elif isinstance(body, JsonBody):
        text = json.dumps(body.value, ensure_ascii=False)
        content.update(size=len(text.encode()), text=text)
    elif isinstance(body, TextBody):
        content.update(size=len(body.text.encode()), text=body.text)
    elif isinstance(body, BinaryBody):
        content["size"] = body.size
        if body.data is not None:
            content.update(text=base64.b64encode(body.data).decode(), encoding="base64")
        else:
            content["comment"] = f"{body.size} bytes, sha256 {body.sha256} (not kept)"
    else:
        content["size"] = 0
    try:
        reason = http.HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    out: dict[str, Any] = {
        "status": response.status, "statusText": reason, "httpVersion": "HTTP/1.1",
        "cookies": [], "headers": _header_list(response.headers), "content": content,
        "redirectURL": response.headers.get("location", ""), "headersSize": -1, "bodySize": -1,
    }  # fmt: skip
    if response.cut:
        out["_cut"] = True
    return out


def _version() -> str:
    from nemokit import __version__

    return __version__
