"""Replay's fast path: the key built without headers, the lazily captured log, the bounded log."""

from __future__ import annotations

import asyncio
import re
import warnings

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.cassettes._cassette import Cassette, Interaction, JsonBody, RecordedRequest, RecordedResponse
from conformance.cassettes._redact import _PATTERNS, KINDS, PLACEHOLDER_RE, find_secrets
from conformance.cassettes._replay import (
    _MATCHING,
    _RENDER_ID,
    _SECRET_PREFIXES,
    _generic,
    _matched,
    build_router,
    live_request,
    request_key,
)
from nemokit._errors import ConfigurationError

TOKEN = "nmv_usr_Zq3kP9xY_secret"

_pieces = st.sampled_from(
    ["a", "x y", "nmv_usr_abcDEF123", "clm_claim_9", "anon_42", "<TOKEN_1>", "render_17_ab", "é"]
)
_text = st.lists(_pieces, max_size=3).map("".join)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["token", "claim_token", "task_id", "k"]), inner, max_size=3
        )
    ),
    max_leaves=8,
)


@st.composite
def _requests(draw: st.DrawFn) -> httpx.Request:
    path = "/api/" + draw(_text).replace(" ", "_").replace("é", "e")
    names = st.sampled_from(["q", "ct", "nmv_usr_k1"])
    params = draw(st.lists(st.tuples(names, _text), max_size=3))
    bearer = draw(_text).replace("é", "e") or TOKEN
    headers = {"authorization": f"Bearer {bearer}", "x-client-id": "client-123"}
    kind = draw(st.sampled_from(["none", "json", "text", "binary", "multipart"]))
    method = draw(st.sampled_from(["GET", "POST", "delete"]))
    url = httpx.URL("http://h" + path, params=params)
    if kind == "json":
        return httpx.Request(method, url, headers=headers, json=draw(_json))
    if kind == "text":
        headers["content-type"] = "text/plain"
        return httpx.Request(method, url, headers=headers, content=draw(_text).encode())
    if kind == "binary":
        headers["content-type"] = "video/mp4"
        return httpx.Request(method, url, headers=headers, content=b"\x00\x01" + draw(st.binary()))
    if kind == "multipart":
        files = {"file": (draw(_text) or "f.mp4", b"\x00data", "video/mp4")}
        return httpx.Request(method, url, headers=headers, data={"token": TOKEN}, files=files)
    return httpx.Request(method, url, headers=headers)


@given(_requests())
def test_the_key_built_without_headers_is_the_key_of_the_full_capture(
    request: httpx.Request,
) -> None:
    request.read()
    assert request_key(_matched(request)) == request_key(live_request(request))


@given(st.lists(_pieces | st.text(max_size=6), max_size=4).map("".join))
def test_the_generic_shortcut_gives_what_the_full_substitution_gives(text: str) -> None:
    assert _generic(text) == _RENDER_ID.sub("<RENDER_ID>", _MATCHING.text(text))


def test_every_secret_pattern_starts_with_a_prefix_the_shortcut_looks_for() -> None:
    # _generic skips the substitutions when none of its markers is in the text: a new kind of
    # secret in _redact must bring its prefix (or this shortcut must go).
    assert KINDS == ("TOKEN", "CLAIM", "CLIENT_ID", "USER_ID")
    for pattern in _PATTERNS.values():
        assert any(re.escape(prefix) in pattern.pattern for prefix in _SECRET_PREFIXES)
    assert PLACEHOLDER_RE.pattern.startswith("<")


def _cassette(count: int) -> Cassette:
    return Cassette(
        interactions=tuple(
            Interaction(
                RecordedRequest("GET", f"/s/{i}", headers={"authorization": "Bearer <TOKEN_1>"}),
                RecordedResponse(200, body=JsonBody({"i": i})),
            )
            for i in range(count)
        )
    )


def test_the_log_captures_each_request_as_sent_and_redacted_when_read() -> None:
    router = build_router(_cassette(2))
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    sent = client.build_request("GET", "http://h/s/0", headers={"Authorization": f"Bearer {TOKEN}"})
    assert client.send(sent).json() == {"i": 0}
    sent.headers["Authorization"] = "Bearer changed-after-sending"  # an auth flow might
    entry = router.log[0]
    assert entry.request.headers["authorization"] == "Bearer <TOKEN>"
    assert entry.request.path == "/s/0"
    assert (entry.index, entry.source) == (0, "cassette")
    assert find_secrets(repr(router.log)) == []
    assert entry.request is router.log[0].request  # captured once, then kept


def test_the_log_keeps_the_last_log_cap_entries_and_stats_count_them_all() -> None:
    router = build_router(_cassette(5), log_cap=3)
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    for i in range(5):
        client.get(f"http://h/s/{i}")
    assert [entry.index for entry in router.log] == [2, 3, 4]
    assert router.stats.requests == router.stats.replayed == 5


def test_a_log_cap_below_one_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="log_cap"):
        build_router(_cassette(1), log_cap=0)


def test_a_sync_handler_recording_through_an_async_transport_says_what_to_use() -> None:
    class AsyncOnly(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={})

    router = build_router(Cassette(), mode="all", real=AsyncOnly())
    client = httpx.Client(transport=httpx.MockTransport(router.handler))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the coroutine is closed, not leaked
        with pytest.raises(ConfigurationError, match="async_handler"):
            client.get("http://h/s/0")


def test_the_async_handler_answers_from_the_cassette() -> None:
    router = build_router(_cassette(1))

    async def fetch() -> object:
        transport = httpx.MockTransport(router.async_handler)
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get("http://h/s/0")).json()

    assert asyncio.run(fetch()) == {"i": 0}
    assert [entry.source for entry in router.log] == ["cassette"]
