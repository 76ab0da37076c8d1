"""The OpenAPI document: structure, coverage of the contract, and schemas that fit the mock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver import new_render_job, openapi_document, plan_turn, play_turn
from mockserver._config import MockConfig
from nemokit import contract
from nemokit._clock import VirtualClock
from nemokit._sse import SSEEvent, decode_all

METHODS = {"get", "post", "put", "patch", "delete"}


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(document: dict[str, Any], pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node: Any = document
    for part in pointer[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict), f"{pointer} does not resolve"
        assert part in node, f"{pointer} does not resolve"
        node = node[part]
    return node


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_ref_resolves() -> None:
    document = openapi_document()
    found = set(refs(document))
    assert len(found) > 30
    for pointer in found:
        resolve(document, pointer)


def test_it_is_openapi_31_with_every_contract_path_and_no_admin() -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1.")
    paths = {getattr(contract, name) for name in contract.__all__ if name.startswith("PATH_")}
    assert paths <= set(document["paths"])
    assert not [p for p in document["paths"] if p.startswith(contract.ADMIN_PREFIX)]


def test_every_operation_is_complete() -> None:
    document = openapi_document()
    ids = []
    for path, _, operation in operations(document):
        ids.append(operation["operationId"])
        assert "200" in operation["responses"], path
        names = {resolve(document, p["$ref"])["name"] for p in operation["parameters"]}
        attribution = {
            contract.HEADER_SKILL_SOURCE,
            contract.HEADER_SKILL_VERSION,
            contract.HEADER_SKILL_PLATFORM,
        }
        assert attribution <= names, path
        for template in ("{sid}", "{id}"):
            if template in path:
                assert template.strip("{}") in {
                    resolve(document, p["$ref"])["name"]
                    for p in operation["parameters"]
                    if resolve(document, p["$ref"])["in"] == "path"
                }
    assert len(ids) == len(set(ids))


def test_bearer_security_except_the_anonymous_token() -> None:
    document = openapi_document()
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]
    token = document["paths"][contract.PATH_ANONYMOUS_TOKEN]["post"]
    assert token["security"] == []
    client_id = [resolve(document, p["$ref"])["name"] for p in token["parameters"]]
    assert contract.HEADER_CLIENT_ID in client_id


def test_every_error_code_is_described() -> None:
    document = openapi_document()
    codes = set(document["components"]["schemas"]["ErrorCode"]["enum"])
    assert {int(c) for c in contract.Code} <= codes
    responses = document["components"]["responses"]
    assert set(map(str, contract.CODE_HTTP_STATUS.values())) <= set(responses)
    assert contract.HEADER_RETRY_AFTER in responses["429"]["headers"]


def test_the_stream_is_event_stream_with_each_event_described() -> None:
    document = openapi_document()
    ok = document["paths"][contract.PATH_RUN_SSE]["post"]["responses"]["200"]["content"]
    stream = ok["text/event-stream"]
    event = resolve(document, stream["x-event-schema"]["$ref"])
    names = {r.rsplit("/", 1)[-1] for r in refs(event)}
    assert {
        "AdkEvent",
        "SimpleText",
        "SimpleToolCall",
        "SimpleToolResult",
        "HeartbeatEvent",
    } <= names
    assert ": ping" in stream["schema"]["description"]


def test_the_document_is_a_fresh_copy() -> None:
    first = openapi_document()
    first["paths"].clear()
    assert openapi_document()["paths"]


def test_a_spec_validator_accepts_it() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi_document())


# --- the schemas fit what the mock sends -----------------------------------------------------


def validator_for(name: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("dialect", ["adk", "simple"])
def test_every_streamed_event_fits_the_event_schema(dialect: str) -> None:
    config = MockConfig(partial_text=True, noise_rate=1.0, silent_rate=0.0).replace(dialect=dialect)
    media = [{"filename": "a.mp4", "file_type": "video", "duration": 30}]
    turn = plan_turn("trim the pauses, add a title", {}, media, seed=1, turn_index=0, config=config)

    async def frames() -> list[bytes]:
        return [
            f
            async for f in play_turn(
                turn, start=0, clock=VirtualClock(), config=config, invocation_id="e"
            )
        ]

    validator = validator_for("SseEvent")
    events = [
        json.loads(i.data)
        for i in decode_all(asyncio.run(frames()))
        if isinstance(i, SSEEvent) and i.data
    ]
    assert len(events) > 5
    for event in events:
        validator.validate(event)


def test_render_bodies_fit_their_schemas() -> None:
    draft = {"t": [], "d": 30000, "m": {"width": 1080, "height": 1920}}
    job = new_render_job("render_1", "s", "u", draft, None, now=0, seed=0, config=MockConfig())
    validator_for("RenderSubmitted").validate(job.submitted(0))
    for when in (0, job.total / 2, job.total):
        validator_for("RenderStatusBoth").validate(job.describe(when, "http://mock"))
