"""The paths of the mock's OpenAPI document, with their parameters and shared responses.

Every contract endpoint (never ``/__admin/``), its operation, parameters (the attribution
headers on every request, X-Client-Id on the token call) and responses: each ``200`` of an
enveloped endpoint is ``oneOf`` success or error, and the ``http_status`` style's statuses are
responses of their own.
"""

from __future__ import annotations

from nemokit import contract

from ._common import _CODES, _INT, _NOT_BLANK, _RENDER_ID, _STR, Schema, _obj, _ref

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
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": contract.CLIENT_ID_MAX_LENGTH,
            "pattern": _NOT_BLANK,
        },
        "description": "a UUID kept by the client; missing, blank or longer than "
        f"{contract.CLIENT_ID_MAX_LENGTH} characters → HTTP 400",
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


#: Body limits the mock enforces (OpenAPI has no keyword for a body's size).
_BODY_LIMIT = "A JSON body of at most 1 MiB (1,048,576 bytes); larger → HTTP 413."
_UPLOAD_LIMIT = (
    f"Files up to {contract.MAX_UPLOAD_BYTES // (1024 * 1024)} MB (larger → 4002, refused while "
    "streaming); a JSON body of at most 1 MiB (larger → HTTP 413)."
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
        operation["requestBody"] = {
            "required": True,
            "content": body,
            "description": _UPLOAD_LIMIT if "multipart/form-data" in body else _BODY_LIMIT,
        }
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
