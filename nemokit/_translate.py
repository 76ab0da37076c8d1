"""Backend text → the content to show + the GUI actions it asked for (the contract's table).

The backend assumes a GUI. What it says about the video is kept verbatim; what it tells the user
to do in the GUI becomes a :class:`GuiAction`:

| backend says | kind | the client, when it completes the request |
|---|---|---|
| "click [button]" / 点击 | ``CLICK`` | executes it through the API (a click on Export exports) |
| "open [panel]" / 打开 | ``OPEN`` | queries the session state |
| "drag/drop" / 拖拽 | ``DRAG`` | sends the edit through SSE |
| "preview in timeline" | ``PREVIEW`` | shows the track summary |
| "Export button" / 导出 | ``EXPORT`` | runs the export workflow |
| "check account/billing" | ``BILLING`` | checks the credits |

Only an instruction that completes the user's request is carried out; a tip ("you can drag…",
"可以…", "to fine-tune…") or an instruction the client is unsure of is shown as a rewrite for an
API client ('Say "export" when you want the video.') and never done. :mod:`._gui_policy` holds
that policy as data; ``translate(text, request)`` applies it.

Rules, since the table leaves them open:

- Text is cut into sentences at ``. ! ?`` followed by a space, at ``。！？``, at new lines, and each
  list item (``-``, ``*``, ``•``, ``1.``) is a sentence. A sentence without a GUI phrase is kept
  whole, byte for byte.
- A sentence with a GUI phrase is cut into clauses at ``, ; ，；`` and "and"/"then". Clauses with a
  GUI phrase are instructions, and so are the purpose clauses next to them ("to see it", "if you
  like it", "so you can…", 如需…); the other clauses stay, with the sentence's final punctuation:
  "Your video is ready, click Export to download it." → "Your video is ready." Each run of
  adjacent instruction clauses is one action, of its most specific kind (EXPORT, BILLING, PREVIEW,
  DRAG, OPEN, CLICK in that order), so "Click the Export button" is an export. The rewrite of an
  action not carried out follows what is left of its sentence (once per text).
- "click" after "a"/"the" is a noun (a click sound), "open" counts at the start of a clause or
  before a GUI noun (panel, tab, menu…), "drop" only in "drag and drop" or "drop it on/at…".
  导出 counts as an instruction with 按钮 or 点击, or when the clause starts with it (导出视频吧);
  "视频已可导出" is content.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Final

from ._gui_policy import (
    FREE_READS,
    GuiKind,
    Role,
    asks_for_the_file,
    edit_sentence,
    is_tip,
    names_only_the_request,
    rewrite,
)
from ._routing import Action, Route, route

__all__ = ["GuiAction", "GuiKind", "Role", "Translation", "translate"]


_LEAD = r"(?:^|[^a-z])"  # an English word starts here (the text is case-folded)
_SOON = r"(?:please\s+|you\s+can\s+|you\s+may\s+|simply\s+|just\s+|now\s+|then\s+|first\s+)*"
_CLICK_VERB = r"(?:(?:double|right)-)?click(?:ing)?|tap|press|hit"

#: Most specific first: the first kind whose pattern matches names the action.
_KINDS: Final[tuple[tuple[GuiKind, re.Pattern[str]], ...]] = tuple(
    (kind, re.compile("|".join(patterns)))
    for kind, patterns in (
        (
            GuiKind.EXPORT,
            (
                _LEAD + r"export\s+button",
                _LEAD + rf"(?:{_CLICK_VERB}|open|go\s+to|select)\s+(?:on\s+)?(?:the\s+)?\W?"
                r"(?:export|download)(?![a-z])",
                r"导出按钮|(?:点击|单击|点按|按下)\W?(?:导出|下载)",
                rf"^{_SOON}\W?(?:请|您可以|你可以|可以|现在)?导出",
            ),
        ),
        (
            GuiKind.BILLING,
            (
                _LEAD + r"billing(?![a-z])",
                _LEAD + r"check\s+(?:your\s+|the\s+)?(?:account|balance|credits?)(?![a-z])",
                _LEAD + r"account\s+(?:page|settings)",
                r"账单|查看(?:您的|你的)?(?:账户|余额|积分)",
            ),
        ),
        (
            GuiKind.PREVIEW,
            (
                _LEAD + r"preview(?![a-z]).{0,60}?(?:in|on)\s+(?:the\s+)?timeline(?![a-z])",
                r"时间线.{0,3}预览|预览.{0,6}时间线",
            ),
        ),
        (
            GuiKind.DRAG,
            (
                _LEAD + r"drag(?:s|ged|ging)?(?![a-z])",
                _LEAD + r"drop\s+(?:it|them|this|that|the\s+\w+)\s+(?:on|onto|into|at|in)(?![a-z])",
                r"拖拽|拖动|拖放",
            ),
        ),
        (
            GuiKind.OPEN,
            (
                rf"^{_SOON}open\s",
                _LEAD + r"open\s+(?:the|your)\s+(?:[\w-]+\s+){0,3}?(?:panel|tab|menu|editor|"
                r"timeline|settings|sidebar|window|page|library|inspector|dialog|app)(?![a-z])",
                r"打开",
            ),
        ),
        (
            GuiKind.CLICK,
            (
                r"(?<![a-z])(?<!a )(?<!the )"
                rf"(?:{_CLICK_VERB})(?![a-z])\s+(?!\s)(?!sounds?|effects?|tracks?)",
                r"点击|单击|双击|点按",
            ),
        ),
    )
)

_RANK: Final = {kind: n for n, (kind, _) in enumerate(_KINDS)}


# Clauses next to an instruction that only explain it ("to see it", "if you like it").
_PURPOSE: Final = re.compile(
    r"^\W*(?:to|in\s+order\s+to|if|when|once|so|then|after\s+that|要|如需|如果|若|以便|即可)(?![a-z])"
)
_CLAUSE: Final = re.compile(r"(\s*[,;，；]\s*(?:(?:and|then)\s+)?|\s+(?:and\s+then|and|then)\s+)")
_SENTENCE: Final = re.compile(
    r"(?P<body>.*?(?:[.!?…]+[\"'”’)\]]*(?=\s|$)|[。！？]+[”’」』）)]*|(?=\n)|$))(?P<gap>\s*)"
)
_MARKER: Final = re.compile(r"[^\S\n]*(?:[-*•·]|\d{1,3}[.)、])[^\S\n]+")
_END: Final = re.compile(r"[.!?…。！？]+[\"'”’」』）)\]]*$")
_TARGET_STOP = r"(?=\s+(?:to|and|in|on|at|for|so|then|from)\s|[,.;:!?，。；：！？]|$)"
_TARGETS: Final[dict[GuiKind, re.Pattern[str]]] = {
    GuiKind.CLICK: re.compile(
        rf"(?:{_CLICK_VERB})\s+(?:on\s+)?(?:the\s+)?[\"'“‘]?(?P<t>.+?)[\"'”’]?"
        rf"(?:\s+(?:button|icon|tab|option|link))?{_TARGET_STOP}",
        re.IGNORECASE,
    ),
    GuiKind.OPEN: re.compile(rf"open\s+(?:the\s+|your\s+)?(?P<t>.+?){_TARGET_STOP}", re.I),
    GuiKind.DRAG: re.compile(
        r"(?:drag(?:\s*(?:and|&|/)\s*drop)?|drop)\s+(?P<t>.+?)"
        r"(?=\s+(?:in|on)\s+the\s+timeline|[,.;!?，。；！？]|$)",
        re.IGNORECASE,
    ),
    GuiKind.PREVIEW: re.compile(r"(?P<t>timeline|时间线)", re.IGNORECASE),
}
_ZH_TARGET: Final = re.compile(
    r"(?:点击|单击|双击|点按|打开|拖拽|拖动)[“\"「]?(?P<t>[^”\"」，。！？]+?(?:按钮|面板|页面)?)"
    r"(?=查看|以|来|[”\"」，。！？]|$)"
)


@dataclass(frozen=True, slots=True)
class GuiAction:
    """One thing the backend asked the user to do in a GUI. ``instruction`` is its text, verbatim
    (the whole sentence, or the instruction clauses of a sentence that also holds content);
    ``role`` says whether the client carries it out (see :mod:`._gui_policy`)."""

    kind: GuiKind
    target: str
    instruction: str
    role: Role = Role.INSTRUCTION

    @property
    def message(self) -> str:
        """For an edit (``CLICK``, ``DRAG``): the whole sentence to send through SSE instead
        ("Move the clip to the start."), ``""`` when the instruction holds none."""
        return edit_sentence(self.kind, self.instruction)

    def to_route(self) -> Route | None:
        """The client step that does it: export, credits, state, or an edit message; ``None``
        for an edit with no whole sentence to send."""
        if self.kind is GuiKind.EXPORT:
            return Route(Action.EXPORT)
        if self.kind is GuiKind.BILLING:
            return Route(Action.CREDITS)
        if self.kind in (GuiKind.OPEN, GuiKind.PREVIEW):
            return Route(Action.STATE)
        if self.kind is GuiKind.CLICK:
            # A button named like a client action ("Download", "Credits") is that action.
            named = [r for r in route(self.target) if r.action is not Action.MESSAGE]
            if named:
                return Route(named[0].action)
        message = self.message
        return Route(Action.MESSAGE, message) if message else None


@dataclass(frozen=True, slots=True)
class Translation:
    """``text``: what the backend said, GUI instructions removed and tips rewritten;
    ``actions``: the instructions the client carries out; ``set_aside``: the tips and the
    instructions it is unsure of (shown as their rewrite, never carried out)."""

    text: str
    actions: tuple[GuiAction, ...] = ()
    set_aside: tuple[GuiAction, ...] = ()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def gui_kind(text: str) -> GuiKind | None:
    """The kind of GUI instruction in ``text`` (a clause or sentence), or ``None``."""
    folded = _fold(text)
    return next((kind for kind, pattern in _KINDS if pattern.search(folded)), None)


def _target(kind: GuiKind, instruction: str) -> str:
    if kind is GuiKind.EXPORT:
        return "Export"
    if kind is GuiKind.BILLING:
        return "billing"
    pattern = _TARGETS.get(kind)
    found = (pattern and pattern.search(instruction)) or _ZH_TARGET.search(instruction)
    return found.group("t").strip() if found else instruction.strip()


def _action(kind: GuiKind, instruction: str) -> GuiAction:
    return GuiAction(kind, _target(kind, instruction), instruction.strip())


def _split_sentence(body: str) -> tuple[str, list[GuiAction]]:
    """The content left in one sentence with a GUI phrase, and the actions it asked for."""
    end = _END.search(body)
    core = body[: end.start()] if end else body
    parts = _CLAUSE.split(core)
    clauses, separators = parts[0::2], parts[1::2]
    kinds = [gui_kind(c) for c in clauses]
    gui = [k is not None for k in kinds]
    for i, clause in enumerate(clauses):  # purpose clauses go with the instruction they touch
        near = (i > 0 and gui[i - 1]) or (i + 1 < len(kinds) and kinds[i + 1] is not None)
        if not gui[i] and near and _PURPOSE.search(_fold(clause)):
            gui[i] = True
    kept = [i for i, c in enumerate(clauses) if not gui[i] and c.strip()]
    if not kept or not any(gui):  # all instruction (or a phrase across clauses): drop it whole
        found = [k for k in (gui_kind(body), *kinds) if k is not None]
        return "", [_action(min(found, key=_RANK.__getitem__), body)]
    content = "".join((separators[i - 1] if n else "") + clauses[i] for n, i in enumerate(kept))
    return content.strip() + (end.group() if end else ""), list(_runs(clauses, separators, gui))


def _runs(clauses: list[str], separators: list[str], gui: list[bool]) -> Iterator[GuiAction]:
    """One action per run of adjacent instruction clauses."""
    start = None
    for i in range(len(clauses) + 1):
        if i < len(clauses) and gui[i]:
            start = i if start is None else start
            continue
        if start is not None:
            text = "".join(
                (separators[j - 1] if j > start else "") + clauses[j] for j in range(start, i)
            )
            kind = gui_kind(text)
            if kind is not None:
                yield _action(kind, text)
            start = None


def _sentences(text: str) -> Iterator[tuple[str, str, str]]:
    """``(list marker, sentence, the whitespace after it)``; joined they give ``text`` back.

    The whitespace after a sentence takes blank lines with it, so a dropped sentence can take
    its own line breaks away without eating its neighbours'."""
    at, line_start = 0, True
    while at < len(text):
        marker = _MARKER.match(text, at) if line_start else None
        prefix = marker.group() if marker else ""
        match = _SENTENCE.match(text, at + len(prefix))
        if match is None or match.end() == at:
            break
        yield prefix, match.group("body"), match.group("gap")
        at, line_start = match.end(), "\n" in match.group("gap")


