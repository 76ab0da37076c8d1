"""The OpenAPI schemas of the ``/run_sse`` events: both dialects and the JSON heartbeat.

OpenAPI 3.1 has no schema for a sequence of events, so the document describes one event (each
``data:`` line's JSON): ``oneOf`` the ADK events, the simple dialect's events and the JSON
heartbeat. The other two heartbeat forms are not JSON and are described in words by the path.
"""

from __future__ import annotations

from ._common import _NUM, _STR, Schema, _obj, _ref


def _event_schemas() -> dict[str, Schema]:
    no_type = {"not": {"required": ["type"]}}
    text_part = _obj(["text"], text=_STR)
    call = _obj(
        ["functionCall"], functionCall=_obj(["name"], id=_STR, name=_STR, args={"type": "object"})
    )
    result = _obj(
        ["functionResponse"], functionResponse=_obj(["name"], id=_STR, name=_STR, response={})
    )
    adk = _obj(
        ["content", "author"],
        content=_obj(
            ["parts"],
            role={"const": "model"},
            parts={
                "type": "array",
                "items": {
                    "oneOf": [
                        _ref("AdkTextPart"),
                        _ref("AdkFunctionCallPart"),
                        _ref("AdkFunctionResponsePart"),
                    ]
                },
            },
        ),
        author={"type": "string", "description": '"nemo_agent"; "system" for an "Error: …" text'},
        invocationId=_STR,
        id=_STR,
        timestamp=_NUM,
        partial={"type": "boolean"},
    )
    simple_text = _obj(
        ["type", "content"],
        type={"const": "text"},
        content=_STR,
        partial={"type": "boolean", "description": "a chunk; chunks join"},
    )
    return {
        "AdkTextPart": text_part,
        "AdkFunctionCallPart": call,
        "AdkFunctionResponsePart": result,
        "AdkEvent": {**adk, **no_type},
        "AdkError": {**_obj(["error"], error=_STR), **no_type},
        "SimpleText": simple_text,
        "SimpleToolCall": _obj(
            ["type", "name"],
            type={"const": "tool_call"},
            name=_STR,
            args={"type": "object"},
            id=_STR,
        ),
        "SimpleToolResult": _obj(
            ["type", "name"], type={"const": "tool_result"}, name=_STR, result={}, id=_STR
        ),
        "SimpleError": _obj(["type", "error"], type={"const": "error"}, error=_STR),
        "HeartbeatEvent": _obj(["type"], type={"const": "heartbeat"}),
        "SseEvent": {
            "oneOf": [
                _ref(n)
                for n in (
                    "AdkEvent",
                    "AdkError",
                    "SimpleText",
                    "SimpleToolCall",
                    "SimpleToolResult",
                    "SimpleError",
                    "HeartbeatEvent",
                )
            ]
        },
    }
