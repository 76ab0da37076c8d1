"""``POST /api/upload-video/nemo_agent/me/{sid}``: multipart read as it streams, or JSON URLs.

The multipart body is fed chunk by chunk to python-multipart's push parser; nothing but the
first :data:`HEAD_BYTES` of each file (for metadata sniffing) and a running SHA-256 is kept.

- a file's type is checked from its name as soon as its part headers are parsed → 4001 at once;
- a file whose byte count passes ``MAX_UPLOAD_BYTES`` → 4002 at once, the rest unread;
- a ``Content-Length`` over the request cap → 4002 before reading anything;
- the request as a whole may carry at most ``MAX_UPLOAD_BYTES`` plus :data:`OVERHEAD` bytes
  (the mock's reading of "larger than 500 MB": one upload request, not one file, so an endless
  body ends too) and :data:`MAX_FILES` files;
- file names are reduced to a base name (no directories, drive letters or NUL);
- ``cdn_url`` is a URL under the mock's own base; the mock keeps no bytes, so it does not serve it.

Metadata goes to the session (``video_infos``); ``hash`` is the SHA-256 of the file's bytes (of
the URL for URL uploads). The list is ``files`` (default) or, with
``config.upload_list == "uploaded_files"``, the variant ``uploaded_files`` with ``url``.
"""

from __future__ import annotations

import hashlib
import posixpath
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response

from nemokit import contract

from .._media import sniff
from ._errors import ApiError, bad_request, ok
from ._requests_in import entry_of, mock_of, read_object, require_account, take

__all__ = ["HEAD_BYTES", "MAX_FILES", "OVERHEAD", "sanitize_filename", "upload"]

HEAD_BYTES = 64 * 1024
OVERHEAD = 1024 * 1024
MAX_FILES = 100
_FIELD = "files"
_FIELD_LIMIT = 64 * 1024


#: The longest file name accepted, in characters (what common file systems allow).
MAX_FILENAME = 255


def sanitize_filename(name: str) -> str:
    """The base name of ``name``: no directories, drive letters, NULs or dot-only names.

    A base name longer than :data:`MAX_FILENAME` is refused with a 400 naming the limit.
    """
    cleaned = name.replace("\x00", "").replace("\\", "/")
    base = posixpath.basename(cleaned.rstrip("/")).strip()
    base = base.split(":")[-1] if ":" in base else base
    if len(base) > MAX_FILENAME:
        raise bad_request(
            f"file name too long: {len(base)} characters (at most {MAX_FILENAME}): {base[:40]!r}..."
        )
    return base if base.strip(".") else "upload"


def _too_large(what: str) -> ApiError:
    limit_mb = contract.MAX_UPLOAD_BYTES // (1024 * 1024)
    return ApiError(contract.Code.FILE_TOO_LARGE, f"{what} is larger than {limit_mb} MB")


def _unsupported(filename: str) -> ApiError:
    accepted = " ".join(contract.ACCEPTED_EXTENSIONS)
    return ApiError(
        contract.Code.UNSUPPORTED_FILE_TYPE,
        f"unsupported file type: {filename!r}; accepted: {accepted}",
    )


@dataclass(slots=True)
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    size: int = 0
    head: bytearray = field(default_factory=bytearray)
    digest: Any = field(default_factory=hashlib.sha256)


@dataclass(slots=True)
class _Reader:
    """Callbacks for the push parser; raises ApiError from inside ``write`` to stop early."""

    parts: list[_Part] = field(default_factory=list)
    current: _Part | None = None
    field_name: bytearray = field(default_factory=bytearray)
    field_value: bytearray = field(default_factory=bytearray)

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self.begin,
            "on_header_field": lambda d, s, e: self.field_name.extend(d[s:e]),
            "on_header_value": lambda d, s, e: self.field_value.extend(d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.data,
        }

    def begin(self) -> None:
        if len(self.parts) >= MAX_FILES:
            raise bad_request(f"at most {MAX_FILES} parts per upload request")
        self.current = _Part()
        self.parts.append(self.current)

    def header_end(self) -> None:
        assert self.current is not None
        name = self.field_name.decode("latin-1").strip().lower()
        # latin-1 keeps the bytes as they came: parse_options_header encodes the value back to
        # latin-1, so a UTF-8 file name decoded here as UTF-8 used to crash it (a 500).
        self.current.headers[name] = self.field_value.decode("latin-1").strip()
        self.field_name.clear()
        self.field_value.clear()

    def headers_finished(self) -> None:
        part = self.current
        assert part is not None
        _, options = parse_options_header(part.headers.get("content-disposition", ""))
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        part.content_type = part.headers.get("content-type")
        if raw is not None:
            if part.name != _FIELD:
                raise bad_request(f"files go in the multipart field {_FIELD!r}, not {part.name!r}")
            part.filename = sanitize_filename(raw.decode("utf-8", "replace"))
            if contract.file_type_of(part.filename) is None:
                raise _unsupported(part.filename)
        elif part.name == _FIELD:
            raise bad_request("a 'files' part has no filename")

    def data(self, data: bytes, start: int, end: int) -> None:
        part = self.current
        assert part is not None
        chunk = data[start:end]
        part.size += len(chunk)
        if part.filename is None:
            if part.size > _FIELD_LIMIT:
                raise bad_request(f"form field {part.name!r} is over {_FIELD_LIMIT} bytes")
            return
        if part.size > contract.MAX_UPLOAD_BYTES:
            raise _too_large(f"file {part.filename!r}")
        part.digest.update(chunk)
        if len(part.head) < HEAD_BYTES:
            part.head.extend(chunk[: HEAD_BYTES - len(part.head)])


