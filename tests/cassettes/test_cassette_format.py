"""The cassette format: round trips, stable diff-friendly text, atomic saves, and bad files."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.cassettes._cassette import (
    CASSETTE_FORMAT_VERSION,
    BinaryBody,
    Cassette,
    CassetteError,
    Interaction,
    JsonBody,
    MultipartBody,
    MultipartPart,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    TextBody,
    dumps_cassette,
    load_cassette,
    loads_cassette,
    save_cassette,
)
from nemokit._errors import NemoError


def _sample() -> Cassette:
    part = MultipartPart("files", "a.mp4", "video/mp4", 3, "ab" * 32)
    return Cassette(
        scenario="quick_edit",
        recorded_with="0.1.0",
        seed=7,
        base_url="http://mock",
        extra={"note": "导出"},
        interactions=(
            Interaction(
                RecordedRequest(
                    "POST", "/api/auth/anonymous-token", {}, {"x-client-id": "<CLIENT_ID_1>"}
                ),
                RecordedResponse(
                    200,
                    {"content-type": "application/json"},
                    JsonBody({"data": {"token": "<TOKEN_1>"}}),
                ),
                at=0.0,
            ),
            Interaction(
                RecordedRequest(
                    "POST", "/run_sse", {"a": ["1", "2"]}, {}, JsonBody({"x": [1, None]})
                ),
                RecordedResponse(
                    200,
                    {"content-type": "text/event-stream"},
                    events=(
                        StreamEvent(0.5, 'data: {"a": 1}\n\n'),
                        StreamEvent(15.0, ": ping\r\n\r\n"),
                    ),
                    cut=True,
                ),
                at=1.25,
            ),
            Interaction(
                RecordedRequest("POST", "/upload", body=MultipartBody((part,))),
                RecordedResponse(200, body=BinaryBody(4, "cd" * 32, b"\x00\x01\x02\x03")),
            ),
            Interaction(
                RecordedRequest("GET", "/big", body=TextBody("plain")),
                RecordedResponse(200, body=BinaryBody(10**9, "ef" * 32), client_closed=True),
            ),
        ),
    )


def test_every_kind_of_value_survives_a_round_trip_through_text() -> None:
    cassette = _sample()
    assert loads_cassette(dumps_cassette(cassette)) == cassette


def test_the_text_is_stable_sorted_and_versioned() -> None:
    text = dumps_cassette(_sample())
    assert text == dumps_cassette(_sample())
    data = json.loads(text)
    assert data["version"] == CASSETTE_FORMAT_VERSION == 1
    assert list(data) == sorted(data)
    assert text.endswith("\n")
    assert "导出" in text


def test_each_sse_event_sits_on_its_own_line() -> None:
    lines = dumps_cassette(_sample()).splitlines()
    event_lines = [line.strip().rstrip(",") for line in lines if '"raw":' in line]
    assert [json.loads(line)["t"] for line in event_lines] == [0.5, 15.0]


@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=10,
    ),
    raw=st.text(),
    t=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_any_json_body_and_event_text_round_trip(value: Any, raw: str, t: float) -> None:
    cassette = Cassette(
        interactions=(
            Interaction(
                RecordedRequest("POST", "/x", body=JsonBody(value)),
                RecordedResponse(200, events=(StreamEvent(t, raw),)),
            ),
        )
    )
    assert loads_cassette(dumps_cassette(cassette)) == cassette


def test_save_writes_atomically_and_leaves_no_temporary_file(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "deep" / "c.json"
    save_cassette(_sample(), target)
    assert load_cassette(target) == _sample()
    save_cassette(Cassette(scenario="second"), target)
    assert load_cassette(target).scenario == "second"
    assert [p.name for p in target.parent.iterdir()] == ["c.json"]


def test_a_failed_save_keeps_the_old_file(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "c.json"
    save_cassette(_sample(), target)
    before = target.read_bytes()
    with pytest.raises(CassetteError, match=r"c\.json: cannot be written"):
        save_cassette(Cassette(extra={"bad": float("nan")}), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


# --- bad cassettes ------------------------------------------------------------------------------


def _edit(change: Any) -> str:
    data = json.loads(dumps_cassette(_sample()))
    change(data)
    return json.dumps(data, indent=2)


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(data: Any) -> None:
        for step in path[:-1]:
            data = data[step]
        data[path[-1]] = value

    return change


def _delete(path: tuple[Any, ...]) -> Any:
    def change(data: Any) -> None:
        for step in path[:-1]:
            data = data[step]
        del data[path[-1]]

    return change


BAD = [
    ("wrong version", _edit(_set(("version",), 2)), "at version: format version 2"),
    ("no version", _edit(_delete(("version",))), "at version: missing"),
    ("top level list", "[1, 2]", "at (top level): expected an object, found list"),
    (
        "missing status",
        _edit(_delete(("interactions", 3, "response", "status"))),
        "at interactions[3].response.status: missing",
    ),
    (
        "status as text",
        _edit(_set(("interactions", 1, "response", "status"), "200")),
        "at interactions[1].response.status: expected an integer, found str",
    ),
    (
        "impossible status",
        _edit(_set(("interactions", 0, "response", "status"), 999)),
        "at interactions[0].response.status: 999 is not an HTTP status",
    ),
    (
        "unknown body kind",
        _edit(_set(("interactions", 0, "request", "body"), {"yaml": "x"})),
        "at interactions[0].request.body: expected one of json, text, binary, multipart",
    ),
    (
        "bad base64",
        _edit(_set(("interactions", 2, "response", "body", "binary", "base64"), "%%%")),
        "at interactions[2].response.body.binary.base64: not valid base64",
    ),
    (
        "size disagrees with bytes",
        _edit(_set(("interactions", 2, "response", "body", "binary", "size"), 5)),
        "at interactions[2].response.body.binary.size: says 5 but base64 holds 4 bytes",
    ),
    (
        "negative event time",
        _edit(_set(("interactions", 1, "response", "events", 1, "t"), -1)),
        "at interactions[1].response.events[1].t: a time cannot be negative",
    ),
    (
        "events not a list",
        _edit(_set(("interactions", 1, "response", "events"), "data: x")),
        "at interactions[1].response.events: expected a list, found str",
    ),
    (
        "query value not a list",
        _edit(_set(("interactions", 1, "request", "query", "a"), "1")),
        "at interactions[1].request.query.a: expected a list, found str",
    ),
    (
        "header value a number",
        _edit(_set(("interactions", 0, "request", "headers", "x-client-id"), 7)),
        "at interactions[0].request.headers.x-client-id: expected a string, found int",
    ),
    (
        "interaction not an object",
        _edit(_set(("interactions", 2), [])),
        "at interactions[2]: expected an object, found list",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_cassette_names_the_file_and_the_place(
    tmp_path: pathlib.Path, text: str, expected: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    assert str(caught.value).startswith(f"{path} at ")
    assert expected in str(caught.value)
    assert isinstance(caught.value, NemoError)
    assert caught.value.__suppress_context__  # no KeyError or TypeError chained underneath


def test_truncated_json_gives_line_and_column(tmp_path: pathlib.Path) -> None:
    text = dumps_cassette(_sample())
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(CassetteError) as caught:
        load_cassette(path)
    lines = text[: len(text) // 2].splitlines()
    assert caught.value.where is not None
    assert caught.value.where.startswith("line ")
    assert int(caught.value.where.split()[1].rstrip(",")) >= len(lines) - 1
    assert str(path) in str(caught.value)
    assert "not valid JSON" in str(caught.value)


def test_a_missing_or_unreadable_file_is_a_cassette_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CassetteError, match=r"nope\.json: no such cassette"):
        load_cassette(tmp_path / "nope.json")
    (tmp_path / "latin.json").write_bytes(b'{"scenario": "\xff"}')
    with pytest.raises(CassetteError, match=r"latin\.json: cannot be read \(UnicodeDecodeError\)"):
        load_cassette(tmp_path / "latin.json")


def test_optional_fields_may_be_left_out_by_hand() -> None:
    minimal = {"version": 1, "interactions": [
        {"request": {"method": "GET", "path": "/x"}, "response": {"status": 204}}
    ]}  # fmt: skip
    cassette = loads_cassette(json.dumps(minimal))
    only = cassette.interactions[0]
    assert only.request.query == {}
    assert only.request.body is None
    assert only.response.events is None
    assert not only.response.cut
    assert only.at is None
