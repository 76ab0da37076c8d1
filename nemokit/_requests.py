"""Builders of every request in the contract, as ``httpx.Request`` values (no I/O).

Every request carries the three attribution headers; every one but the anonymous-token call
carries ``Authorization: Bearer``. The token only ever goes into that header, never into a URL.
Ids that go into a path are percent-escaped, so an odd id cannot change which route is called.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict
from urllib.parse import quote

import httpx

from . import contract
from ._config import Config

__all__ = [
    "LazyFile",
    "RenderBody",
    "RunSseBody",
    "SessionBody",
    "anonymous_token",
    "cancel_render",
    "claim_token",
    "create_session",
    "credits",
    "download",
    "render_status",
    "run_sse",
    "same_origin",
    "state",
    "submit_render",
    "upload_files",
    "upload_urls",
]


class _SessionRequired(TypedDict):
    task_name: str


class SessionBody(_SessionRequired, total=False):
    language: str


class _Part(TypedDict):
    text: str


class _Message(TypedDict):
    parts: list[_Part]


class RunSseBody(TypedDict):
    app_name: str
    user_id: str
    session_id: str
    new_message: _Message


class RenderBody(TypedDict):
    id: str
    sessionId: str  # camelCase on the wire
    draft: dict[str, Any]
    output: dict[str, str]


DEFAULT_RENDER_OUTPUT: Mapping[str, str] = {"format": "mp4", "quality": "high"}


class LazyFile:
    """A file on disk that httpx's multipart encoder streams in chunks.

    It opens the file on the first read and closes it at its end, so building a request opens
    nothing and a 400 MB upload is never held in memory. ``seek``/``tell`` work without opening
    the file (httpx uses them for ``Content-Length`` and to rewind for a retried request).
    """

    def __init__(self, path: str | os.PathLike[str], size: int) -> None:
        self.path = pathlib.Path(path)
        self.name = self.path.name
        self.size = size
        self._position = 0
        self._handle: Any = None

    def read(self, size: int = -1) -> bytes:
        if self._handle is None:
            self._handle = self.path.open("rb")
            self._handle.seek(self._position)
        chunk: bytes = self._handle.read(size)
        self._position += len(chunk)
        if not chunk or size < 0:
            self.close()
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self.size}[whence]
        self._position = base + offset
        if self._handle is not None:
            self._handle.seek(self._position)
        return self._position

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __repr__(self) -> str:
        return f"LazyFile({str(self.path)!r}, size={self.size})"


def _url(config: Config, template: str, **ids: str) -> str:
    escaped = {name: quote(value, safe="") for name, value in ids.items()}
    return config.api_url + template.format(**escaped)


def _headers(config: Config, token: str | None) -> dict[str, str]:
    headers = {
        contract.HEADER_SKILL_SOURCE: config.skill_source,
        contract.HEADER_SKILL_VERSION: config.skill_version,
        contract.HEADER_SKILL_PLATFORM: config.skill_platform,
    }
    if token is not None:
        headers[contract.HEADER_AUTHORIZATION] = f"Bearer {token}"
    return headers


def anonymous_token(config: Config, client_id: str) -> httpx.Request:
    """``POST /api/auth/anonymous-token`` with ``X-Client-Id`` and no ``Authorization``."""
    headers = _headers(config, None) | {contract.HEADER_CLIENT_ID: client_id}
    return httpx.Request("POST", _url(config, contract.PATH_ANONYMOUS_TOKEN), headers=headers)


def create_session(config: Config, token: str, language: str | None = None) -> httpx.Request:
    """``POST /api/tasks/me/with-session/nemo_agent`` (each call makes a new session)."""
    body: SessionBody = {"task_name": "project"}
    if language:
        body["language"] = language
    return httpx.Request(
        "POST", _url(config, contract.PATH_SESSION), headers=_headers(config, token), json=body
    )


def claim_token(config: Config, token: str, task_id: str, session_id: str) -> httpx.Request:
    """``POST /api/auth/claim-token`` for the browser link of a project."""
    return httpx.Request(
        "POST",
        _url(config, contract.PATH_CLAIM_TOKEN),
        headers=_headers(config, token),
        json={"task_id": task_id, "session_id": session_id},
    )


def run_sse(config: Config, token: str, session_id: str, message: str) -> httpx.Request:
    """``POST /run_sse``: one user message; the answer is an event stream."""
    body: RunSseBody = {
        "app_name": contract.APP_NAME,
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": message}]},
    }
    headers = _headers(config, token) | {"Accept": "text/event-stream"}
    return httpx.Request("POST", _url(config, contract.PATH_RUN_SSE), headers=headers, json=body)


def upload_files(
    config: Config, token: str, session_id: str, files: Sequence[LazyFile]
) -> httpx.Request:
    """Multipart upload, one ``files`` field per file, streamed from disk by httpx."""
    return httpx.Request(
        "POST",
        _url(config, contract.PATH_UPLOAD, sid=session_id),
        headers=_headers(config, token),
        files=[("files", (file.name, file)) for file in files],  # type: ignore[misc]
    )


def upload_urls(config: Config, token: str, session_id: str, urls: Sequence[str]) -> httpx.Request:
    """Upload by URL: ``{"urls": [...], "source_type": "url"}``."""
    return httpx.Request(
        "POST",
        _url(config, contract.PATH_UPLOAD, sid=session_id),
        headers=_headers(config, token),
        json={"urls": list(urls), "source_type": "url"},
    )


def credits(config: Config, token: str) -> httpx.Request:
    """``GET /api/credits/balance/simple``."""
    return httpx.Request(
        "GET", _url(config, contract.PATH_CREDITS), headers=_headers(config, token)
    )


def state(config: Config, token: str, session_id: str) -> httpx.Request:
    """``GET /api/state/nemo_agent/me/{sid}/latest``."""
    url = _url(config, contract.PATH_STATE, sid=session_id)
    return httpx.Request("GET", url, headers=_headers(config, token))


def submit_render(
    config: Config,
    token: str,
    render_id: str,
    session_id: str,
    draft: Mapping[str, Any],
    output: Mapping[str, str] = DEFAULT_RENDER_OUTPUT,
) -> httpx.Request:
    """``POST /api/render/proxy/lambda`` (``sessionId`` is camelCase on the wire)."""
    body: RenderBody = {
        "id": render_id,
        "sessionId": session_id,
        "draft": dict(draft),
        "output": dict(output),
    }
    return httpx.Request(
        "POST", _url(config, contract.PATH_RENDER), headers=_headers(config, token), json=body
    )


def render_status(config: Config, token: str, render_id: str) -> httpx.Request:
    """``GET /api/render/proxy/lambda/{id}``."""
    url = _url(config, contract.PATH_RENDER_STATUS, id=render_id)
    return httpx.Request("GET", url, headers=_headers(config, token))


def cancel_render(config: Config, token: str, render_id: str) -> httpx.Request:
    """``POST /api/render/proxy/lambda/{id}/cancel``."""
    url = _url(config, contract.PATH_RENDER_CANCEL, id=render_id)
    return httpx.Request("POST", url, headers=_headers(config, token))


def same_origin(config: Config, url: str) -> bool:
    """Whether ``url`` (absolute or a path) is on the API's scheme, host and port."""
    target, api = httpx.URL(config.api_url).join(url), httpx.URL(config.api_url)
    return (target.scheme, target.host, target.port) == (api.scheme, api.host, api.port)


def download(config: Config, token: str | None, url: str) -> httpx.Request:
    """``GET`` an output URL (absolute, or a path on the API). The token is sent only to the
    API's own origin, never to a CDN. ``identity`` encoding: the bytes on the wire are the file.
    """
    target = httpx.URL(config.api_url).join(url)
    auth = token if same_origin(config, url) else None
    headers = _headers(config, auth) | {"Accept-Encoding": "identity"}
    return httpx.Request("GET", target, headers=headers)
