"""The journal's cheap paths: the contract code read from a body's first bytes, raw headers."""

from __future__ import annotations

import json
from typing import Any

from _mockapi import Api
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.responses import JSONResponse

from mockserver._app import _code_of
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
        assert _code_of(body) == _full_parse(body)


def test_the_journal_notes_the_code_of_a_success_and_of_an_error() -> None:
    api = Api()
    token, sid = api.user()
    api.state(token, sid)
    api.get(contract.PATH_STATE.format(sid="1234567890123456789"), token=token)
    first, second = api.server.journal.entries()[-2:]
    assert (first.status, first.code) == (200, 0)
    assert second.code is not None
    assert second.code != 0
