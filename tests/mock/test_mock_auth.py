"""Anonymous tokens, accounts, expiry, the per-IP limit and bearer checks."""

from __future__ import annotations

import re

import pytest
from _mockapi import Api

from nemokit import contract


def test_anonymous_token_has_the_contract_shape() -> None:
    api = Api()
    response = api.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "abc"})
    body = response.json()
    assert response.status_code == 200
    assert body["code"] == 0
    assert body["message"] == "success"
    data = body["data"]
    assert data["token"].startswith(contract.TOKEN_PREFIX)
    assert re.fullmatch(r"anon_[0-9a-f]{16}", data["user_id"])
    assert data["credits"] == contract.INITIAL_CREDITS
    assert data["expires_at"] == "2026-01-08T00:00:00Z"


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({}, "X-Client-Id"),
        ({"X-Client-Id": "  "}, "X-Client-Id"),
        ({"X-Client-Id": "x" * 65}, "64"),
    ],
)
def test_client_id_missing_or_too_long_is_http_400(headers: dict[str, str], needle: str) -> None:
    response = Api().post(contract.PATH_ANONYMOUS_TOKEN, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert needle in response.json()["message"]


def test_client_id_of_64_characters_is_accepted() -> None:
    token, _ = Api().token("x" * 64)
    assert token.startswith(contract.TOKEN_PREFIX)


def test_same_client_id_gets_the_same_account_back_within_7_days() -> None:
    api = Api()
    token1, user1 = api.token("same")
    api.clock.advance(6 * 24 * 3600)
    token2, user2 = api.token("same")
    assert user1 == user2
    assert token1 != token2
    assert api.credits(token1) == api.credits(token2)


def test_a_client_id_idle_for_7_days_gets_a_new_account() -> None:
    api = Api()
    _, user1 = api.token("idle")
    api.clock.advance(contract.TOKEN_TTL)
    _, user2 = api.token("idle")
    assert user1 != user2


def test_different_client_ids_get_different_accounts() -> None:
    api = Api()
    assert api.token("a")[1] != api.token("b")[1]


def test_token_expires_after_7_virtual_days() -> None:
    api = Api()
    token, _ = api.token()
    api.clock.advance(contract.TOKEN_TTL - 1)
    assert api.get(contract.PATH_CREDITS, token=token).json()["code"] == 0
    api.clock.advance(1)
    response = api.get(contract.PATH_CREDITS, token=token)
    assert response.json()["code"] == contract.Code.TOKEN_INVALID
    assert "expired" in response.json()["message"]


def test_per_ip_limit_of_new_accounts_is_429_and_other_ips_are_not_affected() -> None:
    api = Api(token_limit_per_ip=3)
    for n in range(3):
        api.token(f"c{n}")
    refused = api.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "c3"})
    assert refused.status_code == 429
    assert refused.json()["code"] == 429
    # a known client id still gets its account back: only new accounts count
    assert api.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "c0"}).status_code == 200
    other = api.post(
        contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "c3"}, client=("10.0.0.9", 1)
    )
    assert other.status_code == 200
    api.clock.advance(contract.TOKEN_TTL)
    assert api.post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": "c9"}).status_code == 200


def test_forwarded_for_counts_as_the_client_address_when_trusted() -> None:
    api = Api(token_limit_per_ip=1, trust_forwarded=True)
    api.token("a", headers={"X-Forwarded-For": "192.0.2.1"})
    refused = api.post(
        contract.PATH_ANONYMOUS_TOKEN,
        headers={"X-Client-Id": "b", "X-Forwarded-For": "192.0.2.1, 10.0.0.1"},
    )
    assert refused.status_code == 429
    assert api.token("b", headers={"X-Forwarded-For": "192.0.2.2"})[0]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer nmv_usr_unknown", "bearer nope"],
)
def test_missing_or_unknown_bearer_is_1001(authorization: str | None) -> None:
    api = Api()
    api.token()
    headers = {} if authorization is None else {"Authorization": authorization}
    response = api.get(contract.PATH_CREDITS, headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "code": 1001,
        "message": response.json()["message"],
        "data": None,
    }


def test_1001_in_http_status_style_is_401() -> None:
    api = Api(error_style="http_status")
    response = api.get(contract.PATH_CREDITS, token="nmv_usr_wrong")
    assert response.status_code == 401
    assert response.json()["code"] == 1001


def test_bearer_scheme_is_case_insensitive() -> None:
    api = Api()
    token, _ = api.token()
    response = api.get(contract.PATH_CREDITS, headers={"Authorization": f"bearer {token}"})
    assert response.json()["code"] == 0


def test_tokens_never_show_in_reprs() -> None:
    api = Api()
    token, _ = api.token()
    issued = api.server.state.issue_token("client-1", "127.0.0.1")
    for text in (repr(api.server), repr(api.server.state), repr(issued), repr(issued.account)):
        assert token not in text
        assert issued.token not in text


def test_claim_token_for_own_session() -> None:
    api = Api()
    token, sid = api.user()
    state = api.state(token, sid).json()["data"]
    response = api.post(
        contract.PATH_CLAIM_TOKEN,
        token=token,
        json={"task_id": state["task_id"], "session_id": sid},
    )
    data = response.json()["data"]
    assert data["claim_token"].startswith(contract.CLAIM_TOKEN_PREFIX)
    assert data["expires_in"] == 604800
    # a claim token has no API access
    assert api.get(contract.PATH_CREDITS, token=data["claim_token"]).json()["code"] == 1001


def test_claim_token_with_a_task_of_another_session_is_1002() -> None:
    api = Api()
    token, sid = api.user()
    other = api.session(token)
    task = api.state(token, other).json()["data"]["task_id"]
    body = {"task_id": task, "session_id": sid}
    assert api.post(contract.PATH_CLAIM_TOKEN, token=token, json=body).json()["code"] == 1002
