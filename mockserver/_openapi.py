"""The OpenAPI 3.1 document of the Nemo API as the mock serves it (``GET /openapi.json``).

It describes the contract's endpoints only, never ``/__admin/``: bodies, both envelopes, every
variant the contract lists (both upload shapes, the three render status shapes, the two SSE
dialects and the three heartbeat forms), the bearer scheme, the attribution headers and every
error code. Business errors arrive as HTTP 200 with a non-zero ``code`` by default, so each
``200`` of an enveloped endpoint is ``oneOf`` success or error; the ``http_status`` style's
statuses are listed as responses of their own.

The SSE stream is ``text/event-stream``; OpenAPI 3.1 has no schema for a sequence of events, so
the media type carries ``x-event-schema`` (each ``data:`` line's JSON, ``oneOf`` the events of
both dialects and the JSON heartbeat) and the other two heartbeat forms are described in words.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from nemokit import contract

__all__ = ["openapi_document"]

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: list[str], **props: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": props}


_STR: Schema = {"type": "string"}
_INT: Schema = {"type": "integer"}
_NUM: Schema = {"type": "number"}
_NULLABLE_NUM: Schema = {"type": ["number", "null"]}
_NULLABLE_STR: Schema = {"type": ["string", "null"]}

_CODES = {
    0: "success",
    1001: "token expired or invalid (HTTP 401 in the http_status style)",
    1002: "session not found (HTTP 404 in the http_status style)",
    2001: "out of credits (HTTP 403 in the http_status style)",
    4001: "unsupported file type (HTTP 415 in the http_status style)",
    4002: "file too large (HTTP 413 in the http_status style)",
    400: "bad request: X-Client-Id missing, malformed JSON, a missing or mistyped field",
    402: "free plan export blocked (an attribution header is missing); never retry",
    404: "unknown path or render",
    405: "method not allowed",
    409: "a render conflict: one active export per session, or not completed yet",
    413: "request body too large",
    415: "unsupported content type",
    429: "rate limited: wait 30 s (or Retry-After if longer) and retry once",
    500: "server error",
}


def _schemas() -> dict[str, Schema]:
    segment = {
        "type": "object",
        "description": "Segment fields are the mock's choice "
        "(ms, volume 0..1); a client reads them defensively.",
        "properties": {
            "id": _STR,
            "start": _NUM,
            "duration": _NUM,
            "source": _STR,
            "text": _STR,
            "volume": _NUM,
            "transition": _STR,
        },
    }
    track = {
        "type": "object",
        "properties": {
            "tt": {
                "type": "integer",
                "enum": [t.value for t in contract.TrackType],
                "description": "0 video, 1 audio, 7 text",
            },
            "name": _STR,
            "sg": {"type": "array", "items": _ref("Segment")},
        },
    }
    draft = {
        "type": "object",
        "properties": {
            "t": {"type": "array", "items": _ref("Track")},
            "d": {"type": "number", "description": "ms"},
            "m": {
                "type": "object",
                "properties": {
                    "title": _STR,
                    "width": _INT,
                    "height": _INT,
                    "fps": _NUM,
                    "volume": _NUM,
                    "speed": _NUM,
                },
            },
        },
    }
    uploaded = _obj(
        ["filename", "file_type"],
        filename=_STR,
        file_type={"enum": ["video", "image", "audio"]},
        cdn_url=_STR,
        duration=_NULLABLE_NUM,
        width={"type": ["integer", "null"]},
        height={"type": ["integer", "null"]},
        fps=_NULLABLE_NUM,
        hash=_STR,
    )
    variant = copy.deepcopy(uploaded)
    variant["properties"]["url"] = variant["properties"].pop("cdn_url")
    status = {"type": "string", "enum": [s.value for s in contract.RenderStatus]}
    output = {
        "type": "object",
        "properties": {
            "url": _NULLABLE_STR,
            "duration": _NUM,
            "size": {"type": ["integer", "null"]},
            "format": _STR,
            "codec": _STR,
            "width": _INT,
            "height": _INT,
        },
    }
    render_data = _obj(
        ["id", "status", "progress"],
        id=_STR,
        status=_ref("RenderStatusValue"),
        progress={"type": "number", "minimum": 0, "maximum": 100},
        outputUrl=_NULLABLE_STR,
        createdAt=_STR,
        completedAt=_NULLABLE_STR,
        error=_STR,
    )
    flat = _obj(
        ["success", "taskId", "status", "progress"],
        success={"const": True},
        taskId=_STR,
        status=_ref("RenderStatusValue"),
        progress=_NUM,
        output=output,
    )
    both = copy.deepcopy(flat)
    both["required"] = [*both["required"], "data"]
    both["properties"]["data"] = _ref("RenderJobData")
    return {
        "ErrorCode": {
            "type": "integer",
            "enum": list(_CODES),
            "description": "; ".join(f"{k}: {v}" for k, v in _CODES.items()),
        },
        "ErrorEnvelope": _obj(
            ["code", "message", "data"], code=_ref("ErrorCode"), message=_STR, data={"type": "null"}
        ),
        "RenderError": _obj(
            ["success", "error"], success={"const": False}, error=_STR, code=_ref("ErrorCode")
        ),
        "AnonymousToken": _obj(
            ["token", "user_id", "expires_at", "credits"],
            token={"type": "string", "pattern": f"^{contract.TOKEN_PREFIX}"},
            user_id={"type": "string", "pattern": f"^{contract.USER_ID_PREFIX}"},
            expires_at={"type": "string", "format": "date-time"},
            credits=_INT,
        ),
        "Session": _obj(
            ["task_id", "session_id"],
            task_id=_STR,
            user_id=_STR,
            session_id={"type": "string", "pattern": f"^[0-9]{{{contract.SESSION_ID_DIGITS}}}$"},
        ),
        "ClaimToken": _obj(
            ["claim_token", "expires_in"],
            expires_in=_INT,
            claim_token={"type": "string", "pattern": f"^{contract.CLAIM_TOKEN_PREFIX}"},
        ),
        "UploadedFile": uploaded,
        "UploadedFileVariant": variant,
        "UploadResult": {
            "oneOf": [
                _obj(
                    ["files"],
                    files={"type": "array", "items": _ref("UploadedFile")},
                    session_state_applied={"type": "boolean"},
                ),
                _obj(
                    ["uploaded_files"],
                    session_state_applied={"type": "boolean"},
                    uploaded_files={"type": "array", "items": _ref("UploadedFileVariant")},
                ),
            ]
        },
        "Credits": _obj(
            ["available", "frozen", "total"],
            available=_INT,
            frozen=_INT,
            total={"type": "integer", "description": "available + frozen"},
        ),
        "Segment": segment,
        "Track": track,
        "Draft": draft,
        "SessionState": _obj(
            ["session_id", "state"],
            session_id=_STR,
            task_id=_NULLABLE_STR,
            task_name=_NULLABLE_STR,
            state=_obj(
                [],
                video_infos={"type": "array"},
                draft=_ref("Draft"),
                canvas_config={"type": ["object", "null"]},
                video_analyses={"type": "array"},
                generated_media={"type": "array"},
            ),
        ),
        "RenderStatusValue": status,
        "RenderJobData": render_data,
        "RenderSubmitted": _obj(
            ["success", "data"], success={"const": True}, data=_ref("RenderJobData")
        ),
        "RenderStatusBoth": both,
        "RenderStatusNested": _obj(
            ["success", "data"], success={"const": True}, data=_ref("RenderJobData")
        ),
        "RenderStatusFlat": flat,
        **_request_schemas(),
        **_event_schemas(),
    }


#: Some character that Python's ``str.strip`` keeps (the mock refuses blank ids and text).
_NOT_BLANK = r"[^\s\u001c-\u001f\u0085]"
_ID: Schema = {"type": "string", "minLength": 1, "maxLength": 256, "pattern": _NOT_BLANK}
_RENDER_ID: Schema = {"type": "string", "pattern": "^[A-Za-z0-9_.\\-]{1,128}$"}


_APP: Schema = {"enum": [contract.APP_NAME, None]}


def _request_schemas() -> dict[str, Schema]:
    # The mock refuses empty ids and a message without text (HTTP 400), so the document says so:
    # a schema-valid request is then one the mock accepts.
    text = {"type": "string", "pattern": _NOT_BLANK}
    parts = {
        "type": "array",
        "items": _obj([], text=_STR),
        "contains": _obj(["text"], text=text),
        "maxItems": 64,
    }
    message = _obj(["parts"], role=_NULLABLE_STR, parts=parts)
    # Either spelling; when both are sent the snake_case one is used.
    one_of_keys = [
        {"anyOf": [{"required": ["session_id"]}, {"required": ["sessionId"]}]},
        {"anyOf": [{"required": ["new_message"]}, {"required": ["newMessage"]}]},
    ]
    return {
        "SessionRequest": _obj(
            ["task_name"],
            task_name={"type": "string", "example": "project", **_ID},
            language={"type": ["string", "null"], "description": "ISO code", "maxLength": 35},
        ),
        "ClaimRequest": _obj(["task_id", "session_id"], task_id=_ID, session_id=_ID),
        "RunSseRequest": {
            **_obj(
                [],
                app_name=_APP,
                appName=_APP,
                user_id=_NULLABLE_STR,
                userId=_NULLABLE_STR,
                session_id=_ID,
                sessionId=_ID,
                new_message=_ref("Message"),
                newMessage=_ref("Message"),
                role=_NULLABLE_STR,
                streaming={"type": ["boolean", "null"], "description": "partial text chunks"},
            ),
            "description": "snake_case or camelCase keys (one of each pair)",
            "allOf": one_of_keys,
        },
        "Message": message,
        "UploadUrls": _obj(
            ["urls"],
            urls={"type": "array", "items": {"type": "string", "format": "uri"}},
            source_type={"enum": ["url", None]},
        ),
        "UploadFiles": _obj(
            ["files"],
            files={
                "type": "array",
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
            },
        ),
        "RenderRequest": _obj(
            ["id", "sessionId", "draft"],
            id={**_RENDER_ID, "example": "render_1767225600"},
            sessionId=_ID,
            draft=_ref("Draft"),
            output={**_obj([], format={"const": "mp4"}, quality=_STR), "type": ["object", "null"]},
        ),
    }


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


# --- parameters, responses, paths -------------------------------------------------------------

_HEADERS = {
    "SkillSource": (
        contract.HEADER_SKILL_SOURCE,
        f"the kit's skill name ({contract.DEFAULT_SKILL_SOURCE})",
    ),
    "SkillVersion": (contract.HEADER_SKILL_VERSION, "the kit's version"),
    "SkillPlatform": (contract.HEADER_SKILL_PLATFORM, "clawhub, cursor or unknown"),
}


def _parameters() -> dict[str, Schema]:
    params: dict[str, Schema] = {
        name: {
            "name": header,
            "in": "header",
            # Not required: only an export refuses a request without it (HTTP 402, not 400).
            "required": False,
            "schema": _STR,
            "description": f"{text}; send it on every request: export without it fails with "
            "HTTP 402",
        }
        for name, (header, text) in _HEADERS.items()
    }
    params["ClientId"] = {
        "name": contract.HEADER_CLIENT_ID,
        "in": "header",
        "required": True,
        "schema": {"type": "string", "maxLength": contract.CLIENT_ID_MAX_LENGTH},
        "description": "a UUID kept by the client; missing → HTTP 400",
    }
    params["SessionId"] = {"name": "sid", "in": "path", "required": True, "schema": _STR}
    params["RenderId"] = {"name": "id", "in": "path", "required": True, "schema": _RENDER_ID}
    return params


def _json(schema: Schema) -> Schema:
    return {"application/json": {"schema": schema}}


def _responses() -> dict[str, Schema]:
    # The render endpoints answer errors with their own body; the others with the envelope.
    error = _json({"oneOf": [_ref("ErrorEnvelope"), _ref("RenderError")]})
    out: dict[str, Schema] = {
        str(status): {"description": _CODES[code], "content": error}
        for code, status in contract.CODE_HTTP_STATUS.items()
    }
    out.update(
        {
            "400": {"description": _CODES[400], "content": error},
            "402": {"description": _CODES[402], "content": _json(_ref("RenderError"))},
            "405": {"description": _CODES[405], "content": error},
            "409": {"description": _CODES[409], "content": _json(_ref("RenderError"))},
            "429": {
                "description": _CODES[429],
                "content": error,
                "headers": {
                    contract.HEADER_RETRY_AFTER: {"schema": _INT, "description": "seconds"}
                },
            },
        }
    )
    return out


def _enveloped(data: str, codes: list[int]) -> Schema:
    ok = _obj(["code", "message", "data"], code={"const": 0}, message=_STR, data=_ref(data))
    listed = ", ".join(str(c) for c in codes)
    return {
        "description": f"success, or (default style) a business error {listed} as HTTP 200",
        "content": _json({"oneOf": [ok, _ref("ErrorEnvelope")]}),
        "x-error-codes": codes,
    }


def _refs(*statuses: str) -> dict[str, Schema]:
    return {s: {"$ref": f"#/components/responses/{s}"} for s in statuses}


_SSE_TEXT = (
    "Server-Sent Events: `data: <json>` events (see x-event-schema), heartbeats in one of three "
    'forms (`data: {"type": "heartbeat"}`, an empty `data:` line, or the comment `: ping`), and '
    "no final event: the stream ends when the connection closes."
)


def _operation(
    op_id: str,
    summary: str,
    responses: dict[str, Schema],
    *,
    body: Schema | None = None,
    params: tuple[str, ...] = (),
    public: bool = False,
) -> Schema:
    operation: Schema = {
        "operationId": op_id,
        "summary": summary,
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in (*params, *_HEADERS)],
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": body}
    if public:
        operation["security"] = []
    return operation


def _paths() -> dict[str, Schema]:
    render_codes = _refs("400", "401", "402", "404", "409")
    sse = {
        "description": "the turn's events, streamed; or a refusal before the stream",
        "content": {
            "text/event-stream": {
                # One event (OpenAPI 3.2's itemSchema shape, kept under ``schema`` for 3.1):
                # Schemathesis checks each event's data, as JSON, against SseEvent.
                "schema": {
                    **_obj(
                        [],
                        data={
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": _ref("SseEvent"),
                        },
                        event=_STR,
                        id=_STR,
                        retry={"type": "integer", "minimum": 0},
                    ),
                    "description": _SSE_TEXT,
                },
                "x-event-schema": _ref("SseEvent"),
            },
            "application/json": {"schema": _ref("ErrorEnvelope")},
        },
        "x-error-codes": [1001, 1002, 2001],
    }
    return {
        contract.PATH_ANONYMOUS_TOKEN: {
            "post": _operation(
                "anonymousToken",
                "Get an anonymous token (100 credits, 7 days)",
                {"200": _enveloped("AnonymousToken", []), **_refs("400", "429")},
                params=("ClientId",),
                public=True,
            )
        },
        contract.PATH_SESSION: {
            "post": _operation(
                "createSession",
                "Start a new editing session (safe to retry)",
                {"200": _enveloped("Session", [1001]), **_refs("400", "401")},
                body=_json(_ref("SessionRequest")),
            )
        },
        contract.PATH_CLAIM_TOKEN: {
            "post": _operation(
                "claimToken",
                "A claim token that opens the project in a browser",
                {"200": _enveloped("ClaimToken", [1001, 1002]), **_refs("400", "401", "404")},
                body=_json(_ref("ClaimRequest")),
            )
        },
        contract.PATH_RUN_SSE: {
            "post": _operation(
                "runSse",
                "Send a message; the agent's events stream back",
                {"200": sse, **_refs("400", "401", "403", "404", "429")},
                body=_json(_ref("RunSseRequest")),
            )
        },
        contract.PATH_UPLOAD: {
            "post": _operation(
                "upload",
                "Upload files (multipart, field `files`) or URLs (JSON)",
                {
                    "200": _enveloped("UploadResult", [1001, 1002, 4001, 4002]),
                    **_refs("400", "401", "404", "413", "415"),
                },
                body={
                    "multipart/form-data": {"schema": _ref("UploadFiles")},
                    **_json(_ref("UploadUrls")),
                },
                params=("SessionId",),
            )
        },
        contract.PATH_CREDITS: {
            "get": _operation(
                "credits",
                "Credit balance (total = available + frozen)",
                {"200": _enveloped("Credits", [1001]), **_refs("401")},
            )
        },
        contract.PATH_STATE: {
            "get": _operation(
                "sessionState",
                "The session's latest state and draft",
                {"200": _enveloped("SessionState", [1001, 1002]), **_refs("401", "404")},
                params=("SessionId",),
            )
        },
        contract.PATH_RENDER: {
            "post": _operation(
                "submitRender",
                "Start an export (a repeated id returns the same job)",
                {
                    "200": {
                        "description": "the job, or a render error",
                        "content": _json({"oneOf": [_ref("RenderSubmitted"), _ref("RenderError")]}),
                    },
                    **render_codes,
                },
                body=_json(_ref("RenderRequest")),
            )
        },
        contract.PATH_RENDER_STATUS: {
            "get": _operation(
                "renderStatus",
                "A render's status (mock default: both shapes at once)",
                {
                    "200": {
                        "description": "the status in any of the three shapes",
                        "content": _json(
                            {
                                "anyOf": [
                                    _ref("RenderStatusBoth"),
                                    _ref("RenderStatusNested"),
                                    _ref("RenderStatusFlat"),
                                    _ref("RenderError"),
                                ]
                            }
                        ),
                    },
                    **_refs("400", "401", "404"),
                },
                params=("RenderId",),
            )
        },
        contract.PATH_RENDER_CANCEL: {
            "post": _operation(
                "cancelRender",
                "Cancel a render",
                {
                    "200": {
                        "description": "the job, now cancelled (or already finished)",
                        "content": _json({"oneOf": [_ref("RenderSubmitted"), _ref("RenderError")]}),
                    },
                    **_refs("400", "401", "404"),
                },
                params=("RenderId",),
            )
        },
        contract.PATH_DOWNLOAD: {
            "get": _operation(
                "download",
                "The rendered MP4 (the mock serves a tiny valid one)",
                {
                    "200": {
                        "description": "H.264 MP4",
                        "content": {
                            "video/mp4": {
                                "schema": {"type": "string", "contentMediaType": "video/mp4"}
                            }
                        },
                    },
                    **_refs("400", "404", "409"),
                },
                params=("RenderId",),
                public=True,
            )
        },
    }


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Nemo AI video-editing API (as served by nemokit's mock)",
            "version": "1",
            "description": "The contract in CONTRACT.md. Business errors "
            "are HTTP 200 with a non-zero code by default; see ErrorCode.",
        },
        "servers": [{"url": contract.DEFAULT_API_URL}],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": f"{contract.TOKEN_PREFIX}…",
                }
            },
            "parameters": _parameters(),
            "responses": _responses(),
            "schemas": _schemas(),
        },
    }


def openapi_document() -> dict[str, Any]:
    """The document (a fresh copy each call, so a caller may change it)."""
    return copy.deepcopy(_document())
