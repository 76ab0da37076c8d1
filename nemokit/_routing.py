"""What the user typed or sent → what the client does: the contract's routing table, by intent.

| the user asks for | as in | action |
|---|---|---|
| the current video rendered | export, 导出, download, send me the video | ``EXPORT`` |
| the balance | credits, 积分, balance, 余额 | ``CREDITS`` |
| the project's status or tracks | status, 状态, show tracks | ``STATE`` |
| to upload | upload, 上传, or sends a file | ``UPLOAD`` |
| anything else: an edit, a question | "add end credits" | ``MESSAGE`` (a ``/run_sse`` turn) |

The table's words are examples of how users ask, not substrings to look for: "how many credits
do I have" asks for the balance while "add end credits" and "fix the white balance" are edits;
"show tracks" asks for the state while "add a status bar" is an edit; "export" asks for a render
while "download the music from the library" is an edit. The rules, in the order they are tried
on each routing word of a clause (English whole words, case- and width-folded; Chinese as
written):

1. Inside quotes (``"…"``, ``'…'``, ``“…”``, ``「…」``, ``《…》``) it is text for the video: edit.
2. Part of a compound noun: edit ("white balance", "end credits", "credits roll", "status bar",
   "status quo", "download button", "export settings", 状态栏, 导出按钮, 积分榜 …).
3. The object of an editing verb earlier in the clause (add, roll, put, fix, adjust, make,
   remove …; 加, 添加, 做, 调, 改, 删 …): edit. "show" and 显示 are edits only when the clause
   also places the thing in the video ("on screen", "as a title", 在画面上 …).
4. For export, download and render (导出, 下载, 渲染): the object decides. A media asset (music,
   font, sticker, footage …, or "from the library") is an edit; a noun use after an article
   ("the export looks blurry") is an edit; anything else ("export", "export it in 4k", "download
   the video", "export a shareable link") asks for the current video: ``EXPORT``.
5. For the balance, the state and upload: placed in the video ("at the end", "in the corner",
   片尾 …) → edit; asked about ("my", "how many", "left", "check", "?", 查, 多少, 还剩 …) or
   bare ("credits", "show the tracks", 余额) → the client's action.
6. Anything left is **truly ambiguous** ("the credits are too fast", "status looks odd"): the
   router **prefers the edit** and sends the clause to the agent, which understands language and
   can ask back. Doing a client action on a guess would drop the edit silently; a message costs
   one turn and the user sees the agent's answer.

A bare "credits" joined by a plain "and" to an edit shares its verb: "add music and credits"
adds credits (the only routing word that is also a thing to add), while "trim the pauses and
export" and "add music and show tracks" still do the client's action.

Clauses are cut at ``, ; 、 ，；``, sentence ends, new lines, "and", "then", "and then", "然后",
"并且" and "再". A clause that asks for a client action is cut out of the message whole; the
other clauses stay verbatim with the separators that stood between them. A clause left over that
is only politeness ("please", "thanks", "好的") is dropped with them. Routes come in the order the
client runs them: ``UPLOAD`` (attachments and the links in an upload clause), ``MESSAGE``, then
``STATE``, ``CREDITS`` and ``EXPORT`` last, each at most once.

:func:`clauses` gives each clause with its intent; the conformance suite reuses it to judge a
client by what a scenario's phrase means.
"""

from __future__ import annotations

import enum
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["KEYWORDS", "Action", "Clause", "Route", "clauses", "route"]


