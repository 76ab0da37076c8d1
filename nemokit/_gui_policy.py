"""What the client does with a GUI instruction: an order that completes the user's request, or a
tip (policy as data, English and Chinese).

The contract's table ("drag/drop → send the edit through SSE", "Export button → run the export
workflow") covers the backend telling the user to do, in a GUI, what the user asked for: the
client does it through the API instead. A suggestion of what the user *could* do is content,
not an order. Each instruction found by :mod:`._translate` gets one of three roles:

- ``TIP`` ("you can…", "feel free", "if you like", "to fine-tune…", 可以, 如需, 微调…): the client
  shows the rewrite of its kind (what an API client's user can say instead) and does nothing.
- ``INSTRUCTION`` (a free read: open, preview, billing; or an export or edit that completes the
  request): the client carries it out.
- ``UNSURE`` (an export the user did not ask for, an edit naming words the user did not say, a
  click with no purpose to send): as a tip. Where unsure, say it and do nothing.

- An export completes the request when the user asked for the file (export, download, render,
  send me…, 导出, 下载, 发给我…) or the instruction says it is what the user asked for ("the
  video you asked for", 你要的视频).
- An edit (drag, or a click with a purpose: "Click Apply to add the subtitles") completes the
  request when every word it names, besides the GUI words, is in the user's request: "Drag the
  clip to the start" after "move the clip to the start", not "Drag the title to 2s" after "move
  the title later".
- The message an edit sends is the instruction's own whole sentence with the GUI verb made plain
  ("Drag the clip to the start." → "Move the clip to the start."; 拖拽标题到5秒处 →
  移动标题到5秒处。),
  or a click's purpose clause as a sentence ("Add the subtitles."). Anything that is not a whole,
  well-formed sentence is never sent: the instruction becomes ``UNSURE``.
"""

from __future__ import annotations

import enum
import re
from typing import Final

__all__ = [
    "FREE_READS",
    "GuiKind",
    "Role",
    "asks_for_the_file",
    "edit_sentence",
    "is_tip",
    "names_only_the_request",
    "rewrite",
    "well_formed",
]


class GuiKind(str, enum.Enum):
    CLICK = "click"
    OPEN = "open"
    DRAG = "drag"
    PREVIEW = "preview"
    EXPORT = "export"
    BILLING = "billing"


class Role(str, enum.Enum):
    """What an instruction is to the client (see the module's table)."""

    INSTRUCTION = "instruction"
    TIP = "tip"
    UNSURE = "unsure"


#: Kinds that only read (the session state, the credits): carried out unless they are a tip.
FREE_READS: Final = frozenset({GuiKind.OPEN, GuiKind.PREVIEW, GuiKind.BILLING})

_CJK: Final = re.compile(r"[\u3400-\u9fff]")

#: A suggestion, not an order (searched in the case-folded instruction).
_TIP: Final = re.compile(
    r"(?<![a-z])(?:you\s+(?:can|could|may|might)|feel\s+free|optionally|if\s+you(?:\s+"
    r"(?:want|like|wish|prefer|need|would\s+like)|['’]d\s+like)|if\s+needed|whenever\s+you|anytime"
    r"|any\s+time|try|consider|to\s+(?:fine-?\s?tune|tweak|adjust|reorder|rearrange|refine"
    r"|polish|customi[sz]e))(?![a-z])"
    r"|可以|可随时|随时|如需|如果(?:你|您)?(?:想|需要|愿意)|若(?:想|需)|想要|不妨|试试|微调|调整"
)

#: The user asked for the file itself (searched in the case-folded request).
_WANTS_FILE: Final = re.compile(
    r"(?<![a-z])(?:export|download|render|send\s+(?:me|it)|give\s+me|share)(?![a-z])"
    r"|导出|下载|发给我|给我|成片|渲染"
)
#: The instruction says it finishes what the user asked for.
_ASKED_FOR: Final = re.compile(
    r"(?<![a-z])(?:you\s+(?:asked|requested|wanted)|your\s+request)(?![a-z])"
    r"|你要的|您要的|你想要的|您想要的|你需要的|您需要的"
)

#: The GUI verb that starts an edit instruction → the plain verb of the message.
_DRAG_EN: Final = re.compile(
    r"^(?:(?:please|now|just|simply|then|first)\s+)*"
    r"(?:drag(?:\s*(?:and|&|/)\s*drop)?|drop)(?![a-z])",
    re.IGNORECASE,
)
_DRAG_ZH: Final = re.compile(r"^(?:请|您|你)?(?:拖拽|拖动|拖放)")
_PURPOSE_EN: Final = re.compile(r"(?<![a-z])to\s+(?P<p>[a-z][^,.;:!?]*)", re.IGNORECASE)
_PURPOSE_ZH: Final = re.compile(r"(?:以便|以|来)(?P<p>[^，。；！？,.;!?]{2,})")

