"""Deliberately broken clients for the GUI rules: nemokit's reference adapter with one bug each.

- ``executes_tips``: carries out the backend's tip ("拖拽时间线上的片段可以调整顺序") as a turn of
  its own, the tip's whole sentence with its GUI verb made plain (T4: a tip is not an order);
- ``sends_fragments``: sends what a regex cut out of the tip (``移动时间线上的片段可``), the bug
  nemokit had (T5: never a fragment);
- ``shows_replies_twice``: shows every reply twice (S9: every reply shown once).

No nemokit module is edited: the first two run their own flow over nemokit's turn flow (as a
client that reads every GUI phrase as an order would), the last changes what the adapter shows.
:mod:`._broken` lists them with the others.
"""

from __future__ import annotations

import re

from conformance.drivers._adapter import NemokitAdapter, shown_of
from conformance.drivers._protocol import Shown, Step
from nemokit._flow import Flow
from nemokit._translate import GuiAction, GuiKind
from nemokit._turn import run_turn

from ._examples import TIP_ZH
from ._model import Scenario

__all__ = ["GUI_BROKEN_CLIENTS", "GUI_BROKEN_SCENARIOS"]

#: Rule ids of the rules these clients break (named once, here).
RULE_UNREQUESTED = "T4"
RULE_FOLLOW_UP = "T5"
RULE_SHOWN_ONCE = "S9"


class _ActsOnTips(NemokitAdapter):
    """Takes every GUI phrase of a reply, tips included, for an order: one follow-up turn."""

    def run_step(self, step: Step) -> list[Shown]:
        if step.op != "say":
            return super().run_step(step)
        return [shown_of(view) for view in self.nemo.driver.iterate(self._flow(step.text))]

    def _flow(self, text: str) -> Flow[None]:
        if not self.conversation.connected:
            yield from self.conversation.connect_flow()
        result = yield from run_turn(self.nemo.core, text)
        for action in result.actions + result.set_aside:
            if action.kind is GuiKind.DRAG and (message := self.follow_up(action)):
                yield from run_turn(self.nemo.core, message)
                return

    def follow_up(self, action: GuiAction) -> str:
        return action.message


class _ExecutesTips(_ActsOnTips):
    """Sends the tip's whole sentence ("移动时间线上的片段可以调整顺序。")."""


class _SendsFragments(_ActsOnTips):
    """Sends "Move"/"移动" and the dragged thing as a regex cut it: the clause stops at 以."""

    def follow_up(self, action: GuiAction) -> str:
        moved = re.sub(r"\s+(?:in|on)\s+the\s+timeline", "", action.target, flags=re.IGNORECASE)
        return f"Move {moved}" if moved.isascii() else f"移动{moved}"


class _ShowsRepliesTwice(NemokitAdapter):
    def run_step(self, step: Step) -> list[Shown]:
        shown = super().run_step(step)
        return shown + [s for s in shown if s.kind == "reply"]


GUI_BROKEN_CLIENTS = {
    "executes_tips": (_ExecutesTips, RULE_UNREQUESTED),
    "sends_fragments": (_SendsFragments, RULE_FOLLOW_UP),
    "shows_replies_twice": (_ShowsRepliesTwice, RULE_SHOWN_ONCE),
}

#: The scenario of the S9 failure found at the thorough profile: the mock's tip after "你好".
GUI_BROKEN_SCENARIOS: dict[str, Scenario] = dict.fromkeys(GUI_BROKEN_CLIENTS, TIP_ZH)
