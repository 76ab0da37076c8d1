"""What a cassette keeps of a request and of a body, worked out from the bytes.

JSON and text bodies are kept as values, binary bodies as size + SHA-256 (with the bytes only up
to :data:`KEEP_BINARY_BYTES`), multipart bodies as a summary of their parts; only the headers
that matter are kept. Everything goes through the :class:`~conformance.cassettes._redact.Redactor` first.
"""

from __future__ import annotations

import hashlib
import json
import re

import httpx

from ._cassette import (
    BinaryBody,
    Body,
    JsonBody,
    MultipartBody,
    MultipartPart,
    RecordedRequest,
    TextBody,
)
from ._redact import Redactor

#: Binary bodies larger than this are stored as size and SHA-256 only.
KEEP_BINARY_BYTES = 64 * 1024
#: Bodies are held in memory up to this size to be summarised; beyond it only size and hash.
_BUFFER_LIMIT = 16 * 1024 * 1024
#: Request and response headers worth keeping (the rest is transport detail or noise).
REQUEST_HEADERS = ("accept", "authorization", "content-type", "x-client-id",
                   "x-skill-platform", "x-skill-source", "x-skill-version")  # fmt: skip
RESPONSE_HEADERS = ("content-disposition", "content-type", "location", "retry-after")
_TEXTUAL = re.compile(r"^(text/|application/(json|[\w.+-]*\+json|x-www-form-urlencoded|xml))")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


class BodySink:
    """Bytes fed in pieces: counted and hashed as they come, kept up to a limit."""

    def __init__(self, limit: int = _BUFFER_LIMIT) -> None:
        self.size = 0
        self._hash = hashlib.sha256()
        self._parts: list[bytes] = []
        self._limit = limit

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        self._hash.update(chunk)
        if self.size <= self._limit:
            self._parts.append(chunk)

    @property
    def complete(self) -> bool:
        """All bytes are held (the body was not over the limit)."""
        return self.size <= self._limit

    def data(self) -> bytes:
        return b"".join(self._parts)

    def sha256(self) -> str:
        return self._hash.hexdigest()


def capture_body(
    sink: BodySink, content_type: str | None, redactor: Redactor, *, keep: int = KEEP_BINARY_BYTES
) -> Body:
    """What a cassette keeps of a body: JSON value, text, multipart summary or binary summary."""
    if sink.size == 0:
        return None
    if not sink.complete:
        return BinaryBody(size=sink.size, sha256=sink.sha256())
    data, kind = sink.data(), (content_type or "").lower()
    boundary = _BOUNDARY.search(kind) if kind.startswith("multipart/") else None
    if boundary is not None:
        parts = _multipart_parts(data, boundary.group(1).encode("latin-1"), redactor)
        if parts is not None:
            return MultipartBody(parts)
    if not kind or _TEXTUAL.match(kind):
        textual = _textual_body(data, redactor)
        if textual is not None:
            return textual
    kept = data if len(data) <= keep else None
    return BinaryBody(size=sink.size, sha256=sink.sha256(), data=kept)


def _textual_body(data: bytes, redactor: Redactor) -> Body:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return JsonBody(redactor.json(json.loads(text)))
    except ValueError:
        return TextBody(redactor.text(text))


def _multipart_parts(
    data: bytes, boundary: bytes, redactor: Redactor
) -> tuple[MultipartPart, ...] | None:
    """The parts of a multipart body, or ``None`` if it does not parse."""
    chunks = data.split(b"--" + boundary)
    if len(chunks) < 3:
        return None
    parts = []
    for chunk in chunks[1:-1]:
        head, sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            return None
        parts.append(
            _part(head.decode("utf-8", "replace"), content.removesuffix(b"\r\n"), redactor)
        )
    return tuple(parts)


def _part(head: str, content: bytes, redactor: Redactor) -> MultipartPart:
    disposition = re.search(r"(?im)^content-disposition:(.*)$", head)
    ctype = re.search(r"(?im)^content-type:\s*(.*?)\s*$", head)
    params = disposition.group(1) if disposition else ""
    name = re.search(r'\bname="([^"]*)"', params)
    filename = re.search(r'\bfilename="([^"]*)"', params)
    return MultipartPart(
        name=redactor.text(name.group(1)) if name else "",
        filename=redactor.text(filename.group(1)) if filename else None,
        content_type=ctype.group(1) if ctype else None,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def capture_request(request: httpx.Request, sink: BodySink, redactor: Redactor) -> RecordedRequest:
    """A request as a cassette keeps it (``sink`` holds its body)."""
    query: dict[str, list[str]] = {}
    for key, value in request.url.params.multi_items():
        query.setdefault(redactor.text(key), []).append(redactor.text(value))
    headers = {k: v for k, v in request.headers.items() if k in REQUEST_HEADERS}
    if headers.get("content-type", "").startswith("multipart/"):
        # The boundary is random: keep the kind only, so re-recording gives the same bytes.
        headers["content-type"] = headers["content-type"].split(";")[0]
    return RecordedRequest(
        method=request.method.upper(),
        path=redactor.text(request.url.path),
        query=query,
        headers=redactor.headers(headers),
        body=capture_body(sink, request.headers.get("content-type"), redactor),
    )
