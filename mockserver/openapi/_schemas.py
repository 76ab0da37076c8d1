"""The component schemas of the mock's OpenAPI document: envelopes, data and request bodies.

Both envelopes and every response body variant the contract lists (both upload shapes, the three
render status shapes), plus the request bodies, constrained as the mock checks them so that a
schema-valid request is one the mock accepts. The event schemas come from
:mod:`._events`.
"""

from __future__ import annotations

import copy

from nemokit import contract

from ._common import (
    _APP,
    _CODES,
    _ID,
    _INT,
    _NOT_BLANK,
    _NULLABLE_NUM,
    _NULLABLE_STR,
    _NUM,
    _RENDER_ID,
    _STR,
    Schema,
    _obj,
    _one_spelling,
    _ref,
)
from ._events import _event_schemas


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
    # Either spelling of a key is accepted (the contract: the server also takes camelCase);
    # both at once are refused with a 400, since they could disagree.
    both = "Each key in snake_case or camelCase; never both spellings of one key (HTTP 400)."
    task_name = {"type": "string", "example": "project", **_ID}
    return {
        "SessionRequest": {
            **_obj(
                [],
                task_name=task_name,
                taskName=task_name,
                language={"type": ["string", "null"], "description": "ISO code", "maxLength": 35},
            ),
            "description": both,
            "allOf": _one_spelling(("task_name", "taskName"), required=("task_name",)),
        },
        "ClaimRequest": {
            **_obj([], task_id=_ID, taskId=_ID, session_id=_ID, sessionId=_ID),
            "description": both,
            "allOf": _one_spelling(
                ("task_id", "taskId"),
                ("session_id", "sessionId"),
                required=("task_id", "session_id"),
            ),
        },
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
            "description": both,
            "allOf": _one_spelling(
                ("app_name", "appName"),
                ("user_id", "userId"),
                ("session_id", "sessionId"),
                ("new_message", "newMessage"),
                required=("session_id", "new_message"),
            ),
        },
        "Message": message,
        "UploadUrls": {
            **_obj(
                ["urls"],
                urls={"type": "array", "items": {"type": "string", "format": "uri"}},
                source_type={"enum": ["url", None]},
                sourceType={"enum": ["url", None]},
            ),
            "description": both,
            "allOf": _one_spelling(("source_type", "sourceType")),
        },
        "UploadFiles": _obj(
            ["files"],
            files={
                "type": "array",
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
            },
        ),
        "RenderRequest": {
            **_obj(
                ["id", "draft"],
                id={**_RENDER_ID, "example": "render_1767225600"},
                sessionId=_ID,
                session_id=_ID,
                draft=_ref("Draft"),
                output={
                    **_obj([], format={"const": "mp4"}, quality=_STR),
                    "type": ["object", "null"],
                },
            ),
            "description": "sessionId is camelCase on the wire (session_id is accepted too; "
            "never both, HTTP 400)",
            "allOf": _one_spelling(("session_id", "sessionId"), required=("session_id",)),
        },
    }