def _describe(
    request: Request, sid: str, filename: str, head: bytes, size: int, digest: str
) -> dict[str, Any]:
    meta = sniff(filename, head, size)
    base = str(request.base_url).rstrip("/")
    quoted = urllib.parse.quote(filename)
    return {
        "filename": filename,
        "file_type": contract.file_type_of(filename),
        "cdn_url": f"{base}/cdn/uploads/{sid}/{digest[:16]}/{quoted}",
        "duration": meta.get("duration"),
        "width": meta.get("width"),
        "height": meta.get("height"),
        "fps": meta.get("fps"),
        "hash": digest,
        "size": size,
    }


async def _multipart(request: Request, sid: str, boundary: bytes) -> list[dict[str, Any]]:
    reader = _Reader()
    try:
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    except ValueError as exc:
        raise bad_request(f"bad multipart boundary: {exc}") from None
    total = 0
    entry = entry_of(request)
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > contract.MAX_UPLOAD_BYTES + OVERHEAD:
                raise _too_large("the upload")
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise bad_request(f"malformed multipart body: {exc}") from None
    finally:
        if entry is not None:
            entry.body_kind = "multipart"
            entry.body = {"bytes_read": total, "parts": [_summary(p) for p in reader.parts]}
    files = [p for p in reader.parts if p.filename is not None]
    if not files:
        raise bad_request(f"no files: send them in the multipart field {_FIELD!r}")
    return [
        _describe(request, sid, p.filename or "", bytes(p.head), p.size, p.digest.hexdigest())
        for p in files
    ]


def _summary(part: _Part) -> dict[str, Any]:
    return {
        "name": part.name,
        "filename": part.filename,
        "content_type": part.content_type,
        "size": part.size,
    }


async def _urls(request: Request, sid: str) -> list[dict[str, Any]]:
    body = await read_object(request)
    urls = take(body, "urls", kind=list)
    source = take(body, "source_type", "sourceType", required=False)
    if source is not None and source != "url":
        raise bad_request(f"source_type must be 'url', got {source[:40]!r}")
    if not urls or len(urls) > MAX_FILES:
        raise bad_request(f"urls must list 1 to {MAX_FILES} URLs")
    described = []
    for url in urls:
        parsed = urllib.parse.urlsplit(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise bad_request(f"not an http(s) URL: {str(url)[:100]!r}")
        filename = sanitize_filename(urllib.parse.unquote(parsed.path)) or "upload"
        if contract.file_type_of(filename) is None:
            raise _unsupported(filename)
        digest = hashlib.sha256(url.encode()).hexdigest()
        described.append(_describe(request, sid, filename, b"", 0, digest))
    return described


async def upload(request: Request) -> Response:
    """Read the files (or URLs), record their metadata in the session, describe them."""
    account = require_account(request)
    server = mock_of(request)
    session = server.state.session_of(account, request.path_params["sid"])
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > contract.MAX_UPLOAD_BYTES + OVERHEAD:
        raise _too_large("the upload")
    media, options = parse_options_header(request.headers.get("content-type", ""))
    if media == b"multipart/form-data":
        boundary = options.get(b"boundary")
        if not boundary:
            raise bad_request("multipart/form-data without a boundary")
        files = await _multipart(request, session.session_id, boundary)
    elif media in (b"application/json", b"") or media.endswith(b"+json"):
        files = await _urls(request, session.session_id)
    else:
        raise bad_request(
            f"expected multipart/form-data (field 'files') or application/json "
            f"with urls, got {media.decode('latin-1')}",
            status=415,
        )
    server.state.add_uploads(session, files)
    if server.config.upload_list == "uploaded_files":
        renamed = [
            {**{k: v for k, v in f.items() if k != "cdn_url"}, "url": f["cdn_url"]} for f in files
        ]
        return ok({"uploaded_files": renamed, "session_state_applied": True})
    return ok({"files": files, "session_state_applied": True})
