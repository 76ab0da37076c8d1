"""Fault injection, from Python and through /__admin/faults."""

from __future__ import annotations

import httpx
import pytest
from _mockapi import Api

from mockserver import DroppedConnection, FaultRule
from nemokit import contract


def test_status_fault_applies_to_the_next_n_matching_requests_only() -> None:
    api = Api()
    token, _ = api.token()
    api.server.faults.add(
        method="GET", path=contract.PATH_CREDITS, status=429, times=2, retry_after=45
    )
    first = api.get(contract.PATH_CREDITS, token=token)
    second = api.get(contract.PATH_CREDITS, token=token)
    third = api.get(contract.PATH_CREDITS, token=token)
    assert [r.status_code for r in (first, second, third)] == [429, 429, 200]
    assert first.headers["Retry-After"] == "45"
    assert first.json()["code"] == 429
    assert len(api.server.faults) == 0


def test_fault_with_a_custom_json_body_and_first_matching_rule_first() -> None:
    api = Api()
    api.server.faults.add(path="/api/render/*", status=500)
    api.server.faults.add(path="/api/credits/*", status=503, body={"oops": True})
    api.server.faults.add(path=contract.PATH_CREDITS, status=502, body=["x"])
    first = api.get(contract.PATH_CREDITS)
    second = api.get(contract.PATH_CREDITS)
    assert (first.status_code, first.json()) == (503, {"oops": True})
    assert (second.status_code, second.json()) == (502, ["x"])


def test_code_fault_follows_the_error_style() -> None:
    api = Api()
    token, _ = api.token()
    api.server.faults.add(path=contract.PATH_CREDITS, code=1001)
    response = api.get(contract.PATH_CREDITS, token=token)
    assert (response.status_code, response.json()["code"]) == (200, 1001)
    api.server.configure(error_style="http_status")
    api.server.faults.add(path=contract.PATH_CREDITS, code=1001)
    assert api.get(contract.PATH_CREDITS, token=token).status_code == 401


def test_glob_and_method_matching() -> None:
    api = Api()
    token, _ = api.token()
    api.server.faults.add(method="POST", path="/api/render/*", code=1002)
    assert api.get(contract.PATH_CREDITS, token=token).json()["code"] == 0
    response = api.post(contract.PATH_RENDER, token=token, json={})
    assert response.json() == {
        "success": False,
        "error": response.json()["error"],
        "code": 1002,
    }


def test_delay_fault_waits_virtual_time_then_lets_the_request_through() -> None:
    api = Api()
    token, _ = api.token()
    api.server.faults.add(path=contract.PATH_CREDITS, delay=30)
    start = api.clock.now()
    response = api.get(contract.PATH_CREDITS, token=token)
    assert response.json()["code"] == 0
    assert api.clock.now() - start == pytest.approx(30)


def test_dropped_connection_sends_a_partial_body_then_breaks() -> None:
    api = Api()
    api.server.faults.add(path=contract.PATH_CREDITS, drop=True)
    with pytest.raises(DroppedConnection):
        api.get(contract.PATH_CREDITS)
    entry = api.server.journal.last()
    assert entry is not None
    assert entry.fault is not None
    assert entry.error is not None


def test_stream_cut_fault_breaks_the_stream_after_k_events() -> None:
    from mockserver import StreamCut

    api = Api(silent_rate=0.0)
    token, sid = api.user()
    api.server.faults.add(path=contract.PATH_RUN_SSE, cut_after=1)
    with pytest.raises(StreamCut):
        api.turn(token, sid, "hello there")
    # the turn still happened on the server and was charged
    api.clock.advance(600)
    assert api.credits(token)["total"] < 100


def test_stall_fault_sends_only_heartbeats() -> None:
    api = Api()
    token, sid = api.user()
    api.server.faults.add(path=contract.PATH_RUN_SSE, stall=True)
    text = api.turn(token, sid, "hello there").text
    frames = [f for f in text.split("\n\n") if f.strip()]
    assert frames
    assert all(f == 'data: {"type": "heartbeat"}' for f in frames)


@pytest.mark.parametrize(
    ("rule", "needle"),
    [
        ({}, "needs an action"),
        ({"status": 99}, "HTTP status"),
        ({"status": 500, "code": 1001}, "not both"),
        ({"times": 0, "status": 500}, "at least 1"),
        ({"delay": -1}, "negative"),
        ({"status": "500"}, "integer"),
        ({"bogus": 1}, "unknown fault field"),
    ],
)
def test_bad_fault_rules_are_refused_with_a_clear_message(
    rule: dict[str, object], needle: str
) -> None:
    with pytest.raises(ValueError, match=needle):
        FaultRule.from_dict(rule)
    response = Api().post("/__admin/faults", json=rule)
    assert response.status_code == 400
    assert needle in response.json()["error"]


def test_admin_fault_api_adds_lists_and_removes() -> None:
    api = Api()
    added = api.post(
        "/__admin/faults",
        json=[
            {"path": contract.PATH_CREDITS, "status": 500, "times": 3},
            {"path": "/x", "code": 1},
        ],
    )
    assert added.status_code == 201
    ids = [f["id"] for f in added.json()["faults"]]
    listed = api.get("/__admin/faults").json()["faults"]
    assert [(f["id"], f["remaining"]) for f in listed] == [(ids[0], 3), (ids[1], 1)]
    assert api.request("DELETE", f"/__admin/faults/{ids[1]}").status_code == 200
    assert api.request("DELETE", f"/__admin/faults/{ids[1]}").status_code == 404
    api.get(contract.PATH_CREDITS)
    assert api.get("/__admin/faults").json()["faults"][0]["remaining"] == 2
    api.request("DELETE", "/__admin/faults")
    assert api.get("/__admin/faults").json()["faults"] == []


def test_admin_requests_are_never_faulted_or_journaled() -> None:
    api = Api()
    api.server.faults.add(path="*", status=500, times=5)
    assert api.get("/__admin/clock").status_code == 200
    assert len(api.server.journal) == 0
    assert isinstance(api.get(contract.PATH_CREDITS), httpx.Response)
    assert len(api.server.journal) == 1


@pytest.mark.parametrize("fault", [{"status": 503}, {"code": 1002}])
def test_a_request_answered_by_a_fault_is_journaled_with_its_body(fault: dict[str, int]) -> None:
    # Rules such as "a failed render submit is retried with a new id" are judged from the
    # journal, so the body of a refused request must be there even though no endpoint read it.
    api = Api()
    token, _ = api.token()
    api.server.faults.add(method="POST", path=contract.PATH_RENDER, **fault)
    api.post(contract.PATH_RENDER, token=token, json={"id": "render_1", "sessionId": "1"})
    entry = api.server.journal.last()
    assert entry is not None
    assert entry.fault is not None
    assert entry.body == {"id": "render_1", "sessionId": "1"}
