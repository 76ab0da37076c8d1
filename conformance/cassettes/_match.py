"""Matching a request to a cassette: the index key, and what differed on a miss.

A request's key is (method, path, query, body fingerprint) with every secret, placeholder and
render id written as its bare kind (``<TOKEN>``), so a recording matches a live request with
other tokens; headers and the host are not part of it. On a miss, :func:`differences` names what
differed from the nearest recorded request (:func:`_nearest`: same method and path first).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeAlias

import httpx

from nemokit import contract

from ._cassette import BinaryBody, JsonBody, MultipartBody, RecordedRequest, TextBody
from ._record import BodySink, capture_body, capture_request
from ._redact import Redactor

Key: TypeAlias = tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...], str]


# --- the index ----------------------------------------------------------------------------------

_MATCHING = Redactor.for_matching()
#: The prefixes of the secrets the matching redactor finds by pattern (tokens, claim tokens,
#: user ids); ``test_replay_fast_path`` checks this against ``KINDS``.
_SECRET_PREFIXES = (contract.TOKEN_PREFIX, contract.CLAIM_TOKEN_PREFIX, contract.USER_ID_PREFIX)
#: Render ids are made by the client (wall time and a random suffix in nemokit's ``Core``), so
#: they legitimately differ between a recording and its replay: matched as one kind, like secrets.
_RENDER_ID = re.compile(r"(?<![A-Za-z0-9_])render_[A-Za-z0-9_\-]+")


#: Text without any of these is its own generic form: every secret pattern of the matching
#: redactor starts with one of the prefixes, every placeholder with "<", a render id "render_".
_MARKERS = re.compile("|".join(re.escape(marker) for marker in (*_SECRET_PREFIXES, "<", "render_")))


def _generic(text: str) -> str:
    """``text`` as the index sees it: secrets, placeholders and render ids as bare kinds."""
    if _MARKERS.search(text) is None:
        return text  # the common path: nothing to replace, and no regex substitution run
    return _RENDER_ID.sub("<RENDER_ID>", _MATCHING.text(text))


def request_key(request: RecordedRequest) -> Key:
    """The index key of a recorded or live request, placeholders and secrets as bare kinds."""
    query = tuple(
        sorted(
            (_MATCHING.text(k), tuple(_MATCHING.text(v) for v in vs))
            for k, vs in request.query.items()
        )
    )
    return (request.method.upper(), _generic(request.path), query, _fingerprint(request))


def _fingerprint(request: RecordedRequest) -> str:
    body = request.body
    if isinstance(body, JsonBody):
        text = json.dumps(_MATCHING.json(body.value), sort_keys=True, separators=(",", ":"))
        return "json:" + _RENDER_ID.sub("<RENDER_ID>", text)
    if isinstance(body, TextBody):
        return "text:" + _generic(body.text)
    if isinstance(body, BinaryBody):
        return f"binary:{body.size}:{body.sha256}"
    if isinstance(body, MultipartBody):
        parts = [(_MATCHING.text(p.name), p.filename and _MATCHING.text(p.filename),
                  p.content_type, p.size, p.sha256) for p in body.parts]  # fmt: skip
        return "multipart:" + json.dumps(parts)
    return ""


def _matched(request: httpx.Request) -> RecordedRequest:
    """The parts of a live request that make its key, redacted exactly as ``live_request`` does.

    Headers are not part of the key, so they are left out (redacting them was most of the cost
    of a replayed request); the query is parsed only when there is one.
    """
    query: dict[str, list[str]] = {}
    if request.url.query:
        for key, value in request.url.params.multi_items():
            query.setdefault(_MATCHING.text(key), []).append(_MATCHING.text(value))
    content, body = request.content, None
    if content:
        sink = BodySink()
        sink.feed(content)
        body = capture_body(sink, request.headers.get("content-type"), _MATCHING)
    # The path is left as sent: request_key redacts it (``_generic``), and redacting is idempotent.
    return RecordedRequest(request.method.upper(), request.url.path, query, body=body)


def live_request(request: httpx.Request) -> RecordedRequest:
    """A live request as the index sees it (its body must have been read)."""
    sink = BodySink()
    sink.feed(request.content)
    return capture_request(request, sink, Redactor.for_matching())


# --- what differed ------------------------------------------------------------------------------

_MAX_DIFFS = 5


def differences(recorded: RecordedRequest, live: RecordedRequest) -> tuple[str, ...]:
    """What differs between two requests, as short phrases (values are already redacted)."""
    a, b = request_key(recorded), request_key(live)
    found: list[str] = []
    if a[0] != b[0]:
        found.append(f"method {a[0]} recorded, {b[0]} sent")
    if a[1] != b[1]:
        found.append(f"path {a[1]} recorded, {b[1]} sent")
    recorded_query, live_query = dict(a[2]), dict(b[2])
    for name in sorted(recorded_query.keys() | live_query.keys()):
        if recorded_query.get(name) != live_query.get(name):
            found.append(f"query key {name!r}: {_show(recorded_query.get(name))} recorded, "
                         f"{_show(live_query.get(name))} sent")  # fmt: skip
    if a[3] != b[3]:
        found.extend(_body_differences(recorded, live))
    return tuple(found[:_MAX_DIFFS]) or (
        "the same request: all its recorded answers were already played "
        "(allow_playback_repeats=False)",
    )


def _body_differences(recorded: RecordedRequest, live: RecordedRequest) -> list[str]:
    if isinstance(recorded.body, JsonBody) and isinstance(live.body, JsonBody):
        paths: list[str] = []
        _json_diff(_MATCHING.json(recorded.body.value), _MATCHING.json(live.body.value), "", paths)
        return [f"body key {path}" for path in paths] or ["body"]
    kinds = (_kind(recorded.body), _kind(live.body))
    if kinds[0] != kinds[1]:
        return [f"body: {kinds[0]} recorded, {kinds[1]} sent"]
    return [f"body ({kinds[0]}) differs"]


def _json_diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if len(out) >= _MAX_DIFFS:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            where = f"{path}.{key}" if path else key
            if key not in a or key not in b:
                out.append(f"{where} {'only sent' if key in b else 'only recorded'}")
            else:
                _json_diff(a[key], b[key], where, out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _json_diff(x, y, f"{path}[{i}]", out)
    elif a != b:
        out.append(f"{path or '(whole body)'}: {_show(a)} recorded, {_show(b)} sent")


def _show(value: Any, limit: int = 40) -> str:
    text = "absent" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(body: object) -> str:
    return type(body).__name__.removesuffix("Body").lower() if body is not None else "no body"


def _nearest(keys: list[Key], live: Key) -> int | None:
    """The closest recorded request: same method and path first, then fewest differing parts."""

    def distance(i: int) -> tuple[bool, int, int]:
        other = keys[i]
        query_a, query_b = dict(other[2]), dict(live[2])
        query = sum(query_a.get(k) != query_b.get(k) for k in query_a.keys() | query_b.keys())
        return (other[:2] != live[:2], query + (other[3] != live[3]), i)

    return min(range(len(keys)), key=distance) if keys else None
