"""The OpenAPI document states what the mock enforces, and the two agree on it.

Header lengths, one spelling per key, body limits: for each, a request the document calls
invalid is one the mock refuses with a 400, and one it calls valid is accepted.
"""

from __future__ import annotations

from typing import Any

import pytest
from _mockapi import Api, sse_body

from mockserver import openapi_document
from mockserver.http import JSON_BODY_LIMIT
from nemokit import contract

jsonschema = pytest.importorskip("jsonschema")

DOC = openapi_document()


def _valid(schema_name: str, body: Any) -> bool:
    schema = {**DOC["components"]["schemas"][schema_name], "components": DOC["components"]}
    resolver_doc = {"components": DOC["components"], **schema}
    validator = jsonschema.Draft202012Validator(resolver_doc)
    return bool(validator.is_valid(body))


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("a", True), ("x" * 64, True), ("", False), ("   ", False), ("x" * 65, False)],
)
def test_client_id_bounds_agree(value: str, accepted: bool) -> None:
    param = DOC["components"]["parameters"]["ClientId"]
    assert param["required"] is True
    valid = jsonschema.Draft202012Validator(param["schema"]).is_valid(value)
    assert valid is accepted
    response = Api().post(contract.PATH_ANONYMOUS_TOKEN, headers={"X-Client-Id": value})
    assert (response.status_code == 200) is accepted, response.text


def _bodies(sid: str) -> list[tuple[str, str, dict[str, Any], tuple[str, str]]]:
    return [
        (
            "RunSseRequest",
            contract.PATH_RUN_SSE,
            sse_body(sid, "hi"),
            ("new_message", "newMessage"),
        ),
        ("RunSseRequest", contract.PATH_RUN_SSE, sse_body(sid, "hi"), ("session_id", "sessionId")),
        ("RunSseRequest", contract.PATH_RUN_SSE, sse_body(sid, "hi"), ("app_name", "appName")),
        ("RunSseRequest", contract.PATH_RUN_SSE, sse_body(sid, "hi"), ("user_id", "userId")),
        ("SessionRequest", contract.PATH_SESSION, {"task_name": "p"}, ("task_name", "taskName")),
        (
            "RenderRequest",
            contract.PATH_RENDER,
            {"id": "render_9", "sessionId": sid, "draft": {}},
            ("sessionId", "session_id"),
        ),
    ]


def test_each_key_in_one_spelling_either_one_never_both() -> None:
    api = Api(error_style="http_status")
    token, _ = api.token()
    sid = api.post(contract.PATH_SESSION, token=token, json={"task_name": "p"}).json()["data"][
        "session_id"
    ]
    for name, path, body, (given, other) in _bodies(sid):
        assert _valid(name, body), (name, body)
        # the other spelling alone: valid and accepted
        swapped = {(other if k == given else k): v for k, v in body.items()}
        assert _valid(name, swapped), (name, swapped)
        assert api.post(path, token=token, json=swapped).status_code == 200, (path, swapped)
        # both: invalid and refused, even when the second is malformed (the deep run's ST201)
        both = {**body, other: {"parts": "not a list"}}
        assert not _valid(name, both), (name, both)
        refused = api.post(path, token=token, json=both)
        assert refused.status_code == 400, (path, refused.text)
        assert "not both" in refused.text


def test_body_limits_are_stated() -> None:
    assert JSON_BODY_LIMIT == 1024 * 1024
    for path, item in DOC["paths"].items():
        for operation in item.values():
            body = operation.get("requestBody")
            if body is not None:
                assert "1 MiB" in body["description"], path
    upload = DOC["paths"][contract.PATH_UPLOAD]["post"]["requestBody"]["description"]
    assert f"{contract.MAX_UPLOAD_BYTES // (1024 * 1024)} MB" in upload
