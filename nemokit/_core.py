"""``Core``: the client's auth and session state, and one flow per endpoint.

Every method is a flow (see :mod:`nemokit._flow`): written once, driven by :class:`~nemokit.Nemo`
and :class:`~nemokit.AsyncNemo`. Requests come from :mod:`._requests`, responses are read by
:mod:`._responses`, and :func:`._retry.decide` says what to do about an error; waits are ``Sleep``
steps, so tests run them on a virtual clock. The flows' only I/O steps are the module functions
:func:`send`, :func:`read_chunk` and :func:`drain`: they hold no state and turn a transport
failure into a :class:`~nemokit.NemoConnectionError` naming the host.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pathlib
import secrets
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from . import _requests as rq
from . import contract
from ._clock import Clock
from ._config import Config, TokenSource, save_client_id
from ._errors import APIError, ConfigurationError, NemoConnectionError, NemoError, OutOfCredits
from ._files import checked_file, checked_url, download_target, save_atomically
from ._flow import Close, Flow, Read, Send, Sleep
from ._models import (
    Credits,
    RenderJob,
    SavedSession,
    SessionInfo,
    SessionState,
    TokenInfo,
    UploadedFile,
    uploaded_files_from,
)
from ._responses import claim_token_of, error_in, is_json, not_a_stream, read_cancel, read_value
from ._retry import Attempt, RetryPolicy, decide, resubmit_render

__all__ = ["Core", "drain", "read_chunk", "send"]

logger = logging.getLogger("nemokit")
T = TypeVar("T")

#: The only refusals of ``/run_sse`` that may be retried: they come before the stream starts.
_TURN_RETRYABLE = frozenset(
    {contract.Code.RATE_LIMITED, contract.Code.TOKEN_INVALID, contract.Code.SESSION_NOT_FOUND}
)
#: How much of a refused stream's body is read to find out why (an error body is small).
ERROR_BODY_LIMIT = 1024 * 1024


class Core:
    """Auth and session state plus one flow per endpoint, with the contract's retry rules.

    ``token_source`` is ``"argument"`` or ``"env"`` for a token the user gave (reported when
    refused, never replaced) and ``"anonymous"`` for one this core fetched (renewed on 1001).
    """

    def __init__(
        self,
        config: Config,
        clock: Clock,
        policy: RetryPolicy | None = None,
        *,
        render_ids: Callable[[], str] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.user_id: str | None = None
        self.session_id: str | None = None
        self.task_id: str | None = None
        self.token_source: TokenSource | None = config.token_source if config.token else None
        self._token = config.token
        self._client_id = config.client_id
        self._language: str | None = None
        self._last_render_ms = 0
        self._render_ids = render_ids if render_ids is not None else self._wall_render_id

    def __repr__(self) -> str:
        token = "<set>" if self._token else "None"
        return (
            f"Core(api_url={self.config.api_url!r}, token={token}, "
            f"token_source={self.token_source!r}, user_id={self.user_id!r}, "
            f"session_id={self.session_id!r})"
        )

    @property
    def has_token(self) -> bool:
        """Whether a token is at hand (the token itself is never exposed)."""
        return self._token is not None

    def saved(self) -> SavedSession:
        """The session and, when it is an anonymous one this core fetched, its token, for
        :meth:`restore` in a later process."""
        anonymous = self.token_source == "anonymous"
        return SavedSession(
            token=self._token if anonymous else None,
            user_id=self.user_id,
            session_id=self.session_id,
            task_id=self.task_id,
        )

    def restore(self, saved: SavedSession) -> None:
        """Pick up a session kept by :meth:`saved`. A saved token is treated as anonymous
        (renewed with the same client id on 1001), unless the user gave a token of their own,
        which wins."""
        if saved.token and self.token_source not in ("argument", "env"):
            self._token = saved.token
            self.token_source = "anonymous"
        self.user_id = saved.user_id
        self.session_id = saved.session_id
        self.task_id = saved.task_id

    @property
    def client_id(self) -> str:
        """The ``X-Client-Id``: explicit, else persisted (made once on first use)."""
        if self._client_id is None:
            self._client_id = self.config.resolve_client_id()
        return self._client_id

    def register_url(self) -> str | None:
        """``$NEMO_WEB_URL/register?bind=<user_id>`` for an anonymous user, else ``None``."""
        anonymous = self.token_source == "anonymous" or (
            self.user_id is not None and self.user_id.startswith(contract.USER_ID_PREFIX)
        )
        if not anonymous or not self.user_id:
            return None
        bind = quote(self.user_id, safe="")
        return self.config.web_url + contract.REGISTER_PATH.format(user_id=bind)

    # --- auth and session -------------------------------------------------------------------------

    def ensure_token(self) -> Flow[None]:
        """Fetch an anonymous token unless one is at hand."""
        if self._token is None:
            yield from self.anonymous_token()

    def anonymous_token(self) -> Flow[TokenInfo]:
        """A new anonymous token for this client id (the same id gets the same account back)."""
        attempt = Attempt(sends_client_id=True, uses_token=False)
        info = yield from self._call(
            lambda: rq.anonymous_token(self.config, self.client_id),
            partial(read_value, parse=TokenInfo.from_data),
            attempt,
        )
        self._token, self.user_id, self.token_source = info.token, info.user_id, "anonymous"
        return info

    def new_session(self, language: str | None = None) -> Flow[SessionInfo]:
        """A new editing session (safe to retry: each call makes a new one)."""
        yield from self.ensure_token()
        if language is not None:
            self._language = language
        info = yield from self._call(
            lambda: rq.create_session(self.config, self._auth(), self._language),
            partial(read_value, parse=SessionInfo.from_data),
            Attempt(),
        )
        self.session_id, self.task_id = info.session_id, info.task_id or None
        self.user_id = info.user_id or self.user_id
        return info

    def ensure_session(self, language: str | None = None) -> Flow[SessionInfo]:
        """The current session, or a new one (getting a token first if needed)."""
        if self.session_id is None:
            return (yield from self.new_session(language))
        return SessionInfo(self.session_id, self.task_id or "", self.user_id or "")

    def claim_link(self) -> Flow[str]:
        """The browser link of the project: ``$NEMO_WEB_URL/workspace/claim?ct=<claim token>``."""
        yield from self.ensure_session()
        claim = yield from self._call(
            lambda: rq.claim_token(self.config, self._auth(), self.task_id or "", self._sid()),
            partial(read_value, parse=claim_token_of),
            Attempt(session_safe=True),
        )
        return self.config.web_url + contract.CLAIM_PATH.format(claim_token=quote(claim, safe=""))

    # --- reading ----------------------------------------------------------------------------------

    def credits(self) -> Flow[Credits]:
        """The balance (``available``, ``frozen``, ``total``)."""
        yield from self.ensure_token()
        return (
            yield from self._call(
                lambda: rq.credits(self.config, self._auth()),
                partial(read_value, parse=Credits.from_data),
                Attempt(),
            )
        )

    def state(self) -> Flow[SessionState]:
        """The session's latest state. A lost session is reported, not replaced (the caller
        wants *this* session's state)."""
        yield from self.ensure_session()
        return (
            yield from self._call(
                lambda: rq.state(self.config, self._auth(), self._sid()),
                partial(read_value, parse=partial(SessionState.from_data, session_id=self._sid())),
                Attempt(),
            )
        )

    # --- upload -----------------------------------------------------------------------------------

    def upload(
        self, paths: Sequence[str | os.PathLike[str]] = (), urls: Sequence[str] = ()
    ) -> Flow[list[UploadedFile]]:
        """Upload files (multipart, streamed from disk) and/or URLs. Every file is checked for
        type and size before anything is sent."""
        files = [checked_file(path) for path in paths]
        links = [checked_url(url) for url in urls]
        if not files and not links:
            raise ConfigurationError("nothing to upload: give at least one file path or URL")
        yield from self.ensure_session()
        uploaded: list[UploadedFile] = []
        read = partial(read_value, parse=uploaded_files_from)
        if files:
            try:
                build = lambda: rq.upload_files(self.config, self._auth(), self._sid(), files)  # noqa: E731
                uploaded += yield from self._call(build, read, Attempt(session_safe=True))
            finally:
                for file in files:
                    file.close()
        if links:
            build = lambda: rq.upload_urls(self.config, self._auth(), self._sid(), links)  # noqa: E731
            uploaded += yield from self._call(build, read, Attempt(session_safe=True))
        return uploaded

    # --- the turn ---------------------------------------------------------------------------------

    def open_turn(self, message: str) -> Flow[httpx.Response]:
        """Send ``message`` to ``/run_sse`` and return the streaming 200 response (body unread).

        Only a refusal before the stream (429, 1001, 1002) is retried; once an event stream is
        returned the message is never sent again, by anyone.
        """
        if not message.strip():
            raise ConfigurationError("the message is empty")
        yield from self.ensure_session()
        attempt = Attempt(session_safe=True)
        while True:
            request = rq.run_sse(self.config, self._auth(), self._sid(), message)
            response = yield from send(request, stream=True)
            if response.is_success and not is_json(response):
                return response
            refused = yield from drain(response)
            error = error_in(refused) or not_a_stream(refused)
            if error.code not in _TURN_RETRYABLE:
                raise self._final(error)
            attempt = yield from self._recover(error, attempt)

    # --- exports ----------------------------------------------------------------------------------

    def submit_render(
        self, draft: Mapping[str, Any], render_id: str | None = None
    ) -> Flow[RenderJob]:
        """Start an export of ``draft``. A failed submission is retried once with a *new* id
        (a repeated id returns the existing job, so only a new id is a real second try)."""
        yield from self.ensure_session()
        try:
            return (yield from self._submit(draft, render_id or self._new_render_id()))
        except NemoError as error:
            if not resubmit_render(error):
                raise
            logger.info("render submission failed (%s); retrying once with a new id", error)
        return (yield from self._submit(draft, self._new_render_id()))

    def _submit(self, draft: Mapping[str, Any], render_id: str) -> Flow[RenderJob]:
        parse = partial(RenderJob.from_data, render_id=render_id)
        return (
            yield from self._call(
                lambda: rq.submit_render(self.config, self._auth(), render_id, self._sid(), draft),
                partial(read_value, parse=parse, kind="render"),
                Attempt(),
            )
        )

    def render_status(self, render_id: str) -> Flow[RenderJob]:
        """The job's status, progress (0–100) and output URL, read from either shape."""
        yield from self.ensure_token()
        parse = partial(RenderJob.from_data, render_id=render_id)
        return (
            yield from self._call(
                lambda: rq.render_status(self.config, self._auth(), render_id),
                partial(read_value, parse=parse, kind="render"),
                Attempt(),
            )
        )

    def cancel_render(self, render_id: str) -> Flow[RenderJob]:
        """Cancel a job; a body without a status reads as ``cancelled``."""
        yield from self.ensure_token()
        return (
            yield from self._call(
                lambda: rq.cancel_render(self.config, self._auth(), render_id),
                partial(read_cancel, render_id=render_id),
                Attempt(),
            )
        )

    def download(self, url: str, dest: str | os.PathLike[str]) -> Flow[pathlib.Path]:
        """Stream ``url`` into ``dest`` (a file, or a folder to put it in). The bytes go to a
        temporary file beside it, renamed at the end: a failure leaves nothing half-written."""
        target = download_target(url, dest)
        own = rq.same_origin(self.config, url)
        if own:
            yield from self.ensure_token()
        attempt = Attempt()
        while True:
            request = rq.download(self.config, self._auth() if own else None, url)
            response = yield from send(request, stream=True)
            if response.is_success:
                return (yield from save_atomically(response, target, read_chunk))
            refused = yield from drain(response)
            error = error_in(refused, kind="raw") or not_a_stream(refused)
            attempt = yield from self._recover(error, attempt)

    # --- plumbing ---------------------------------------------------------------------------------

    def _call(
        self,
        build: Callable[[], httpx.Request],
        read: Callable[[httpx.Response], T],
        attempt: Attempt,
    ) -> Flow[T]:
        """Send what ``build`` makes (again after each recovery) until ``read`` accepts it."""
        while True:
            response = yield from send(build())
            try:
                return read(response)
            except APIError as error:
                attempt = yield from self._recover(error, attempt)

    def _recover(self, error: APIError, attempt: Attempt) -> Flow[Attempt]:
        """Do what the policy says before a retry, or raise ``error`` (made final)."""
        current = dataclasses.replace(attempt, token_source=self.token_source)
        decision = decide(error, current, self.policy)
        if not decision.retry:
            raise self._final(error)
        logger.info("%s (%s); retrying once", decision.reason, error.code)
        if decision.wait > 0:
            yield Sleep(decision.wait)
        if decision.reauth:
            yield from self.anonymous_token()
        if decision.new_session:
            yield from self.new_session()
        if decision.new_client_id:
            self._client_id = str(uuid.uuid4())
            if self.config.client_id is None:
                save_client_id(self.config.client_id_path, self._client_id)
        return attempt.after(error)

    def _final(self, error: APIError) -> APIError:
        if isinstance(error, OutOfCredits) and error.register_url is None:
            error.register_url = self.register_url()
        return error

    def _auth(self) -> str:
        if self._token is None:  # every caller ensured a token first; this is a bug guard
            raise ConfigurationError("no token: connect first")
        return self._token

    def _sid(self) -> str:
        if self.session_id is None:
            raise ConfigurationError("no session: connect first")
        return self.session_id

    def _new_render_id(self) -> str:
        return self._render_ids()

    def _wall_render_id(self) -> str:
        # Unique across runs and cores sharing one server: a repeated id would return another
        # job. Wall time (not the clock, which is virtual in tests) plus a random suffix.
        millis = max(time.time_ns() // 1_000_000, self._last_render_ms + 1)
        self._last_render_ms = millis
        return f"render_{millis}_{secrets.token_hex(3)}"


# --- the flows' I/O steps -------------------------------------------------------------------------


def send(request: httpx.Request, stream: bool = False) -> Flow[httpx.Response]:
    """Send ``request``; a transport failure becomes a :class:`NemoConnectionError`."""
    try:
        response: httpx.Response = yield Send(request, stream=stream)
    except httpx.TransportError as exc:
        raise connection_error(exc, request) from exc
    return response


def read_chunk(response: httpx.Response) -> Flow[bytes]:
    """The next chunk of a streamed body (empty at the end)."""
    try:
        chunk: bytes = yield Read(response)
    except httpx.TransportError as exc:
        raise connection_error(exc, response.request) from exc
    return chunk


def drain(response: httpx.Response) -> Flow[httpx.Response]:
    """Read a refused streaming response's body, close it, and return it as a read one."""
    body = bytearray()
    try:
        while len(body) < ERROR_BODY_LIMIT and (chunk := (yield from read_chunk(response))):
            body += chunk
    except GeneratorExit:
        raise
    except BaseException:
        yield Close(response)
        raise
    yield Close(response)
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        content=bytes(body),
        request=response.request,
    )


def connection_error(exc: httpx.TransportError, request: httpx.Request) -> NemoConnectionError:
    """A transport failure as the client reports it: what failed and where (no token)."""
    what = type(exc).__name__
    detail = f": {exc}" if str(exc) else ""
    message = (
        f"could not reach {request.url.scheme}://{request.url.netloc.decode()} ({what}{detail})"
    )
    return NemoConnectionError(message, request=request)
