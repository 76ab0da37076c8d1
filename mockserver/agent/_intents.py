"""What a message asks the scripted agent for: intents found by keywords, English and Chinese.

:func:`operations` turns a message into the edits of one turn, in message order ("generate"
first, "remove" turned into removals of what it names). In a generation request the subject is
left out of that search: "a video of a car speeding" asks for no speed change. :class:`Context`
carries the message to each edit with its language, its quoted texts, the message without the
subject (``focus``, where the values are read: :mod:`._values`) and the turn's random generator.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._values import subject_in, title_in

__all__ = [
    "CJK",
    "TRANSITIONS",
    "Context",
    "focus_of",
    "operations",
    "volume_in",
]

_MEDIA_NOUN = (
    r"(?:videos?|clips?|films?|movies?|timelapse|time-lapse|montage|animation|reels?|vlog"
    r"|slideshow|trailer|footage)"
)
_DURATION_WORD = (
    r"(?:\d+(?:\.\d+)?\s*-?\s*(?:seconds?|secs?|s|minutes?|mins?)\b|minute|[a-z]+-second)"
)


# Each intent: a name and the pattern that finds it (lower-cased message).
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "generate",
            r"\bgenerat\w*"
            # make/create/produce + a + (a media noun or a duration), never "a vertical version"
            rf"|\b(?:create|make|produce|shoot)(?:\s+(?:me|us))?\s+(?:an?|one|some)\s+"
            rf"(?:(?!version|copy|cut\b|edit)[^,.;!?]){{0,40}}?(?:\b{_MEDIA_NOUN}\b|{_DURATION_WORD})"
            r"|生成|创作|(?:制作|(?:做|拍|来)(?:一个|一段|一条|个|段|条))"
            r"(?=[^，。！？,.!?]{0,30}?(?:视频|短片|片子|影片|延时|动画|秒|分钟))",
        ),
        (
            "trim",
            r"\btrim\w*|\bpauses?\b|\bshorten\w*|\btighten\w*|\bsilences?\b|\bcut (?:it )?down\b"
            r"|剪掉|裁剪|停顿|精简|缩短|剪到|剪成",
        ),
        ("title", r"\btitle[sd]?\b|标题|题目"),
        ("bgm", r"\bbgm\b|\bmusic\b|\bsoundtrack\b|\bbeats\b|背景音乐|配乐|音乐"),
        ("transitions", r"\btransitions?\b|转场|过渡"),
        (
            "overlay",
            r"\boverlays?\b|\bcaptions?\b|\bsubtitles?\b|\badd (?:some |a )?text\b|字幕|文字",
        ),
        (
            "aspect",
            r"\b\d{1,2}\s*[:：]\s*\d{1,2}\b|\bvertical\b|\bportrait\b|\blandscape\b"
            r"|\bsquare\b|\baspect\b|\btiktok\b|\breels?\b|\bshorts\b|\bhorizontal\b"
            r"|\bwidescreen\b|\byoutube\b|\binstagram\b|\bsnapchat\b|\bdouyin\b|\bbilibili\b"
            r"|竖屏|横屏|方形|比例|竖版|横版|抖音|快手|小红书|视频号|b站",
        ),
        (
            "speed",
            r"\bspeed\w*|\bfaster\b|\bslower\b|\bslow[- ]?mo\w*|\b\d+(?:\.\d+)?\s*x\b"
            r"|加速|减速|慢动作|倍速",
        ),
        ("remove", r"\bremove\b|\bdelete\b|\bget rid of\b|删除|去掉|移除|删掉"),
    )
)
_REMOVABLE = ("title", "bgm", "overlay", "transitions")
CJK = re.compile(r"[\u3400-\u9fff]")


def operations(message: str) -> list[str]:
    """The edits a message asks for, in message order (generate first)."""
    lowered = message.lower()
    generating = _INTENTS[0][1].search(lowered)
    if generating:
        lowered = focus_of(message).lower()
    found = {name: m.start() for name, pat in _INTENTS[1:] if (m := pat.search(lowered))}
    if generating:
        found["generate"] = generating.start()
    if "remove" in found:
        targets = [name for name in _REMOVABLE if name in found]
        for name in targets:
            found["remove_" + name] = found.pop(name)
        if targets or "trim" in found:
            del found["remove"]
    return sorted(found, key=lambda name: (name != "generate", found[name]))


def focus_of(message: str) -> str:
    """The message with the subject of a generation blanked out (same length, same offsets)."""
    found = subject_in(message) if _INTENTS[0][1].search(message.lower()) else None
    if not found:
        return message
    start, end = found[1]
    # Not spaces alone: "the <subject> titled x" would read as "the titled x" ("the title" + "d
    # x"). A mark between two spaces keeps the words on either side apart.
    blank = " " * (end - start) if end - start < 3 else " " + "·" * (end - start - 2) + " "
    return message[:start] + blank + message[end:]


@dataclass(slots=True)
class Context:
    """What an edit may look at: the message, its language, the uploads and the turn's rng."""

    rng: random.Random
    message: str
    zh: bool
    media: Sequence[Mapping[str, Any]]
    quotes: list[str] | None = None
    #: The message without the subject of a generation (see :func:`focus_of`).
    focus: str = ""
    #: What the turn's generation shows, once generated (a post-production title is made of it).
    subject: str | None = None

    def __post_init__(self) -> None:
        self.focus = self.focus or focus_of(self.message)

    def say(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def quote(self) -> str | None:
        """The next quoted text of the message (titles first, then overlays)."""
        if self.quotes is None:
            found = _QUOTED.findall(self.message)
            self.quotes = [next(part for part in groups if part).strip() for groups in found]
        return self.quotes.pop(0) if self.quotes else None

    def named_title(self) -> str | None:
        """An unquoted title outside the subject (see :func:`._values.title_in`)."""
        return title_in(self.focus)


_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|《([^》]+)》|‘([^’]+)’')


def volume_in(lowered: str) -> float | None:
    """A volume the message names (``30%``, ``volume to 0.3``) on the 0..1 scale, else ``None``."""
    if found := re.search(r"(\d{1,3})\s*[%％]", lowered):
        return min(int(found.group(1)), 100) / 100 or None
    if found := re.search(r"volume\s*(?:to|at|of)?\s*(0?\.\d+|1\.0*)\b", lowered):
        return float(found.group(1)) or None
    return None


TRANSITIONS = {
    "fade": "fade",
    "dissolve": "dissolve",
    "wipe": "wipe",
    "slide": "slide",
    "zoom": "zoom",
    "淡入": "fade",
    "溶解": "dissolve",
    "滑动": "slide",
}
