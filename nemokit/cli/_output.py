"""How the CLI shows things: rich text for people, one JSON object per line for scripts.

Every view the client yields goes through :meth:`Output.view`. Everything printed goes through
``scrub`` first, so a token can never reach the terminal even if a server echoes one back.
Problems go to stderr for people (stdout stays the conversation) and to stdout in ``--json``
mode (a script reads one stream of objects).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text

from nemokit._conversation import scrub
from nemokit._views import (
    Changes,
    CreditsView,
    Notice,
    Problem,
    Progress,
    ProjectLink,
    Reply,
    Tracks,
    Uploaded,
    VideoReady,
    View,
)

__all__ = ["Output", "kind_of"]

_STYLES: dict[type[View], str] = {
    Notice: "",
    Reply: "",
    Progress: "yellow",
    Changes: "cyan",
    Tracks: "",
    CreditsView: "",
    Uploaded: "green",
    VideoReady: "bold green",
    ProjectLink: "",
    Problem: "bold red",
}


def kind_of(view: View) -> str:
    """``Reply`` → ``reply``, ``CreditsView`` → ``credits``, ``VideoReady`` → ``video_ready``."""
    return view.kind


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


class Output:
    """Prints views and results; remembers the problems shown (for the exit code).

    :param json_mode: one JSON object per line on stdout instead of rich text.
    :param stamp: a function giving a prefix for each line (the demo's virtual time).
    """

    def __init__(self, json_mode: bool = False, stamp: Callable[[], str] | None = None) -> None:
        self.json_mode = json_mode
        self.stamp = stamp
        # soft_wrap: a long link must stay one line that a terminal can open.
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(highlight=False, soft_wrap=True, stderr=True)
        self.problems: list[Problem] = []

    def view(self, view: View) -> None:
        """Show one view as it happens."""
        if isinstance(view, Problem):
            self.problems.append(view)
        if self.json_mode:
            self.emit(_as_json(view))
            return
        console = self.err if isinstance(view, Problem) else self.out
        for line in _lines(view):
            self._print(console, line, _STYLES.get(type(view), ""))

    def say(self, text: str, style: str = "") -> None:
        """A line of the CLI's own (a hint, a heading); nothing in ``--json`` mode."""
        if self.json_mode:
            return
        if text.strip():
            self._print(self.out, text, style)
        else:
            self.out.print()

    def warn(self, text: str) -> None:
        """A warning on stderr (both modes: a script's stdout stays pure JSON)."""
        self._print(self.err, text, "yellow")

    def problem(self, problem: Problem) -> None:
        """An error of the CLI's own, as a ``Problem`` view."""
        self.view(problem)

    def emit(self, obj: dict[str, Any]) -> None:
        """One JSON object on its own line (``--json`` mode)."""
        self.out.file.write(json.dumps(_clean(obj), ensure_ascii=False) + "\n")
        self.out.file.flush()

    def result(self, obj: dict[str, Any]) -> None:
        """A command's final object: printed in ``--json`` mode only."""
        if self.json_mode:
            self.emit(obj)

    def _print(self, console: Console, text: str, style: str) -> None:
        prefix = self.stamp() if self.stamp is not None else ""
        line = Text(prefix, style="dim") + Text(scrub(text), style=style)
        console.print(line)


def _as_json(view: View) -> dict[str, Any]:
    obj = {"kind": kind_of(view), **dataclasses.asdict(view)}
    if obj.get("project_url"):
        # The project link carries a claim token (a secret): name the command that opens it.
        obj["project_url"] = None
        obj["open_project"] = "nemokit claim"
    return obj


def _lines(view: View) -> list[str]:
    if isinstance(view, Reply):
        return [f"Nemo: {view.text}"]
    if isinstance(view, Tracks) and view.lines:
        return ["Timeline:", *(f"  {line}" for line in view.lines)]
    if isinstance(view, VideoReady):
        lines = [view.text, f"  Download: {view.url}"]
        if view.path:
            lines.append(f"  Saved to: {view.path}")
        if view.project_url:
            # The project link carries a claim token (a secret): point at the command instead.
            lines.append("  Open the project in a browser: nemokit claim")
        return lines
    if isinstance(view, ProjectLink) and view.url and view.url not in view.text:
        return [view.text, f"  {view.url}"]
    if isinstance(view, Problem):
        return [f"✖ {view.text}"]
    return [view.text]
