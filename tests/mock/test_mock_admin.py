"""The journal and the /__admin control API."""

from __future__ import annotations

import threading

import pytest
from _mockapi import Api

from mockserver import Journal, MockServer, create_app
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import ScaledClock


def test_create_app_points_at_its_server() -> None:
    app = create_app(MockConfig(seed=3))
    assert isinstance(app.state.mock, MockServer)
    assert app.state.mock.config.seed == 3


def test_journal_keeps_headers_as_received_body_status_code_and_virtual_time() -> None:
    api = Api()
    api.clock.advance(12.5)
    api.post(
        contract.PATH_ANONYMOUS_TOKEN + "?x=1",
        headers={"X-Client-Id": "journal", "X-Custom": "a"},
        json={"ignored": [1, 2]},
    )
    entry = api.get("/__admin/requests").json()["requests"][0]
    assert entry["method"] == "POST"
    assert entry["path"] == contract.PATH_ANONYMOUS_TOKEN
    assert entry["query"] == "x=1"
    assert entry["time"] == 12.5
    assert ["x-client-id", "journal"] in entry["headers"]
    assert ["x-custom", "a"] in entry["headers"]
    assert ["x-skill-source", contract.DEFAULT_SKILL_SOURCE] in entry["headers"]
    assert entry["body"] == {"ignored": [1, 2]}
    assert (entry["status"], entry["code"]) == (200, 0)
    assert entry["completed"] is True


def test_journal_records_error_codes_and_text_bodies() -> None:
    api = Api()
    api.post(contract.PATH_SESSION, content=b"not json", token="nmv_usr_x")
    entry = api.server.journal.last()
    assert entry is not None
    assert (entry.status, entry.code) == (200, 1001)
    assert (entry.body, entry.body_kind) == ("not json", "text")


def test_journal_since_filter_and_clear() -> None:
    api = Api()
    api.get(contract.PATH_CREDITS)
    api.clock.advance(30)
    api.get(contract.PATH_CREDITS)
    assert len(api.get("/__admin/requests?since=30").json()["requests"]) == 1
    assert len(api.get("/__admin/requests?since=0").json()["requests"]) == 2
    assert api.get("/__admin/requests?since=abc").status_code == 400
    api.request("DELETE", "/__admin/requests")
    assert api.get("/__admin/requests").json()["requests"] == []


def test_journal_is_bounded_and_counts_what_it_dropped() -> None:
    journal = Journal(cap=3)
    for n in range(5):
        journal.record(time=n, method="GET", path=f"/{n}", query="", headers=[], client=None)
    assert [e.path for e in journal.entries()] == ["/2", "/3", "/4"]
    assert journal.dropped == 2
    with pytest.raises(ValueError, match="cap"):
        Journal(cap=0)


def test_journal_is_thread_safe() -> None:
    journal = Journal(cap=10_000)

    def write() -> None:
        for _ in range(500):
            journal.record(time=0, method="GET", path="/", query="", headers=[], client=None)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(journal) == 2000
    assert sorted(e.seq for e in journal.entries()) == list(range(1, 2001))


def test_reset_forgets_state_journal_and_faults_but_keeps_the_clock() -> None:
    api = Api()
    token, _ = api.token()
    api.server.faults.add(path="/nowhere", status=500)
    api.clock.advance(5)
    assert api.post("/__admin/reset").json() == {"reset": True}
    assert api.get(contract.PATH_CREDITS, token=token).json()["code"] == 1001
    assert len(api.server.faults) == 0
    assert api.clock.now() == 5
    assert [e.path for e in api.server.journal.entries()] == [contract.PATH_CREDITS]


def test_clock_read_and_advance() -> None:
    api = Api()
    assert api.get("/__admin/clock").json() == {"now": 0.0, "kind": "VirtualClock", "scale": None}
    moved = api.post("/__admin/clock/advance", json={"seconds": 90})
    assert moved.json()["now"] == 90
    assert api.post("/__admin/clock/advance", json={"seconds": -1}).status_code == 400
    assert api.post("/__admin/clock/advance", json={"seconds": "x"}).status_code == 400
    assert api.post("/__admin/clock/advance", content=b"{").status_code == 400
    assert api.post("/__admin/clock/scale", json={"scale": 5}).status_code == 409


def test_clock_scale_on_a_scaled_clock() -> None:
    server = MockServer(clock=ScaledClock(scale=1000))
    api = Api(server)
    assert api.get("/__admin/clock").json()["scale"] == 1000
    assert api.post("/__admin/clock/scale", json={"scale": 10}).json()["scale"] == 10
    assert api.post("/__admin/clock/scale", json={"scale": 0}).status_code == 400


def test_config_read_and_patch_validated() -> None:
    api = Api()
    config = api.get("/__admin/config").json()
    assert config["error_style"] == "code_200"
    patched = api.request("PATCH", "/__admin/config", json={"error_style": "http_status"})
    assert patched.json()["error_style"] == "http_status"
    assert api.server.config.error_style is contract.ErrorStyle.HTTP_STATUS
    for bad in ({"error_style": "loud"}, {"nope": 1}, {"silent_rate": 2}, {"admin": "no"}, [1]):
        response = api.request("PATCH", "/__admin/config", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]


def test_admin_can_be_switched_off_and_then_looks_like_an_unknown_path() -> None:
    api = Api(admin=False)
    for method, path in (("GET", "/__admin/requests"), ("POST", "/__admin/reset")):
        response = api.request(method, path)
        assert response.status_code == 404
        assert path in response.json()["message"]
    assert len(api.server.journal) == 2
    api.request("PATCH", "/__admin/config", json={"admin": True})
    assert api.server.config.admin is False


def test_admin_unknown_route_and_method() -> None:
    api = Api()
    assert api.get("/__admin/nothing").status_code == 404
    response = api.request("DELETE", "/__admin/clock")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_journal_of_a_body_with_nan_stays_readable() -> None:
    api = Api()
    api.post("/nowhere", content=b'{"x": NaN}')
    entry = api.get("/__admin/requests").json()["requests"][0]
    assert (entry["body"], entry["body_kind"]) == ('{"x": NaN}', "text")
