"""``Nemo``: the synchronous client. It only sends, reads and sleeps; :class:`~nemokit._core.Core`
decides everything."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import httpx

from ._clock import Clock, SystemClock
from ._config import DEFAULT_TIMEOUT, Config
from ._core import Core
from ._flow import SyncDriver
from ._models import Credits, RenderJob, SessionInfo, SessionState, TokenInfo, UploadedFile

__all__ = ["Nemo", "build_config"]


def build_config(
    token: str | None,
    env: Mapping[str, str] | None,
    timeout: float,
    **settings: Any,
) -> Config:
    """The :class:`Config` for a client's constructor arguments (``None`` means "not given")."""
    return Config.from_env(env, token=token, timeout=timeout, **settings)


class Nemo:
    """A synchronous client for the Nemo AI video-editing API.

    Every method runs one flow of :class:`~nemokit._core.Core`, which holds the token and the
    session and applies the contract's rules: an anonymous token is fetched on first use (and
    renewed once if it expires), a rate limit is waited out once, a lost session is replaced
    where that is safe, and errors arrive as :class:`~nemokit.NemoError` subclasses.

    Settings come from the arguments, then the environment (``NEMO_TOKEN``, ``NEMO_API_URL``,
    ``NEMO_WEB_URL``, ``NEMO_CLIENT_ID``, ``SKILL_SOURCE``), then the contract's defaults.

    :param token: a token to use instead of an anonymous one (never shown in a repr or error).
    :param api_url: the API's base URL.
    :param web_url: the web app's URL, for claim and registration links.
    :param client_id: the ``X-Client-Id`` (by default an id kept in ``client_id_path``).
    :param client_id_path: where the client id is kept (``~/.config/nemovideo/client_id``).
    :param skill_source: the ``X-Skill-Source`` header (``ai-video-editor-link``).
    :param skill_platform: the ``X-Skill-Platform`` header (detected by default).
    :param transport: an httpx transport: the mock in process, a cassette, or the network.
    :param clock: the clock every wait uses (:class:`~nemokit.SystemClock` by default; a
        :class:`~nemokit.VirtualClock` makes a 30 s wait take no time).
    :param timeout: seconds per network operation.
    :param env: the environment to read instead of ``os.environ``.
    :param render_ids: makes the id of each new render (``render_<ms>_<hex>`` from wall time by
        default); a recording passes one driven by its virtual clock so ids are reproducible.

    Use it as a context manager, or call :meth:`close`::

        with Nemo(transport=transport) as nemo:
            session = nemo.connect()
            print(nemo.credits().available)
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        api_url: str | None = None,
        web_url: str | None = None,
        client_id: str | None = None,
        client_id_path: str | os.PathLike[str] | None = None,
        skill_source: str | None = None,
        skill_platform: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        env: Mapping[str, str] | None = None,
        render_ids: Callable[[], str] | None = None,
    ) -> None:
        self.config = build_config(
            token,
            env,
            timeout,
            api_url=api_url,
            web_url=web_url,
            client_id=client_id,
            client_id_path=client_id_path,
            skill_source=skill_source,
            skill_platform=skill_platform,
        )
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.core = Core(self.config, self.clock, render_ids=render_ids)
        self.http = httpx.Client(
            transport=transport, timeout=self.config.timeout, follow_redirects=True
        )
        self.driver = SyncDriver(self.http, self.clock)

    def __repr__(self) -> str:
        return f"Nemo({self.core!r})"

    def __enter__(self) -> Nemo:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections. A render still running goes on without this client."""
        self.http.close()

    def connect(self, language: str | None = None) -> SessionInfo:
        """Get a token (an anonymous one unless given) and open a session if none is open.

        :param language: the session's ISO language code, e.g. ``"en"`` (optional).
        """
        return self.driver.run(self.core.ensure_session(language))

    def anonymous_token(self) -> TokenInfo:
        """Fetch a new anonymous token for this client id and use it from now on."""
        return self.driver.run(self.core.anonymous_token())

    def new_session(self, language: str | None = None) -> SessionInfo:
        """Open a new editing session (the previous one stays on the server)."""
        return self.driver.run(self.core.new_session(language))

    def claim_link(self) -> str:
        """The browser link that opens this project (``…/workspace/claim?ct=…``)."""
        return self.driver.run(self.core.claim_link())

    def upload(
        self, *paths: str | os.PathLike[str], urls: tuple[str, ...] | list[str] = ()
    ) -> list[UploadedFile]:
        """Upload local files (streamed, never read into memory) and/or URLs to the session.

        Each file's type and size are checked before anything is sent:
        :class:`~nemokit.LocalUnsupportedFileType` or :class:`~nemokit.LocalFileTooLarge`.
        """
        return self.driver.run(self.core.upload(paths, tuple(urls)))

    def credits(self) -> Credits:
        """The credit balance: ``available``, ``frozen`` (held by work in progress), ``total``."""
        return self.driver.run(self.core.credits())

    def state(self) -> SessionState:
        """The session's latest state; ``.draft`` is the timeline."""
        return self.driver.run(self.core.state())

    def submit_render(self, draft: Mapping[str, Any], render_id: str | None = None) -> RenderJob:
        """Start exporting ``draft`` as MP4 (retried once with a new id if submitting fails)."""
        return self.driver.run(self.core.submit_render(draft, render_id))

    def render_status(self, render_id: str) -> RenderJob:
        """An export's status, progress (0–100) and, when completed, its output URL."""
        return self.driver.run(self.core.render_status(render_id))

    def cancel_render(self, render_id: str) -> RenderJob:
        """Cancel an export."""
        return self.driver.run(self.core.cancel_render(render_id))

    def download(self, url: str, dest: str | os.PathLike[str]) -> pathlib.Path:
        """Save ``url`` to ``dest`` (a file path or a folder); returns the file's path.

        The file appears only when complete (it is written beside ``dest`` and renamed).
        """
        return self.driver.run(self.core.download(url, dest))