#: Words that end no sentence: a message ending on one was cut off.
_DANGLING_EN: Final = frozenset(
    {"to", "the", "a", "an", "and", "or", "of", "in", "on", "at", "for", "with", "then", "your"}
    | {"my", "its", "their", "into", "onto", "from", "by", "so"}
)
_DANGLING_ZH: Final = frozenset("可以的把将到在和并就即上从向给让被")

#: Words an edit names that are not the edit: GUI nouns and verbs, function words.
_NOT_NAMED_EN: Final = frozenset(
    {"drag", "drop", "click", "tap", "press", "move", "button", "timeline", "panel", "tab"}
    | {"the", "a", "an", "to", "of", "in", "on", "at", "onto", "into", "it", "them", "this"}
    | {"that", "your", "and", "please", "then", "now", "just", "there", "here", "for"}
)
_NOT_NAMED_ZH: Final = frozenset("拖拽动放点击单双按钮移请把将到在上的中里处一下您你时间线面板并和")

#: What a tip (or an unsure instruction) becomes: what an API client's user can say instead.
_REWRITES: Final[dict[tuple[GuiKind, bool], str]] = {
    (GuiKind.EXPORT, False): 'Say "export" when you want the video.',
    (GuiKind.EXPORT, True): "需要成片时，说“导出”即可。",
    (GuiKind.DRAG, False): "To move or reorder clips, tell me what should go where.",
    (GuiKind.DRAG, True): "想移动片段或改顺序，告诉我要放到哪里。",
    (GuiKind.CLICK, False): "Tell me what you would like changed, and I will do it.",
    (GuiKind.CLICK, True): "需要改什么，直接告诉我。",
    (GuiKind.OPEN, False): 'Say "show tracks" to see the timeline.',
    (GuiKind.OPEN, True): "说“状态”即可查看时间线。",
    (GuiKind.PREVIEW, False): 'Say "show tracks" to see the timeline.',
    (GuiKind.PREVIEW, True): "说“状态”即可查看时间线。",
    (GuiKind.BILLING, False): 'Say "credits" to see your balance.',
    (GuiKind.BILLING, True): "说“余额”即可查看积分。",
}


def _zh(text: str) -> bool:
    return bool(_CJK.search(text))


def is_tip(instruction: str) -> bool:
    """Whether the instruction is a suggestion of what the user could do."""
    return bool(_TIP.search(instruction.casefold()))


def asks_for_the_file(request: str, instruction: str) -> bool:
    """Whether an export completes the request: the user asked for the file, or the backend
    says the video is the one the user asked for."""
    return bool(_WANTS_FILE.search(request.casefold()) or _ASKED_FOR.search(instruction.casefold()))


def _words(text: str) -> set[str]:
    folded = text.casefold()
    words = {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in re.findall(r"\w+", folded)}
    return {w for w in words if not _CJK.search(w)} | set(_CJK.findall(folded))


def names_only_the_request(sentence: str, request: str) -> bool:
    """Whether every word the edit ``sentence`` names (besides GUI and function words) is in the
    user's ``request``, and it names at least one."""
    named = {w for w in _words(sentence) if w not in _NOT_NAMED_EN and w not in _NOT_NAMED_ZH}
    return bool(named) and named <= _words(request)


def well_formed(sentence: str) -> bool:
    """A whole sentence: ends with its punctuation, has a few words, ends on none that dangles."""
    text = sentence.strip()
    if not text or text[-1] not in ".!?。！？":
        return False
    body = text.rstrip(".!?。！？").strip()
    if _zh(body):
        return len(_CJK.findall(body)) >= 3 and body[-1] not in _DANGLING_ZH
    words = body.split()
    return len(words) >= 2 and words[0][:1].isalpha() and words[-1].casefold() not in _DANGLING_EN


def _sentence(text: str, zh: bool) -> str:
    text = text.strip().rstrip(",;，；")
    if text and text[-1] not in ".!?。！？":
        text += "。" if zh else "."
    return text[:1].upper() + text[1:]


def edit_sentence(kind: GuiKind, instruction: str) -> str:
    """The whole sentence an edit instruction sends (see the module's rules), or ``""``."""
    text, zh = instruction.strip(), _zh(instruction)
    if kind is GuiKind.DRAG:
        verb = (_DRAG_ZH if zh else _DRAG_EN).search(text)
        if verb is None:
            return ""  # the drag is not what the sentence starts with: no plain order in it
        text = ("移动" if zh else "Move") + text[verb.end() :]
    elif kind is GuiKind.CLICK:
        purpose = (_PURPOSE_ZH if zh else _PURPOSE_EN).search(text)
        if purpose is None:
            return ""  # "Click 'Auto Captions'": a button name is not a request
        text = purpose.group("p")
    else:
        return ""
    sentence = _sentence(text, zh)
    return sentence if well_formed(sentence) else ""


def rewrite(kind: GuiKind, instruction: str) -> str:
    """What to show instead of a tip of ``kind``, in the instruction's language."""
    return _REWRITES[(kind, _zh(instruction))]