class Action(str, enum.Enum):
    """What the client does with (part of) what the user said."""

    EXPORT = "export"
    CREDITS = "credits"
    STATE = "state"
    UPLOAD = "upload"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Route:
    """One step: ``text`` is the message of ``MESSAGE``, ``files`` the paths/URLs of ``UPLOAD``."""

    action: Action
    text: str = ""
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of what the user typed, verbatim, and what it asks for (``MESSAGE``: an edit
    or anything else for the agent)."""

    text: str
    action: Action


_EXPORT_VERBS = ("export", "download", "render", "导出", "下载", "渲染")
#: The routing table's words (English whole words or phrases; Chinese as written), as regexes.
KEYWORDS: Final[dict[Action, tuple[str, ...]]] = {
    Action.EXPORT: (*_EXPORT_VERBS, r"send me the (?:final )?video"),
    Action.CREDITS: ("credits", "balance", "积分", "余额"),
    Action.STATE: (
        "status",
        r"(?:show|list|see|view)(?: me)?(?: the| all| all the| my)? tracks",
        r"(?:what|which) tracks",
        "状态",
        "轨道",
    ),
    Action.UPLOAD: ("upload", "上传"),
}
#: Client actions in the order they run after the message.
_AFTER_MESSAGE = (Action.STATE, Action.CREDITS, Action.EXPORT)


def _either(english: str, chinese: str = "", *, place: str = "") -> re.Pattern[str]:
    """A regex of ``|``-separated English words (whole words) or Chinese strings; ``place``
    ``after`` matches them right after a routing word, ``before`` right before it."""
    head = r"\s*(?:-\s*)?" if place == "after" else ""
    tail = r"(?:\s*-\s*|\s+)$" if place == "before" else r"(?![a-z])"
    pattern = head + r"(?<![a-z])(?:" + english + ")" + tail
    if chinese:
        pattern += "|" + head + "(?:" + chinese + ")" + ("$" if place == "before" else "")
    return re.compile(pattern)


# Rule 2: words that make a routing word part of a compound noun, right after it or before it.
_COMPOUND_AFTER: Final = _either(
    "roll|rolls|rolling|sequence|scene|screen|section|text|card|cards|music|song|font|page|bar"
    "|bars|line|indicator|icon|icons|badge|quo|update|updates|message|overlay|light|lights"
    "|button|buttons|settings|setting|options|option|menu|panel|preset|presets|dialog|window|tab"
    "|quality|speed|arrow|prompt|banner|count|counter|date|time|engine|farm|queue|animation"
    "|effect|status|progress|job",
    "栏|条|图标|灯|指示|按钮|按键|键|设置|选项|菜单|面板|榜|牌|板|动画|特效",
    place="after",
)
_COMPOUND_BEFORE: Final = _either(
    "white|color|colour|audio|sound|tonal|tone|volume|stereo|channel|mix|level|levels|exposure"
    "|brightness|contrast|skin|end|ending|opening|closing|final|film|movie|rolling|scrolling"
    "|intro|outro|crew|cast|title|online|relationship|marital",
    "白|色|音频|片尾|片头|演职员",
    place="before",
)
#: "balance" as a verb or with its own object: "balance the audio", "balance of the mix".
_BALANCE_VERB: Final = re.compile(r" (?:of|between|the|it|out|this|that|these|levels?)(?![a-z])")
# Rule 3: an editing verb earlier in the clause makes the routing word its object.
_EDIT_VERB: Final = _either(
    "add|adding|roll|put|place|insert|include|fix|adjust|correct|tweak|change|make|create"
    "|design|animate|overlay|remove|delete|cut|trim|shorten|lengthen|extend|fade|move|resize"
    "|style|color|colour|reduce|increase|boost|lower|raise|set|write|type|center|centre|align"
    "|use|replace|swap|edit|keep|balance|improve|speed up|slow down|get rid of",
    "加|添加|插入|放|做|制作|调|修|改|删|去掉|剪|滚动|配|写|打上|设计|换|替换|移|保留",
)
# Rule 5: placed in the video (an edit), or asked about (a request).
_PLACED: Final = _either(
    "at the end|at the start|at the beginning|on screen|on-screen|onscreen|in the video"
    "|to the video|into the video|on the video|in the corner|as a title|as the title|as text"
    "|as an overlay|on top|over the|lower third|in the intro|in the outro|at the bottom"
    "|at the top",
    "在视频|在画面|在片尾|在开头|在结尾|画面上|画面里|视频里|视频中|视频上|片尾|片头|作为标题"
    "|叠加|屏幕上",
)
_ASKED: Final = _either(
    "my|how many|how much|what's|whats|what is|how's|hows|left|remaining|check|do i have"
    "|have i got|i have|account|top up|current|show|see|view|tell|get|display|list|what|which"
    "|project's",
    r"\?|？|查|多少|还有|还剩|剩|我的|账户|帐户|显示|告诉|看看|看一下|吗|呢|怎么样|如何|当前|现在",
)
# Rule 4: an export word's object; a media asset, or anything from a library, is not the video.
_ASSET: Final = _either(
    "music|songs?|soundtrack|audio|sounds?|sfx|effects?|fonts?|stickers?|templates?|images?"
    "|photos?|pictures?|gifs?|logo|footage|b-roll|broll|stock|assets?|luts?|filters?"
    "|transitions?|text|titles?|captions?|subtitles?|voiceover|narration|emojis?|clipart"
    "|icons?|beat|track|loops?|samples?",
    "音乐|歌|音效|字体|贴纸|模板|图片|照片|素材|背景|字幕|特效",
)
_DETERMINERS: Final = re.compile(
    r"(?:\s*(?:the|a|an|my|this|that|these|those|some|all|of|your|our|one|new"
    r"|一首|一个|一些|这个|那个|这首|那首|这些|些|首|个)(?![a-z]))*\s*"
)
_LIBRARY: Final = re.compile(
    r"(?<![a-z])from (?:the |a |my |our )?(?:\w+ )?(?:library|stock|internet|web|youtube)"
    r"(?![a-z])|从.*库|素材库|音乐库|曲库"
)
_ARTICLE_BEFORE: Final = re.compile(r"(?<![a-z])(?:the|an?|this|that|your|our)\s+$")
_REQUEST_VERB_BEFORE: Final = _either("start|run|begin|do|kick off|trigger|send|give|get|need|want")
_PLAIN_AND: Final = re.compile(r"^\s+(?:and|&)\s+$", re.IGNORECASE)
# Rule 1: quoted text is text for the video.
_QUOTED: Final = re.compile(
    r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|「[^」]*」|『[^』]*』|《[^》]*》|(?<![\w'])'[^']+'(?![\w'])"
)
_KEYWORD: Final = {
    action: re.compile(
        "|".join(k if not k.isascii() else rf"(?<![a-z]){k}(?![a-z])" for k in keywords)
    )
    for action, keywords in KEYWORDS.items()
}
_EXPORT_VERB: Final = re.compile(
    "|".join(v if not v.isascii() else rf"(?<![a-z]){v}(?![a-z])" for v in _EXPORT_VERBS)
)
# A keyword phrase that a separator must not cut ("send me⏎the video").
_PHRASES: Final = re.compile(r"send\s+me\s+the\s+(?:final\s+)?video", re.IGNORECASE)
# Separators are kept so that the clauses left for the message are joined as they were written.
_SEPARATOR: Final = re.compile(
    r"(?:\s*(?:[,;，、；\n]|[.!?](?=\s|$)|[。！？])\s*(?:(?:and\s+then|and|then)\b\s*)?"
    r"|\s+(?:and\s+then|and|then|&)\s+"
    r"|\s*(?:然后|并且|再)\s*)",
    re.IGNORECASE,
)
_URL: Final = re.compile(r"https?://[^\s,，;；]+", re.IGNORECASE)
_FILLER: Final = frozenset(
    {"please", "pls", "ok", "okay", "now", "thanks", "thank", "you", "also", "so", "yes"}
    | {"great", "cool", "i", "m", "am", "done", "that", "s", "all", "looks", "good", "perfect"}
    | {"nice", "alright", "好的", "好", "请", "谢谢", "现在", "好了", "可以了", "完成了"}
)
#: What may stand around a routing word that still leaves it bare ("show me the credits").
_BARE_EN: Final = frozenset(
    {"the", "a", "me", "it", "this", "all", "now", "please", "pls", "ok", "okay", "can", "could"}
    | {"would", "will", "you", "i", "want", "to", "just", "again", "let", "lets", "us"}
    | {"project", "video", "session", "render", "edit"}
)
_BARE_ZH: Final = re.compile(r"[请帮我的一下看吧了呀啊把给下个你]|项目|视频")


def _fold(text: str) -> str:
    """The text keywords are matched against: NFKC (so "ＥＸＰＯＲＴ" routes), case-folded,
    whitespace collapsed, and quoted text blanked out (it is text for the video)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _QUOTED.sub(lambda m: " " * len(m.group()), folded)
    return re.sub(r"\s+", " ", folded)


