"""The body types of a recorded request or response, and their tagged JSON form.

A body is ``None`` (empty) or one of :class:`JsonBody`, :class:`TextBody`, :class:`BinaryBody`
(bytes kept only when small) and :class:`MultipartBody` (a summary of the parts: multipart
boundaries are random, so the bytes could neither match nor stay stable). In JSON each is one
tagged object (``{"json": ...}``, ``{"text": ...}``, ``{"binary": ...}``, ``{"multipart": ...}``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, TypeAlias

from ._cassette_schema import JSON, _check, _get, _SchemaError


@dataclass(frozen=True, slots=True)
class JsonBody:
    """A body that was valid JSON (stored as the value: a diff shows the fields)."""

    value: JSON


@dataclass(frozen=True, slots=True)
class TextBody:
    """A text body that is not JSON."""

    text: str


@dataclass(frozen=True, slots=True)
class BinaryBody:
    """Bytes: always their size and SHA-256, the bytes themselves only when small."""

    size: int
    sha256: str
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class MultipartPart:
    """One part of a multipart body, summarised."""

    name: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class MultipartBody:
    """A multipart body as the list of its parts (the boundary is random, so not kept)."""

    parts: tuple[MultipartPart, ...]


Body: TypeAlias = JsonBody | TextBody | BinaryBody | MultipartBody | None


def body_to_json(body: Body) -> JSON:
    """The tagged JSON form of a body (``None`` for an empty one)."""
    if isinstance(body, JsonBody):
        return {"json": body.value}
    if isinstance(body, TextBody):
        return {"text": body.text}
    if isinstance(body, BinaryBody):
        out: dict[str, Any] = {"size": body.size, "sha256": body.sha256}
        if body.data is not None:
            out["base64"] = base64.b64encode(body.data).decode("ascii")
        return {"binary": out}
    if isinstance(body, MultipartBody):
        return {"multipart": [_part_to_json(part) for part in body.parts]}
    return None


def _part_to_json(part: MultipartPart) -> JSON:
    return {"name": part.name, "filename": part.filename, "content_type": part.content_type,
            "size": part.size, "sha256": part.sha256}  # fmt: skip


def body_from_json(value: Any, where: str) -> Body:
    """Read a tagged body; ``where`` is its JSON path, for errors."""
    if value is None:
        return None
    obj = _check(value, dict, where)
    if len(obj) != 1 or next(iter(obj)) not in _BODY_KINDS:
        kinds = ", ".join(_BODY_KINDS)
        raise _SchemaError(where, f"expected one of {kinds} as the only key, found {sorted(obj)}")
    kind, inner = next(iter(obj.items()))
    body: Body = _BODY_KINDS[kind](inner, f"{where}.{kind}")
    return body


def _binary_from_json(value: Any, where: str) -> BinaryBody:
    obj = _check(value, dict, where)
    data = _get(obj, "base64", where, str, optional=True)
    try:
        raw = None if data is None else base64.b64decode(data, validate=True)
    except binascii.Error:
        raise _SchemaError(f"{where}.base64", "not valid base64") from None
    size = _get(obj, "size", where, int)
    if raw is not None and len(raw) != size:
        raise _SchemaError(f"{where}.size", f"says {size} but base64 holds {len(raw)} bytes")
    return BinaryBody(size=size, sha256=_get(obj, "sha256", where, str), data=raw)


def _multipart_from_json(value: Any, where: str) -> MultipartBody:
    parts = []
    for i, item in enumerate(_check(value, list, where)):
        at = f"{where}[{i}]"
        obj = _check(item, dict, at)
        parts.append(
            MultipartPart(
                name=_get(obj, "name", at, str),
                filename=_get(obj, "filename", at, str, optional=True),
                content_type=_get(obj, "content_type", at, str, optional=True),
                size=_get(obj, "size", at, int),
                sha256=_get(obj, "sha256", at, str),
            )
        )
    return MultipartBody(tuple(parts))


_BODY_KINDS: dict[str, Any] = {
    "json": lambda value, where: JsonBody(value),
    "text": lambda value, where: TextBody(_check(value, str, where)),
    "binary": _binary_from_json,
    "multipart": _multipart_from_json,
}
