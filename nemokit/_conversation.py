"""The high-level conversation: what the user types or sends → routes → flows → views.

The logic is written once, as flows (:meth:`_Conversation.handle`), and driven twice:
:class:`Conversation` with a ``Nemo``'s ``SyncDriver`` and :class:`AsyncConversation` with an
``AsyncNemo``'s ``AsyncDriver``. The CLI prints the views; the conformance suite judges them
together with the mock's journal.

Rules kept here (from the contract's routing and translation tables):

- export, credits, state and upload never reach ``/run_sse``; everything else is one turn;
- the backend's GUI instructions that complete the user's request become actions: export → the
  export workflow, open/preview → the track summary, billing → credits, click/drag → the edit
  sent as one new turn. A tip ("you can drag…", 可以…) is shown rewritten and never carried out
  (:mod:`._gui_policy`). At most one such follow-up turn per user message, always a whole
  sentence from the backend's instruction, never the user's own text again: a loop would charge
  the user again and again;
- a reply is shown once per user message: a follow-up turn that answers with the same text
  (the mock's chat reply does) does not show it again;
- errors never escape ``say``: each becomes a ``Problem`` that says what to do, without a token.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from . import contract
from ._draft import Timeline
from ._export import ExportPolicy, ExportResult, export
from ._flow import Flow, Show
from ._problems import problem_for
from ._problems import scrub as scrub  # the CLI imports it from here
from ._routing import Action, Route, route
from ._translate import GuiAction
from ._turn import TurnPolicy, run_turn
from ._views import CreditsView, Notice, Problem, Progress, Reply, Tracks, Uploaded, View

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
T = TypeVar("T")


# --- the conversation as flows ----------------------------------------------------------------


@dataclass(slots=True)
class _Turn:
    """What one user message has already done, so that nothing happens twice or loops."""

    #: What the user typed: a GUI instruction is carried out only when it completes it.
    request: str = ""
    sent: set[str] = field(default_factory=set)
    follow_up_used: bool = False
    #: Client actions already run (export, state, credits run at most once per message).
    done: set[Action] = field(default_factory=set)
    #: The replies shown for this message (each is shown once).
    replies: set[str] = field(default_factory=set)


def _same_text(text: str) -> str:
    """Texts that say the same: case, spacing and the final punctuation aside."""
    return re.sub(r"[\s.!?。！？]+$", "", " ".join(text.split()).casefold())


def _replies_once(flow: Flow[T], seen: set[str]) -> Flow[T]:
    """``flow`` with each ``Reply`` already in ``seen`` left out (and the others added to it).

    It passes every other step through and hands the driver's answers (and what the driver
    throws, such as a dropped connection) back to ``flow``, which decides as before."""
    answer: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            step = flow.send(answer) if thrown is None else flow.throw(thrown)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        answer, thrown = None, None
        if isinstance(step, Show) and isinstance(step.view, Reply):
            key = _same_text(step.view.text)
            if key in seen:
                continue
            seen.add(key)
        try:
            answer = yield step
        except GeneratorExit:
            flow.close()
            raise
        except BaseException as exc:  # the driver's error at this step: the flow's to judge
            thrown = exc


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
        #: The waits of each turn (``None``: the contract's, ``run_turn``'s default).
        self.turn_policy: TurnPolicy | None = None
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
            turn = _Turn(request=text)
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
        flow = (
            run_turn(self.core, text, request=turn.request)
            if self.turn_policy is None
            else run_turn(self.core, text, request=turn.request, policy=self.turn_policy)
        )
        result = yield from _replies_once(flow, turn.replies)
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
        if step is None:
            return True  # no whole sentence to send: nothing is done on a guess
        if step.action is Action.MESSAGE:
            return (yield from self._follow_up(step.text, turn))
        return (yield from self._route(step, turn))

    def _follow_up(self, edit: str, turn: _Turn) -> Flow[bool]:
        # One follow-up per user message and never a text already sent: the backend may keep
        # answering "drag it there", and each turn costs credits. A follow-up is the
        # instruction's whole sentence ("Move the clip to the start."), never a fragment.
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
