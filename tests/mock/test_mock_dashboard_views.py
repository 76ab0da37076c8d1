"""The dashboard's side of the admin API: its static files, the masked views, the journal's
cursor and the events a stream sent (the browser tests are in tests/dashboard/)."""

from __future__ import annotations

import json

import pytest
from _mockapi import Api

from mockserver import MockServer, StreamCut
from mockserver._config import MockConfig
from mockserver.http._stream_log import Comment, Data, _Reader, classify
from nemokit import contract

UI_FILES = (
    "index.html",
    "style.css",
    "api.js",
    "dom.js",
    "main.js",
    "requests.js",
    "detail.js",
    "faults.js",
    "clock.js",
    "sessions.js",
)


def test_the_page_and_its_files_are_served_from_the_package_with_a_strict_policy() -> None:
    api = Api()
    page = api.get("/__admin/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert 'href="style.css"' in page.text
    assert 'src="main.js"' in page.text
    for name in UI_FILES:
        answer = api.get(f"/__admin/ui/{name}")
        assert answer.status_code == 200, name
        assert answer.content
    assert api.get("/__admin/ui/main.js").headers["content-type"].startswith("text/javascript")
    # Every module the page imports is one it is served.
    for name in UI_FILES:
        if name.endswith(".js"):
            for imported in api.get(f"/__admin/ui/{name}").text.split('from "./')[1:]:
                assert imported.split('"')[0] in UI_FILES, (name, imported)


def test_the_bare_path_redirects_and_unknown_files_are_404() -> None:
    api = Api()
    assert (
        api.get("/__admin/ui", follow_redirects=False).headers["location"].endswith("/__admin/ui/")
    )
    for name in ("missing.js", "..%2F_admin.py", "index.py", "README"):
        assert api.get(f"/__admin/ui/{name}").status_code == 404, name


def test_no_admin_means_no_dashboard() -> None:
    api = Api(admin=False)
    for path in ("/__admin/ui/", "/__admin/ui/main.js", "/__admin/view/requests"):
        answer = api.get(path)
        assert answer.status_code == 404, path
        assert "no such endpoint" in answer.text


def test_the_views_mask_every_token_and_the_cursor_returns_only_new_requests() -> None:
    api = Api()
    token, sid = api.user("masked-client")
    api.state(token, sid)
    api.get(f"/workspace/claim?token={token}")  # a token in a query string, too
    api.post(contract.PATH_SESSION, token=token, json={"task_name": token})  # and in a body
    listed = api.get("/__admin/view/requests?after=0")
    assert token not in listed.text
    rows = listed.json()["requests"]
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    # Whose each request is, by its token (only the token request names its client).
    assert {r["client_id"] for r in rows if r["path"] != "/workspace/claim"} == {"masked-client"}
    assert any(r["session"] == sid for r in rows)
    for row in rows:
        detail = api.get(f"/__admin/view/requests/{row['seq']}")
        assert token not in detail.text
    authorized = api.get(f"/__admin/view/requests/{rows[1]['seq']}").json()
    [value] = [v for k, v in authorized["headers"] if k == "authorization"]
    assert value == f"Bearer •••masked••• ({len(token)} characters)"
    # The raw journal is unchanged: it is the test instrument.
    assert token in api.get("/__admin/requests").text

    last = listed.json()["last"]
    assert api.get(f"/__admin/view/requests?after={last}").json()["requests"] == []
    api.credits(token)
    fresh = api.get(f"/__admin/view/requests?after={last}").json()["requests"]
    assert [r["path"] for r in fresh] == [contract.PATH_CREDITS]
    assert [e["path"] for e in api.get(f"/__admin/requests?after={last}").json()["requests"]] == [
        contract.PATH_CREDITS
    ]


@pytest.mark.parametrize("bad", ["-1", "x", "1.5"])
def test_a_bad_cursor_is_a_400_naming_it(bad: str) -> None:
    api = Api()
    for path in ("/__admin/view/requests", "/__admin/requests"):
        answer = api.get(f"{path}?after={bad}")
        assert answer.status_code == 400
        assert "after must be" in answer.json()["error"]
    assert api.get("/__admin/view/requests/99").status_code == 404


def _turn_events(api: Api, **fault: object) -> list[dict[str, object]]:
    token, sid = api.user()
    api.upload(token, sid, ("clip.mp4", b"\x00" * 100))
    if fault:
        api.server.faults.add(path=contract.PATH_RUN_SSE, **fault)
    if fault.get("cut_after") is not None:
        with pytest.raises(StreamCut):  # the cut breaks the connection, in process too
            api.turn(token, sid, 'add the title "Hi"')
    else:
        api.turn(token, sid, 'add the title "Hi"')
    [entry] = api.server.journal.entries(path=contract.PATH_RUN_SSE)
    shown = api.get(f"/__admin/view/requests/{entry.seq}").json()
    assert token not in json.dumps(shown)
    events: list[dict[str, object]] = shown["events"]
    return events


@pytest.mark.parametrize("form", ["json", "empty", "comment"])
def test_a_turns_events_are_kept_in_order_with_virtual_times_and_heartbeat_form(form: str) -> None:
    api = Api(heartbeat_form=form, heartbeat_interval=2.0, partial_text=True, silent_rate=0.0)
    events = _turn_events(api)
    kinds = [e["kind"] for e in events]
    assert kinds[-1] == "end"
    assert kinds.index("tool_call") < kinds.index("tool_result") < kinds.index("partial")
    beats = [e for e in events if e["kind"] == "heartbeat"]
    assert beats
    assert {b["form"] for b in beats} == {form}
    times = [float(str(e["time"])) for e in events]
    assert times == sorted(times)
    assert times[-1] > times[0]


@pytest.mark.parametrize("framing", ["crlf", "multiline", "ids", "chunked"])
def test_the_events_read_the_same_under_every_framing(framing: str) -> None:
    plain = [e["kind"] for e in _turn_events(Api(seed=5, silent_rate=0.0))]
    framed = [e["kind"] for e in _turn_events(Api(seed=5, silent_rate=0.0, sse_framing=framing))]
    if framing == "ids":  # its keep-alive comment after every event
        framed = [k for k in framed if k != "comment"]
    assert framed == plain


def test_a_cut_stream_ends_in_a_cut_and_a_stall_starts_with_one() -> None:
    cut = _turn_events(Api(silent_rate=0.0), cut_after=1)
    assert [e["kind"] for e in cut if e["kind"] != "heartbeat"] == ["tool_call", "cut"]
    assert "stream cut" in str(cut[-1]["reason"])
    stalled = _turn_events(Api(silent_rate=0.0), stall=True)
    kinds = [e["kind"] for e in stalled]
    assert kinds[0] == "stall"
    assert kinds[-1] == "end"
    assert set(kinds[1:-1]) == {"heartbeat"}


def test_the_simple_dialect_is_read_too() -> None:
    events = _turn_events(Api(dialect="simple", silent_rate=0.0, partial_text=True))
    kinds = [e["kind"] for e in events]
    assert "tool_call" in kinds
    assert "tool_result" in kinds
    assert "partial" in kinds
    assert "text" not in kinds  # the simple dialect sends only the chunks


def test_classify_names_what_it_cannot_read_without_failing() -> None:
    assert classify(Comment("hello")) == {"kind": "comment", "text": "hello"}
    assert classify(Data("not json")) == {"kind": "event", "text": "not json"}
    assert classify(Data("[1]")) == {"kind": "event", "data": [1]}
    assert classify(Data('{"error": "boom"}'))["kind"] == "error"
    system = {"author": "system", "content": {"parts": [{"text": "Error: x"}]}}
    assert classify(Data(json.dumps(system)))["kind"] == "error"


def test_a_long_stream_keeps_a_bounded_list_and_counts_the_rest() -> None:
    api = Api(heartbeat_interval=0.5, silent_rate=0.0)
    events = _turn_events(api, stall=True)
    entry = api.server.journal.entries(path=contract.PATH_RUN_SSE)[0]
    assert len(events) == 500
    assert entry.events_dropped > 0


def test_the_session_view_shows_draft_uploads_turns_renders_and_credits() -> None:
    api = Api(silent_rate=0.0)
    token, sid = api.user()
    api.upload(token, sid, ("clip.mp4", b"\x00" * 100))
    api.turn(token, sid, 'add the title "Hi"')
    api.clock.advance(60)
    listed = api.get("/__admin/view/sessions").json()["sessions"]
    assert [(s["session_id"], s["uploads"], s["turns"]) for s in listed] == [(sid, 1, 1)]
    shown = api.get(f"/__admin/view/sessions/{sid}").json()
    assert shown["credits"] == api.credits(token)
    assert shown["draft"]["t"]
    assert shown["track_types"]["7"] == "text"
    assert [u["filename"] for u in shown["upload_list"]] == ["clip.mp4"]
    assert shown["turn_list"][0]["message"] == 'add the title "Hi"'
    assert api.get("/__admin/view/sessions/nope").status_code == 404
    config = api.get("/__admin/view/config").json()
    assert config["choices"]["dialect"] == ["adk", "simple"]
    assert config["config"]["dialect"] == "adk"


def test_the_server_object_still_reads_the_same() -> None:
    assert MockServer(MockConfig()).journal.get(1) is None


def test_the_reader_gives_the_same_items_however_the_bytes_are_split() -> None:
    wire = b'data: {"a": 1}\r\n\r\n: ping\r\rdata: x\ndata: y\n\ndata:\n\n: \xc3\xa9\n'
    whole = _Reader().feed(wire, final=True)
    # An empty ``data:`` is an event with empty data (the ``empty`` heartbeat form).
    assert whole == [Data('{"a": 1}'), Comment("ping"), Data("x\ny"), Data(""), Comment("é")]
    for size in (1, 2, 3, 7):
        reader = _Reader()
        items = [i for at in range(0, len(wire), size) for i in reader.feed(wire[at : at + size])]
        assert items + reader.feed(b"", final=True) == whole, size
