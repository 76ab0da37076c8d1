"""The high-level conversation: what the user types or sends → routes → flows → views.

The logic is written once, as flows (:meth:`_Conversation.handle`), and driven twice:
:class:`Conversation` with a ``Nemo``'s ``SyncDriver`` and :class:`AsyncConversation` with an
``AsyncNemo``'s ``AsyncDriver``. The CLI prints the views; the conformance suite judges them
together with the mock's journal.

Rules kept here (from the contract's routing and translation tables):

- export, credits, state and upload never reach ``/run_sse``; everything else is one turn;
- the backend's GUI instructions become actions: export → the export workflow, open/preview →
  the track summary, billing → credits, click/drag → the edit sent as one new turn. At most one
  such follow-up turn per user message, never the user's own text again: a loop would charge
  the user again and again;
- errors never escape ``say``: each becomes a ``Problem`` that says what to do, without a token.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from . import contract
from ._draft import Timeline
from ._errors import (
    APIError,
    ClientIdMissing,
    ConfigurationError,
    FileTooLarge,
    LocalFileTooLarge,
    LocalUnsupportedFileType,
    NemoConnectionError,
    OutOfCredits,
    PlanLimit,
    RateLimited,
    RenderFailed,
    RenderTimedOut,
    ServerError,
    SessionNotFound,
    TokenInvalid,
    TurnError,
    TurnLost,
    TurnStalled,
    TurnTimedOut,
    UnsupportedFileType,
)
from ._export import ExportPolicy, ExportResult, export
from ._flow import Flow, Show
from ._routing import Action, Route, route
from ._translate import GuiAction
from ._turn import run_turn
from ._views import CreditsView, Notice, Problem, Progress, Tracks, Uploaded, View

if TYPE_CHECKING:
    from ._async_client import AsyncNemo
    from ._client import Nemo
    from ._core import Core

__all__ = ["AsyncConversation", "Conversation", "problem_for"]

SETTING_UP = "Setting things up..."
CONNECTED = "✅ Connected and ready"
EMPTY_TIMELINE = "The timeline is empty: upload a clip or ask for an edit first."
NOTHING_SAID = "Nothing to do: type a request or attach a file."
_URL_SCHEMES = ("http://", "https://")
#: Turn outcomes after which the rest of the message goes on (the others showed a Problem).
_TURN_OK = frozenset({"replied", "silent", "recovered"})


# --- errors as sentences ----------------------------------------------------------------------

_SECRET = re.compile(
    rf"(?:{re.escape(contract.TOKEN_PREFIX)}|{re.escape(contract.CLAIM_TOKEN_PREFIX)})[^\s\"'&,;]*"
    r"|Bearer\s+\S+",
)


def scrub(text: str) -> str:
    """``text`` with anything that looks like a token replaced (a server may echo one back)."""
    return _SECRET.sub("[redacted]", text)


def problem_for(error: BaseException, core: Core | None = None) -> Problem:
    """The sentence a user needs for ``error``: what happened and what to do about it.

    ``core`` adds what only the client knows: whether the token is anonymous (2001 → the
    registration link, 1001 → renewable) and the web and API addresses. The text never contains
    a token, even when the server's message does.
    """
    problem = _problem(error, core)
    return Problem(
        scrub(problem.text),
        code=problem.code,
        link=problem.link,
        retryable=problem.retryable,
        details=tuple(scrub(d) for d in problem.details),
    )


def _problem(error: BaseException, core: Core | None) -> Problem:
    if isinstance(error, APIError):
        return _api_problem(error, core)
    if isinstance(error, (LocalUnsupportedFileType, LocalFileTooLarge)):
        return _file_problem(error.code, error.filename)
    if isinstance(error, ConfigurationError):
        return Problem(f"{_sentence(str(error))} Fix that and try again.")
    if isinstance(error, (NemoConnectionError, httpx.TransportError)):
        where = core.config.api_url if core is not None else "the Nemo API"
        return Problem(
            f"Could not reach {where}. Check your internet connection (or NEMO_API_URL) "
            "and try again.",
            retryable=True,
        )
    if isinstance(error, TurnError):
        return _turn_problem(error)
    if isinstance(error, RenderTimedOut):
        return Problem(
            f"The video is still rendering; check again later with render id {error.render_id}.",
            retryable=True,
        )
    if isinstance(error, RenderFailed):
        return Problem("The render failed. Try exporting again.", retryable=True)
    if isinstance(error, OSError):
        name = f" {error.filename}" if error.filename else ""
        return Problem(f"Could not use the file{name}: {error.strerror or error}.")
    return Problem(
        f"Something went wrong ({type(error).__name__}: {error}). Try again; if it keeps "
        "happening, report it with the steps that led here.",
        retryable=True,
    )


def _api_problem(error: APIError, core: Core | None) -> Problem:
    code = error.code
    if isinstance(error, OutOfCredits):
        return _credits_problem(error, core)
    if isinstance(error, (UnsupportedFileType, FileTooLarge)):
        return _file_problem(code, None)
    if isinstance(error, TokenInvalid):
        if core is not None and core.token_source in ("env", "argument"):
            return Problem(
                "Your NEMO_TOKEN is invalid or expired. Set a valid token, or unset NEMO_TOKEN "
                "to use a free anonymous one.",
                code=code,
            )
        return Problem(
            "The access token expired and could not be renewed. Try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, SessionNotFound):
        return Problem(
            "The editing session was lost and could not be recreated. Try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, PlanLimit):
        return Problem(
            "Export is blocked by your plan's limits (HTTP 402): this is a subscription tier "
            f"limit, not a credit issue. Upgrade your plan at {_web_url(core)} to export.",
            code=code,
        )
    if isinstance(error, RateLimited):
        return Problem(
            "The service is busy right now (rate limited). Wait a minute and try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, ClientIdMissing):
        return Problem(
            "The request had no client id (HTTP 400). Set NEMO_CLIENT_ID to any id of up to "
            f"{contract.CLIENT_ID_MAX_LENGTH} characters, or try again.",
            code=code,
            retryable=True,
        )
    if isinstance(error, ServerError):
        return Problem(
            f"The service had a problem (HTTP {error.status_code}). Try again in a moment.",
            code=code,
            retryable=True,
        )
    return Problem(
        f"The service answered unexpectedly: {error.message}. Try again; if it keeps "
        "happening, report it.",
        code=code,
        retryable=True,
    )


def _credits_problem(error: OutOfCredits, core: Core | None) -> Problem:
    code = contract.Code.OUT_OF_CREDITS
    link = error.register_url
    if link is None and core is not None and core.token_source == "anonymous":
        link = core.register_url()
    if link:
        return Problem(
            f"You're out of credits. Register for free to get more and keep your work: {link}",
            code=code,
            link=link,
        )
    return Problem(
        f"You're out of credits. Top up your account at {_web_url(core)} and try again.",
        code=code,
        link=_web_url(core),
    )


def _file_problem(code: int, filename: str | None) -> Problem:
    name = f" ({filename})" if filename else ""
    if code == contract.Code.UNSUPPORTED_FILE_TYPE:
        accepted = tuple(contract.ACCEPTED_EXTENSIONS)
        return Problem(
            f"That file type isn't supported{name}. Accepted formats: {', '.join(accepted)}.",
            code=code,
            details=accepted,
        )
    limit = contract.MAX_UPLOAD_BYTES // (1024 * 1024)
    return Problem(
        f"That file is too large{name}: the limit is {limit} MB. Compress or trim it and "
        "upload it again.",
        code=code,
    )


def _turn_problem(error: TurnError) -> Problem:
    not_resent = "Your message was not sent again (that would repeat the work and the charge)."
    if isinstance(error, TurnStalled):
        what = "The editor stopped responding (only heartbeats for 10 minutes)."
    elif isinstance(error, TurnTimedOut):
        what = "The edit took longer than the 15-minute limit."
    elif isinstance(error, TurnLost):
        what = "The connection dropped and the edit did not show up in the project."
    else:
        what = f"The edit did not finish normally ({error})."
    return Problem(
        f'{what} {not_resent} Say "status" to see the timeline, then ask again if needed.',
        retryable=True,
    )


def _sentence(text: str) -> str:
    text = text.strip() or "Something in the request was not right"
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _web_url(core: Core | None) -> str:
    return core.config.web_url if core is not None else contract.DEFAULT_WEB_URL


# --- the conversation as flows ----------------------------------------------------------------


@dataclass(slots=True)
class _Turn:
    """What one user message has already done, so that nothing happens twice or loops."""

    sent: set[str] = field(default_factory=set)
    follow_up_used: bool = False
    #: Client actions already run (export, state, credits run at most once per message).
    done: set[Action] = field(default_factory=set)


def _same_text(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Conversation:
    """The flows behind both conversation classes; they differ only in the driver."""

    def __init__(
        self,
        core: Core,
        *,
        dest: str | os.PathLike[str] | None = None,
        policy: ExportPolicy = ExportPolicy(),  # noqa: B008 (a frozen value)
        on_submitted: Callable[[str], None] | None = None,
    ) -> None:
        self.core = core
        #: Called with a render's id as soon as it is accepted (to resume it after a crash).
        self.on_submitted = on_submitted
        #: Where exports are saved (``None``: only the URL is shown).
        self.dest = dest
        self.policy = policy
        #: Every view shown so far, in order.
        self.history: list[View] = []
        #: How the last export of this conversation ended.
        self.last_export: ExportResult | None = None

    @property
    def connected(self) -> bool:
        return self.core.session_id is not None

    def connect_flow(self) -> Flow[None]:
        """Get a token and a session, telling the user what is going on."""
        yield Show(Notice(SETTING_UP))
        yield from self.core.ensure_token()
        yield from self.core.ensure_session()
        yield Show(Notice(CONNECTED))

    def guarded_connect(self) -> Flow[None]:
        """:meth:`connect_flow` with its errors turned into a ``Problem`` view."""
        try:
            yield from self.connect_flow()
        except Exception as exc:  # errors never escape: the user gets a sentence
            yield Show(problem_for(exc, self.core))

    def handle(self, text: str, attachments: Sequence[str] = ()) -> Flow[None]:
        """Everything one user message causes, as a flow of ``Show`` steps. Never raises."""
        try:
            if not self.connected:
                yield from self.connect_flow()
            routes = route(text, attachments)
            if not routes:
                yield Show(Problem(NOTHING_SAID))
                return
            turn = _Turn()
            for step in routes:
                if not (yield from self._route(step, turn)):
                    break  # a turn that failed: exporting or more edits would act on a guess
        except Exception as exc:  # errors never escape: the user gets a sentence
            yield Show(problem_for(exc, self.core))

    def _route(self, step: Route, turn: _Turn) -> Flow[bool]:
        """Do one routed step; ``False`` when the rest of the message should not go on."""
        if step.action is Action.MESSAGE:
            return (yield from self._message(step.text, turn))
        if step.action is Action.UPLOAD:
            yield from self._upload(step.files)
            return True
        if step.action in turn.done:  # e.g. the user said "export" and the agent did too
            return True
        turn.done.add(step.action)
        if step.action is Action.EXPORT:
            self.last_export = yield from export(
                self.core, dest=self.dest, policy=self.policy, on_submitted=self.on_submitted
            )
        elif step.action is Action.CREDITS:
            yield from self._credits()
        else:
            yield from self._tracks()
        return True

    def _message(self, text: str, turn: _Turn) -> Flow[bool]:
        """One ``/run_sse`` turn (its views come from the turn flow), then its GUI actions."""
        if not text.strip():
            return True
        turn.sent.add(_same_text(text))
        result = yield from run_turn(self.core, text)
        if result.outcome not in _TURN_OK:
            return False  # the turn flow already showed the problem
        for action in result.actions:
            if not (yield from self._act(action, turn)):
                return False
        return True

    def _act(self, action: GuiAction, turn: _Turn) -> Flow[bool]:
        """Do what the backend asked the (missing) GUI to do: export, show the tracks, check
        the credits, or send an edit (a click or a drag) as a new turn."""
        step = action.to_route()
        if step.action is Action.MESSAGE:
            return (yield from self._follow_up(step.text, turn))
        return (yield from self._route(step, turn))

    def _follow_up(self, edit: str, turn: _Turn) -> Flow[bool]:
        # One follow-up per user message and never a text already sent: the backend may keep
        # answering "drag it there", and each turn costs credits.
        if turn.follow_up_used or not edit.strip() or _same_text(edit) in turn.sent:
            return True
        turn.follow_up_used = True
        return (yield from self._message(edit, turn))

    def _credits(self) -> Flow[None]:
        credits = yield from self.core.credits()
        yield Show(
            CreditsView(
                f"Credits: {credits.available} available, {credits.frozen} held by work in "
                f"progress, {credits.total} in total.",
                available=credits.available,
                frozen=credits.frozen,
                total=credits.total,
            )
        )

    def _tracks(self) -> Flow[None]:
        state = yield from self.core.state()
        timeline = Timeline.from_draft(state.draft)
        lines = tuple(timeline.summary_lines())
        yield Show(Tracks(timeline.summary() if lines else EMPTY_TIMELINE, lines=lines))

    def _upload(self, files: Sequence[str]) -> Flow[None]:
        urls = [f for f in files if f.strip().lower().startswith(_URL_SCHEMES)]
        paths = [f for f in files if f not in urls]
        if not files:
            accepted = ", ".join(contract.ACCEPTED_EXTENSIONS)
            yield Show(Notice(f"Attach a file or paste a link to upload it ({accepted})."))
            return
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        yield Show(Progress(f"⏳ Uploading {count}...", stage="uploading"))
        uploaded = yield from self.core.upload(paths, [u.strip() for u in urls])
        names = tuple(f.filename for f in uploaded)
        described = ", ".join(f"{f.filename} ({f.file_type})" for f in uploaded)
        yield Show(
            Uploaded(
                f"✅ Uploaded: {described}" if uploaded else "Nothing was uploaded.", files=names
            )
        )


class Conversation(_Conversation):
    """A conversation over a sync :class:`~nemokit.Nemo` client.

    ``say`` yields the views as they happen and never raises for an API, network or turn error:
    each becomes a ``Problem`` view. ``history`` keeps every view shown.
    """

    def __init__(
        self,
        nemo: Nemo,
        *,
        dest: str | os.PathLike[str] | None = None,
        policy: ExportPolicy = ExportPolicy(),  # noqa: B008 (a frozen value)
        on_submitted: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(nemo.core, dest=dest, policy=policy, on_submitted=on_submitted)
        self.nemo = nemo

    def connect(self) -> Iterator[View]:
        """ "Setting things up...", a token and a session, "✅ Connected and ready"."""
        return self._drive(self.guarded_connect())

    def say(self, text: str, attachments: Sequence[str] = ()) -> Iterator[View]:
        """What the user typed (and the files or links they sent) → the views, as they come."""
        return self._drive(self.handle(text, attachments))

    def _drive(self, flow: Flow[None]) -> Iterator[View]:
        try:
            for view in self.nemo.driver.iterate(flow):
                self.history.append(view)
                yield view
        except Exception as exc:  # raised by the driver itself, outside the flow
            problem = problem_for(exc, self.core)
            self.history.append(problem)
            yield problem


class AsyncConversation(_Conversation):
    """The same conversation over an :class:`~nemokit.AsyncNemo` client (``async for``)."""

    def __init__(
        self,
        nemo: AsyncNemo,
        *,
        dest: str | os.PathLike[str] | None = None,
        policy: ExportPolicy = ExportPolicy(),  # noqa: B008 (a frozen value)
        on_submitted: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(nemo.core, dest=dest, policy=policy, on_submitted=on_submitted)
        self.nemo = nemo

    async def connect(self) -> AsyncIterator[View]:
        """ "Setting things up...", a token and a session, "✅ Connected and ready"."""
        async for view in self._drive(self.guarded_connect()):
            yield view

    async def say(self, text: str, attachments: Sequence[str] = ()) -> AsyncIterator[View]:
        """What the user typed (and the files or links they sent) → the views, as they come."""
        async for view in self._drive(self.handle(text, attachments)):
            yield view

    async def _drive(self, flow: Flow[None]) -> AsyncIterator[View]:
        try:
            async for view in self.nemo.driver.iterate(flow):
                self.history.append(view)
                yield view
        except Exception as exc:  # raised by the driver itself, outside the flow
            problem = problem_for(exc, self.core)
            self.history.append(problem)
            yield problem