def _is_compound(folded: str, start: int, end: int) -> bool:
    if folded[start:end] == "balance" and _BALANCE_VERB.match(folded, end):
        return True  # "balance the audio", "balance of the mix"
    return bool(_COMPOUND_AFTER.match(folded, end) or _COMPOUND_BEFORE.search(folded[:start]))


def _is_bare(folded: str, start: int, end: int) -> bool:
    """Whether nothing but politeness and articles stands around the routing word."""
    rest = folded[:start] + " " + folded[end:]
    words = re.findall(r"[a-z']+", rest)
    chinese = _BARE_ZH.sub("", "".join(re.findall(r"[^\x00-\x7f]", rest)))
    return all(w in _BARE_EN for w in words) and not chinese.strip(" ，。！？、")


def _export_intent(folded: str, start: int, end: int) -> bool:
    """Whether an export word asks for the current video (rule 4)."""
    obj = _DETERMINERS.match(folded, end)
    if _ASSET.match(folded, obj.end() if obj else end) or _LIBRARY.search(folded):
        return False
    before = folded[:start]
    if _ARTICLE_BEFORE.search(before):
        return bool(_REQUEST_VERB_BEFORE.search(before))  # "start the export" / "the export is"
    return True


def _asks(action: Action, folded: str, start: int, end: int) -> bool | None:
    """Whether one routing word asks for ``action``: ``True``, ``False`` (an edit), or ``None``
    (truly ambiguous)."""
    if _is_compound(folded, start, end) or _EDIT_VERB.search(folded[:start]):
        return False
    if action is Action.EXPORT and _EXPORT_VERB.fullmatch(folded[start:end]):
        return _export_intent(folded, start, end)
    if action in (Action.EXPORT, Action.UPLOAD):
        return True  # "send me the video", "upload this clip"
    if _PLACED.search(folded):
        return False
    if _ASKED.search(folded) or _is_bare(folded, start, end):
        return True
    return None


