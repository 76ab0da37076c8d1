"""The text side of a ``/run_sse`` turn: partial chunks joined, trailing noise held back.

A pure class fed one text event at a time; it returns the ``Reply`` views to show and collects
the GUI actions found by translation. :mod:`._turn` documents the rules it follows (why partial
chunks are buffered, and when "I encountered a temporary issue" counts as noise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import contract
from ._events import TextEvent
from ._translate import GuiAction, translate
from ._views import Reply, View

__all__ = ["Transcript", "split_noise"]

_NOISE = re.compile(re.escape(contract.NOISE_PHRASE), re.IGNORECASE)
_SENTENCE_END = frozenset(".!?…。！？:;")


def split_noise(text: str) -> tuple[str, str]:
    """``(content, noise)``: the last noise phrase that starts a sentence, and what follows it."""
    for match in reversed(list(_NOISE.finditer(text))):
        content = text[: match.start()].rstrip()
        gap = text[len(content) : match.start()]
        if not content or content[-1] in _SENTENCE_END or "\n" in gap:
            return content, text[match.start() :]
    return text, ""


@dataclass(slots=True)
class Transcript:
    """The text side of a turn: partial buffering, noise hold-back, translation.

    ``shown`` is every text shown, ``normal`` whether any of it was more than noise,
    ``actions`` the GUI instructions to carry out that were found while translating and
    ``set_aside`` the tips and unsure ones (shown rewritten, never carried out). ``request`` is
    what the user asked for: only an instruction that completes it is carried out.
    """

    request: str | None = None
    partial: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    normal: bool = False
    shown: list[str] = field(default_factory=list)
    actions: list[GuiAction] = field(default_factory=list)
    set_aside: list[GuiAction] = field(default_factory=list)

    def add(self, event: TextEvent) -> list[View]:
        """The views a text event makes visible now (none while a partial run is buffered)."""
        if event.partial:
            self.partial.append(event.text)
            return []
        buffered = "".join(self.partial)
        self.partial.clear()
        # The final event of a partial run repeats the chunks; anything else is a new message.
        if buffered.strip() and buffered.strip() not in event.text:
            return self._message(buffered) + self._message(event.text)
        return self._message(event.text)

    def finish(self, worked: bool) -> list[View]:
        """Show what is still buffered; drop trailing noise unless it was all the turn did."""
        views = self._message("".join(self.partial))
        self.partial.clear()
        if not (self.normal or worked):
            for noise in self.held:
                views += self._show(noise)
        self.held.clear()
        return views

    def _message(self, text: str) -> list[View]:
        content, noise = split_noise(text)
        views: list[View] = []
        if content.strip():
            for earlier in self.held:  # not trailing after all: normal output follows
                views += self._show(earlier)
            self.held.clear()
            views += self._show(content)
            self.normal = True
        if noise.strip():
            self.held.append(noise)
        return views

    def _show(self, text: str) -> list[View]:
        translation = translate(text, self.request)
        self.actions.extend(translation.actions)
        self.set_aside.extend(translation.set_aside)
        if not translation.text.strip():
            return []
        self.shown.append(translation.text)
        return [Reply(translation.text)]