def _role(action: GuiAction, request: str | None) -> Role:
    """Whether ``action`` completes ``request`` (the user's words), is a tip, or is unsure."""
    if is_tip(action.instruction):
        return Role.TIP
    step = action.to_route()
    if step is None:
        return Role.UNSURE
    if action.kind in FREE_READS or step.action in (Action.STATE, Action.CREDITS):
        return Role.INSTRUCTION
    if not request:
        return Role.UNSURE  # nothing to complete: never spend the user's credits on a guess
    if step.action is Action.EXPORT:
        done = asks_for_the_file(request, action.instruction)
    else:
        done = names_only_the_request(step.text, request)
    return Role.INSTRUCTION if done else Role.UNSURE


def _with_rewrites(kept: str, rewrites: list[str]) -> str:
    if not rewrites:
        return kept
    joined = "".join(rewrites) if all(map(_is_cjk_text, rewrites)) else " ".join(rewrites)
    if not kept:
        return joined
    return kept + ("" if _is_cjk_text(kept[-1:]) or _is_cjk_text(joined[:1]) else " ") + joined


def _is_cjk_text(text: str) -> bool:
    return bool(re.search(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]", text))


def translate(text: str, request: str | None = None) -> Translation:
    """Keep what the backend says about the video; turn its GUI instructions into actions.

    ``request`` is what the user asked for in this message: an export or an edit is carried
    out only when it completes it; without one, only the free reads (state, credits) are."""
    if not isinstance(text, str):
        raise TypeError(f"translate() takes the backend's text as a str, got {type(text).__name__}")
    if request is not None and not isinstance(request, str):
        raise TypeError(f"translate() takes the user's request as a str, got {type(request)}")
    out: list[str] = []
    actions: list[GuiAction] = []
    set_aside: list[GuiAction] = []
    rewritten: set[str] = set()
    for prefix, body, gap in _sentences(text):
        kept, found = (body, []) if gui_kind(body) is None else _split_sentence(body)
        rewrites = []
        for action in found:
            action = replace(action, role=_role(action, request))
            if action.role is Role.INSTRUCTION:
                actions.append(action)
                continue
            set_aside.append(action)
            if (said := rewrite(action.kind, action.instruction)) not in rewritten:
                rewritten.add(said)
                rewrites.append(said)
        kept = _with_rewrites(kept, rewrites)
        if kept:
            out.append(prefix + kept + gap)
        elif "\n" in gap and out and not out[-1].endswith("\n"):
            out[-1] = out[-1].rstrip(" \t") + gap  # keep the line break of a dropped sentence
    return Translation("".join(out).strip(), tuple(actions), tuple(set_aside))
