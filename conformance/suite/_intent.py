"""What a user step means: labelled phrases for the strategies, and the intent the judges use.

The routing rules (T2, T3) judge a client by what the user *meant*, not by the words it used:
"how many credits do I have" asks for the balance, "add end credits" is an edit. A strategy
knows what it generated, so every ``say`` step built here records its intent clause by clause
(:attr:`Step.intent`: ``(action, clause)`` pairs). A step without a recorded intent (a cassette's,
a hand-written replay) is read with nemokit's intent router, :func:`nemokit._routing.clauses`.

The pools hold the contract's own examples and the ambiguous phrases in both languages: routing
words asked for, and routing words inside an edit (a compound noun, the object of an editing
verb, quoted text). :data:`TABLE_WORDS` lists every word of the contract's routing table; the
suite's ci profile says each of them at least once (see :mod:`._coverage`).
"""

from __future__ import annotations

from collections.abc import Iterable

from conformance.drivers._protocol import Step
from nemokit._routing import clauses

__all__ = [
    "AMBIGUOUS_EDITS",
    "REQUESTS",
    "TABLE_WORDS",
    "ask",
    "carries",
    "edit",
    "intent_of",
    "mixed",
    "mixed_steps",
]

#: The contract's routing table, word by word (the requests T3 must see routed).
TABLE_WORDS: dict[str, tuple[str, ...]] = {
    "export": ("export", "导出", "download", "send me the video"),
    "credits": ("credits", "积分", "balance", "余额"),
    "state": ("status", "状态", "show tracks"),
    "upload": ("upload", "上传"),
}

#: Requests for a client action, in both languages: the table's words and other ways to ask.
REQUESTS: dict[str, tuple[str, ...]] = {
    "export": (
        *TABLE_WORDS["export"],
        "export it in 4k",
        "send me the final video",
        "下载视频",
        "帮我导出一下",
    ),
    "credits": (
        *TABLE_WORDS["credits"],
        "how many credits do I have",
        "what's my balance?",
        "我还有多少积分",
        "查询余额",
    ),
    "state": (*TABLE_WORDS["state"], "what's the status?", "查看状态", "显示轨道"),
}

#: Edits that hold a routing word (each stays one message), in both languages: the contract's
#: and issue 13's examples first.
AMBIGUOUS_EDITS: tuple[str, ...] = (
    "add end credits",
    "fix the white balance",
    "add a status bar",
    "download the music from the library",
    "roll the credits at the end",
    "add a status bar overlay",
    "export settings look wrong, make it 4k",
    'add a title "Export"',
    "balance the audio",
    "put a download button in the corner",
    "加一个状态栏",
    "调整白平衡",
    "在视频上显示积分",
    "加标题《导出》",
    "从音乐库下载一首歌",
    "添加导出按钮",
)

#: How an edit and a request are joined, by language. (A plain " and " before a bare "credits"
#: would share the edit's verb, "add music and credits", so it joins only an export.)
_JOIN_EN = (" and then ", ", then ", "; ")
_JOIN_ZH = ("然后", "，然后", "，再")


def edit(text: str) -> Step:
    """A step that is one edit (or chat) for the agent, whatever words it holds."""
    return Step("say", text, intent=(("message", text),))


def ask(action: str, text: str) -> Step:
    """A step that asks for one client action."""
    return Step("say", text, intent=((action, text),))


def mixed(edit_text: str, join: str, action: str, request: str) -> Step:
    """An edit, then a request ("trim the pauses and then export")."""
    return Step(
        "say", f"{edit_text}{join}{request}", intent=(("message", edit_text), (action, request))
    )


def _is_zh(text: str) -> bool:
    return not text.isascii()


def mixed_steps(edits: Iterable[str]) -> tuple[Step, ...]:
    """Every edit joined to every request of its own language (one join each, in turn)."""
    out = []
    for e_index, edit_text in enumerate(edits):
        for action, requests in REQUESTS.items():
            for r_index, request in enumerate(requests):
                if _is_zh(request) != _is_zh(edit_text):
                    continue
                joins = _JOIN_ZH if _is_zh(edit_text) else _JOIN_EN
                join = joins[(e_index + r_index) % len(joins)]
                out.append(mixed(edit_text, join, action, request))
    return tuple(out)


def intent_of(step: Step) -> tuple[tuple[str, str], ...]:
    """What ``step`` means, clause by clause: as generated, else as nemokit's router reads it."""
    if step.intent is not None:
        return step.intent
    return tuple((c.action.value, c.text) for c in clauses(step.text))


def _norm(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" ,.;!?，。！？；、")


def carries(message: str, clause: str, besides: Iterable[str] = ()) -> bool:
    """Whether ``message`` holds ``clause`` (case and spacing aside) outside the ``besides``
    clauses: "add end credits" holds "credits" only inside the edit, so it does not carry it."""
    rest = " ".join(message.casefold().split())
    for other in besides:
        if _norm(other):
            rest = rest.replace(_norm(other), " ")
    wanted = _norm(clause)
    return bool(wanted) and wanted in rest