def _actions_in(clause: str) -> tuple[list[Action], bool]:
    """The client actions a clause asks for, and whether it is a bare "credits" with no verb
    of its own ("add music and credits": the only routing word that is also a thing to add)."""
    folded = _fold(clause)
    asked, verbless = [], False
    for action, pattern in _KEYWORD.items():
        for match in pattern.finditer(folded):
            if _asks(action, folded, *match.span()):
                asked.append(action)
                verbless = verbless or (
                    match.group() == "credits"
                    and _is_bare(folded, *match.span())
                    and not _ASKED.search(folded)
                )
                break
    return asked, verbless


def _is_filler(clause: str) -> bool:
    words = re.findall(r"\w+", _fold(clause))
    return all(word in _FILLER for word in words)


def _split(text: str) -> tuple[list[str], list[str]]:
    """Clauses and the separators between them (``len(separators) == len(clauses) - 1``).

    A separator inside a keyword phrase ("send me⏎the video") does not split it."""
    phrases = [m.span() for m in _PHRASES.finditer(text)]
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    pieces, separators, last = [], [], 0
    for sep in _SEPARATOR.finditer(text):
        if any(start < sep.end() and sep.start() < end for start, end in phrases + quoted):
            continue
        pieces.append(text[last : sep.start()])
        separators.append(sep.group())
        last = sep.end()
    pieces.append(text[last:])
    return pieces, separators


