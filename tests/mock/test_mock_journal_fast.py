"""The journal's cheap paths: the contract code read from a body's first bytes, raw headers."""

from __future__ import annotations

import json
from typing import Any

from _mockapi import Api
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from mockserver import Journal
from mockserver.http._watch import code_of
from nemokit import contract

_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(['"code"', '{"code":1}', '"success":true', "}"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["code", "success", "data", "message"]), inner, max_size=3
        )
    ),
    max_leaves=6,
)
_bodies = st.dictionaries(st.sampled_from(["code", "success", "data", "message"]), _values)


def _full_parse(body: bytes) -> int | None:
    """What the journal noted before the shortcut: the code from the whole decoded body."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("code"), int):
        return int(data["code"])
    return 0 if data.get("success") is True else None


@given(_bodies | _values)
@example({"success": True, "code": 3})
@example({"success": True, "data": {"code": 7}})
@example({"code": 2001, "message": '"code":0'})
def test_the_code_read_from_a_rendered_body_is_the_code_a_full_parse_finds(value: Any) -> None:
    # Every body the mock sends is rendered by JSONResponse (compact) or json.dumps (spaced).
    for body in (bytes(JSONResponse(value).body), json.dumps(value).encode()):
        assert code_of(body) == _full_parse(body)


def test_the_journal_notes_the_code_of_a_success_and_of_an_error() -> None:
    api = Api()
    token, sid = api.user()
    api.state(token, sid)
    api.get(contract.PATH_STATE.format(sid="1234567890123456789"), token=token)
    first, second = api.server.journal.entries()[-2:]
    assert (first.status, first.code) == (200, 0)
    assert second.code is not None
    assert second.code != 0


def test_headers_read_as_text_pairs_in_order_with_duplicates() -> None:
    api = Api()
    sent = [("X-Dup", "one"), ("x-dup", "tw\xf6".encode()), ("Accept", "a/b")]
    api.get(contract.PATH_CREDITS, headers=sent)
    entry = api.server.journal.entries()[-1]
    pairs = [(k, v) for k, v in entry.headers if k == "x-dup"]
    assert pairs == [("x-dup", "one"), ("x-dup", "tw\xc3\xb6")]  # the bytes, read as latin-1
    assert entry.header("ACCEPT") == "a/b"
    assert ["x-dup", "one"] in entry.to_dict()["headers"]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in entry.headers)


def test_an_entry_keeps_the_headers_as_received_if_the_scope_changes_later() -> None:
    journal = Journal()
    received = [(b"authorization", b"Bearer x"), (b"accept", b"*/*")]
    entry = journal.record(time=0, method="GET", path="/", query="", headers=received, client=None)
    received.append((b"x-added", b"later"))
    assert entry.headers == [("authorization", "Bearer x"), ("accept", "*/*")]
    text = journal.record(
        time=0, method="GET", path="/", query="", headers=[("a", "b")], client=None
    )
    assert (text.raw_headers, text.headers) == ([(b"a", b"b")], [("a", "b")])
