"""What a message asks the scripted agent for: intents found by keywords, English and Chinese.

:func:`operations` turns a message into the edits of one turn, in message order ("generate"
first, "remove" turned into removals of what it names). :class:`Context` carries the message to
each edit with its language, its quoted texts and the turn's random generator; the keyword
tables here let an edit read the style, transition, ratio, volume or subject the user named.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CJK",
    "RATIO_WORDS",
    "STYLES",
    "TRANSITIONS",
    "Context",
    "operations",
    "subject_of",
    "volume_in",
]


# Each intent: a name and the pattern that finds it (lower-cased message).
_INTENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "generate",
            r"\bgenerat\w*|\b(?:create|make)(?: me)? an? (?:new |short )?(?:video|clip)"
            r"|生成|创作",
        ),
        (
            "trim",
            r"\btrim\w*|\bpauses?\b|\bshorten\w*|\btighten\w*|\bsilences?\b|剪掉|裁剪|停顿|精简",
        ),
        ("title", r"\btitles?\b|标题"),
        ("bgm", r"\bbgm\b|\bmusic\b|\bsoundtrack\b|背景音乐|配乐|音乐"),
        ("transitions", r"\btransitions?\b|转场|过渡"),
        (
            "overlay",
            r"\boverlays?\b|\bcaptions?\b|\bsubtitles?\b|\badd (?:some |a )?text\b|字幕|文字",
        ),
        (
            "aspect",
            r"\b\d{1,2}\s*[:：]\s*\d{1,2}\b|\bvertical\b|\bportrait\b|\blandscape\b"
            r"|\bsquare\b|\baspect\b|\btiktok\b|\breels?\b|\bshorts\b|竖屏|横屏|方形|比例",
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


def operations(lowered: str) -> list[str]:
    """The edits a message asks for, in message order (generate first)."""
    found = {name: m.start() for name, pat in _INTENTS if (m := pat.search(lowered))}
    if "remove" in found:
        targets = [name for name in _REMOVABLE if name in found]
        for name in targets:
            found["remove_" + name] = found.pop(name)
        if targets or "trim" in found:
            del found["remove"]
    return sorted(found, key=lambda name: (name != "generate", found[name]))


@dataclass(slots=True)
class Context:
    """What an edit may look at: the message, its language, the uploads and the turn's rng."""

    rng: random.Random
    message: str
    zh: bool
    media: Sequence[Mapping[str, Any]]
    quotes: list[str] | None = None

    def say(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def quote(self) -> str | None:
        """The next quoted text of the message (titles first, then overlays)."""
        if self.quotes is None:
            found = _QUOTED.findall(self.message)
            self.quotes = [next(part for part in groups if part).strip() for groups in found]
        return self.quotes.pop(0) if self.quotes else None

    def named_title(self) -> str | None:
        """An unquoted title: ``add a title Urban Dreams``, ``titled: Golden Hour``.

        Only capitalised words count, so ``add a title to the intro`` names no title.
        """
        found = _NAMED.search(self.message)
        if not found:
            return None
        words = found.group(1).split()
        while words and words[-1] in _CONNECTORS:
            words.pop()
        return " ".join(words) or None


_CONNECTORS = ("of", "the", "and", "in", "on", "at", "a", "to")
_NAMED = re.compile(
    r"\b(?:[Tt]itled?|called|named)\s*(?:[:：]\s*|(?:saying|that says|reading)\s+)?"
    r"((?:[A-Z0-9][\w'&-]*)(?:\s+(?:[A-Z0-9&][\w'&-]*|of|the|and|in|on|at|a|to))*)"
)
_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|《([^》]+)》|‘([^’]+)’')


STYLES = {
    "lo-fi": "Lo-fi",
    "lofi": "Lo-fi",
    "jazz": "Jazz",
    "piano": "Piano",
    "rock": "Rock",
    "epic": "Epic",
    "cinematic": "Cinematic",
    "ambient": "Ambient",
    "hip-hop": "Hip-hop",
    "hip hop": "Hip-hop",
    "acoustic": "Acoustic",
    "electronic": "Electronic",
    "classical": "Classical",
    "钢琴": "Piano",
    "爵士": "Jazz",
    "摇滚": "Rock",
    "轻音乐": "Light music",
    "古典": "Classical",
    "电子": "Electronic",
}


def volume_in(lowered: str) -> float | None:
    """A volume the message names (``30%``, ``volume to 0.3``) on the 0..1 scale, else ``None``."""
    if found := re.search(r"(\d{1,3})\s*[%％]", lowered):
        return min(int(found.group(1)), 100) / 100 or None
    if found := re.search(r"volume\s*(?:to|at|of)?\s*(0?\.\d+|1\.0*)\b", lowered):
        return float(found.group(1)) or None
    return None


def subject_of(message: str) -> str:
    """What a generated video shows: the words after "of"/"about" (else the message) up to the
    first punctuation, at most 60 characters."""
    found = re.search(r"\b(?:of|about|showing|featuring)\s+(.+)", message, re.IGNORECASE)
    text = found.group(1) if found else re.sub(r"生成|创作|一个|一段|视频", "", message)
    text = re.split(r"[,.;!?，。；！？\n]", text, maxsplit=1)[0]
    text = re.sub(r"\s+", " ", text).strip(" \"'“”")[:60].strip()
    return text or "your idea"


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


RATIO_WORDS = (
    ("9:16", ("vertical", "portrait", "tiktok", "reel", "shorts", "竖屏")),
    ("16:9", ("landscape", "youtube", "横屏")),
    ("1:1", ("square", "方形")),
)