def _classify(pieces: list[str], separators: list[str]) -> list[list[Action]]:
    """Each clause's client actions (``[]``: a message), the "and" rule applied."""
    out: list[list[Action]] = []
    for index, piece in enumerate(pieces):
        # A question mark is cut off with the separator after the clause, but it still asks.
        asked = "?" if index < len(separators) and re.search("[?？]", separators[index]) else ""
        actions, verbless = _actions_in(piece + asked)
        shares_verb = (
            index > 0
            and verbless
            and Action.EXPORT not in actions
            and _PLAIN_AND.match(separators[index - 1]) is not None
            and not out[-1]
            and _EDIT_VERB.search(_fold(pieces[index - 1])) is not None
        )
        out.append([] if shares_verb else actions)
    return out


def clauses(text: str) -> tuple[Clause, ...]:
    """Each clause of ``text`` (verbatim, stripped; empty ones left out) with what it asks for:
    the first client action it asks for, or ``MESSAGE``."""
    if not isinstance(text, str):
        raise TypeError(f"clauses() takes the user's text as a str, got {type(text).__name__}")
    pieces, separators = _split(text)
    return tuple(
        Clause(piece.strip(), actions[0] if actions else Action.MESSAGE)
        for piece, actions in zip(pieces, _classify(pieces, separators), strict=True)
        if piece.strip()
    )


def _attachments(attachments: Sequence[str] | str) -> tuple[str, ...]:
    # A lone string is one attachment, not a sequence of one-letter paths.
    items: Iterable[object] = (attachments,) if isinstance(attachments, str) else attachments
    files = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"attachments must be file paths or URLs, got {type(item).__name__}")
        path = os.fspath(item)
        if not isinstance(path, str):
            raise TypeError("attachments must be text paths, got a bytes path")
        if path.strip():
            files.append(path)
    return tuple(files)


def _links(clause: str) -> list[str]:
    """The links in an upload clause ("upload https://…/a.mp4"): the API uploads them by URL."""
    return [url.rstrip(".)!?") for url in _URL.findall(clause)]


def _join(pieces: list[str], separators: list[str], kept: list[int]) -> str:
    """The kept clauses, each after the separator that stood before it."""
    message = "".join((separators[i - 1] if n else "") + pieces[i] for n, i in enumerate(kept))
    if any(_classify(*_split(message))):
        # Dropping a clause brought two halves of a phrase together ("send me⏎…⏎the video"):
        # a separator without whitespace keeps them apart.
        message = "; ".join(pieces[i].strip() for i in kept)
    return message.strip()


def route(text: str, attachments: Sequence[str] = ()) -> tuple[Route, ...]:
    """The steps for what the user typed and sent; ``()`` when there is nothing to do."""
    if not isinstance(text, str):
        raise TypeError(f"route() takes the user's text as a str, got {type(text).__name__}")
    files = list(_attachments(attachments))
    pieces, separators = _split(text)
    found: set[Action] = set()
    kept: list[int] = []
    for index, actions in enumerate(_classify(pieces, separators)):
        found.update(actions)
        if Action.UPLOAD in actions:
            files += _links(pieces[index])
        if not actions and pieces[index].strip():
            kept.append(index)
    if found:
        kept = [i for i in kept if not _is_filler(pieces[i])]
        message = _join(pieces, separators, kept)
    else:
        message = text.strip()
    files = list(dict.fromkeys(files))
    routes = []
    if files or Action.UPLOAD in found:
        routes.append(Route(Action.UPLOAD, files=tuple(files)))
    if message:
        routes.append(Route(Action.MESSAGE, message))
    routes += (Route(action) for action in _AFTER_MESSAGE if action in found)
    return tuple(routes)
