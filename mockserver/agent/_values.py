"""The values a request names, English and Chinese: a duration, the subject of a video to
generate, the music, an unquoted title, an aspect ratio or a platform.

Each reader is a pure function of the message and returns ``None`` when the message names
nothing of its kind, so the edit falls back on the mock's own (seeded) choice. The subject
reader also gives the subject's span, so the other intents are looked for in the rest of the
message only ("a video of a car speeding" asks for no speed change).
"""

from __future__ import annotations

import itertools
import re

__all__ = [
    "MAX_DURATION_MS",
    "MIN_DURATION_MS",
    "PLATFORMS",
    "STYLES",
    "duration_in",
    "music_in",
    "platform_in",
    "ratio_in",
    "subject_in",
    "title_case",
    "title_in",
]

MIN_DURATION_MS = 1_000
MAX_DURATION_MS = 600_000  # ten minutes: the longest video the mock generates


# --- durations ----------------------------------------------------------------------------------

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_WORD_VALUES = {word: n for n, word in enumerate(_ONES)} | {
    word: 20 + 10 * n for n, word in enumerate(_TENS)
}
_TENS_RE = "|".join(_TENS)
_ONES_RE = "|".join(sorted(_ONES, key=len, reverse=True))
_WORD_NUMBER = rf"(?:(?:{_TENS_RE})(?:[- ](?:{'|'.join(_ONES[1:10])}))?|{_ONES_RE})"
_AMOUNT = rf"(?:\d{{1,3}}(?:\.\d+)?|{_WORD_NUMBER})"
# a bare "s" is no unit in "80s music" or "the 90s style"
_SECOND = r"(?:seconds?|secs?|s(?!\s+(?:music|style|vibes?|aesthetic|songs?|hits|fashion|retro)))"
_MINUTE = r"(?:minutes?|mins?)"
# "10 second", "10s", "10-second", "ten seconds", "1.5 minutes", "a minute", "a minute and a
# half", "one and a half minutes", "half a minute", "1 minute 30 seconds". Never "a second" (in
# "make a second video" it counts videos) and never a number inside a ratio or a percentage.
_EN_DURATION = re.compile(
    rf"(?<![\w:.])(?:"
    rf"(?P<half>half(?:\s+an?|-)\s*{_MINUTE})"
    rf"|(?P<mix>{_AMOUNT})\s+and\s+a\s+half[\s-]+{_MINUTE}"
    rf"|(?P<amount>{_AMOUNT}|an?|one)(?:\s*-\s*|\s*)(?P<unit>{_MINUTE}|{_SECOND})"
    rf"(?:(?:\s+and)?\s+(?P<extra>a\s+half|{_AMOUNT}\s*-?\s*{_SECOND}))?"
    rf")(?![\w:%])",
    re.IGNORECASE,
)

_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_ZH_DIGITS |= {"八": 8, "九": 9}
_ZH_NUMBER = r"(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+)"
_ZH_DURATION = re.compile(
    rf"(?P<half>半分钟)"
    rf"|(?P<minutes>{_ZH_NUMBER})\s*分(?:钟)?(?:(?P<halfmin>半)(?:钟)?|(?P<seconds2>{_ZH_NUMBER})\s*秒)?"
    rf"|(?P<seconds>{_ZH_NUMBER})\s*秒"
)


def _en_amount(text: str) -> float | None:
    text = text.lower().strip()
    if text in ("a", "an", "one"):
        return 1.0
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = re.split(r"[- ]", text)
    values = [_WORD_VALUES.get(p) for p in parts]
    return float(sum(v for v in values if v is not None)) if None not in values else None


def _zh_amount(text: str) -> float | None:
    """``十`` 10, ``十五`` 15, ``二十五`` 25, ``一百二十`` 120, ``90`` 90."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, current = 0, 0
    for char in text:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


def duration_in(message: str) -> int | None:
    """The duration the message asks for, in ms (kept to 1 s – 10 min), else ``None``."""
    seconds = _en_duration(message)
    if seconds is None:
        seconds = _zh_duration(message)
    if seconds is None or seconds <= 0:
        return None
    ms = round(seconds * 10) * 100  # tenths of a second at most
    return min(max(ms, MIN_DURATION_MS), MAX_DURATION_MS)


def _en_duration(message: str) -> float | None:
    for found in _EN_DURATION.finditer(message):
        if found.group("half"):
            return 30.0
        if found.group("mix"):
            amount = _en_amount(found.group("mix"))
            return None if amount is None else (amount + 0.5) * 60
        amount_text, unit = found.group("amount"), found.group("unit").lower()
        minutes = unit.startswith("m")
        if amount_text.lower() in ("a", "an") and not minutes:
            continue  # "a second video": not a duration
        amount = _en_amount(amount_text)
        if amount is None:
            continue
        if not minutes:
            return amount
        extra = (found.group("extra") or "").lower()
        if extra.startswith("a") and "half" in extra:
            return (amount + 0.5) * 60
        extra_seconds = _en_amount(re.sub(rf"\s*-?\s*{_SECOND}$", "", extra)) if extra else 0
        return amount * 60 + (extra_seconds or 0)
    return None


def _zh_duration(message: str) -> float | None:
    for found in _ZH_DURATION.finditer(message):
        if found.group("half"):
            return 30.0
        if found.group("minutes"):
            minutes = _zh_amount(found.group("minutes"))
            if minutes is None:
                continue
            extra = 30.0 if found.group("halfmin") else 0.0
            if found.group("seconds2"):
                extra = _zh_amount(found.group("seconds2")) or 0.0
            return minutes * 60 + extra
        seconds = _zh_amount(found.group("seconds"))
        if seconds is not None:
            return seconds
    return None


def _duration_spans(message: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _EN_DURATION.finditer(message)]
    return spans + [m.span() for m in _ZH_DURATION.finditer(message)]


# --- the subject of a generation ----------------------------------------------------------------

#: The words that ask for a generation; the subject starts after them.
_EN_COMMAND = re.compile(
    r"\b(?:generate|generating|create|creating|make|making|produce|render|shoot)\b"
    r"(?:\s+(?:me|us|for me))?\s*",
    re.IGNORECASE,
)
_ZH_COMMAND = re.compile(
    r"(?:生成|创作|制作|(?:做|拍|来)(?=(?:一个|一段|一条|个|段|条)))"
    r"(?:一个|一段|一条|个|段|条)?"
)
# What may stand between the command and the subject: articles, formats, the duration.
_PLAIN_DURATION = re.sub(r"\(\?P<\w+>", "(?:", _EN_DURATION.pattern)
_LEAD = re.compile(
    rf"^(?:{_PLAIN_DURATION}\s*(?:long\s+)?(?:of\b\s*)?"
    r"|(?:a|an|one|the|some|short|quick|brief|another|second|vertical|horizontal|portrait|"
    r"landscape|widescreen|tiktok|youtube|instagram|hd|4k|1080p|720p|\d{1,2}\s*:\s*\d{1,2})"
    r"\b\s*)+",
    re.IGNORECASE,
)
_MEDIA = r"(?:videos?|clips?|films?|movies?|reels?|shorts?|footage)"
_EN_MEDIA_OF = re.compile(
    rf"^{_MEDIA}(?:\s+(?:that\s+)?(?:of|about|showing|shows|featuring|on|with|where)\b\s*"
    r"|\s*$)",
    re.IGNORECASE,
)
_EN_MEDIA_TAIL = re.compile(rf"\s+{_MEDIA}$", re.IGNORECASE)
# Where a sentence or clause ends for good, and where a modifying clause may start.
_HARD_STOP = re.compile(
    r"[,;!?\n，。；！？]|[:：](?!\s*\d)|\.(?=\s|$)|\s+(?:then|and then|also|plus)\b"
)
_EN_SOFT = re.compile(
    r"\s+(?:with|and|featuring|using|set to|titled|called|named|lasting|that lasts|for|in|on|"
    r"at|as|the title|a title|title|add|put|include|use|set|give it|make it)\b",
    re.IGNORECASE,
)
_ZH_SOFT = re.compile(
    r"(?=并且|并|然后|再|配上|配有|配着|搭配|加上|加入|加个|添加|带上|带有|带着|用|和|以及|、)"
)
# A clause with one of these words modifies the video (music, title, format...): it is not
# part of the subject.
_MODIFIER = re.compile(
    r"\b(?:titled?|titles|called|named|music|bgm|soundtrack|song|beats|audio|ratio|aspect|"
    r"vertical|portrait|landscape|horizontal|widescreen|tiktok|youtube|instagram|reels?|shorts|"
    r"snapchat|stories|volume|transitions?|captions?|subtitles?|overlay|long|duration|"
    r"seconds?|secs?|minutes?|mins?|\d+s)\b"
    r"|\d\s*[:：]\s*\d|%|音乐|配乐|背景乐|标题|题目|字幕|文字|比例|竖屏|横屏|方形|竖版|横版|抖音|"
    r"快手|小红书|B站|转场|秒|分钟|音量",
    re.IGNORECASE,
)


_CJK = re.compile(r"[\u3400-\u9fff]")
#: How much of a request after the command word is read for the subject (a subject is at most
#: 60 characters; this bounds the work on a long message).
_CLAUSE_LIMIT = 400


_MEDIA_BEFORE_COLON = re.compile(rf"(?:\b{_MEDIA}|视频|短片|影片|片子)\s*$", re.IGNORECASE)


def subject_in(message: str) -> tuple[str, tuple[int, int]] | None:
    """What a video to generate shows, and its span in ``message``; ``None`` when the message
    names no subject ("generate a 10 second video").

    The subject follows the command word (generate, make, create, 生成, 做一个...), without the
    articles, the duration and the format words in front of it, "video of" or a trailing
    "video", and stops where a clause about music, a title, a format or a duration begins.
    """
    command = _EN_COMMAND.search(message) or _ZH_COMMAND.search(message)
    start = command.end() if command else 0
    rest = message[start:]
    stop = _HARD_STOP.search(rest)
    # "a TikTok video: city at night", "一段30秒的视频：城市夜景": the subject follows the colon
    colon = stop is not None and stop.group().strip() in (":", "：")
    if stop and colon and _MEDIA_BEFORE_COLON.search(rest[: stop.start()]):
        start += stop.end()
        rest = message[start:]
        stop = _HARD_STOP.search(rest)
    if stop:
        rest = rest[: stop.start()]
    rest = rest[:_CLAUSE_LIMIT]
    zh = bool(_CJK.search(rest))
    pieces = _clauses(rest, _ZH_SOFT if zh else _EN_SOFT)
    kept = pieces[0]
    for piece in pieces[1:]:
        if _MODIFIER.search(piece):
            break
        kept += piece
    text, offset = _clean_zh(kept) if zh else _clean_en(kept)
    if not text:
        return None
    begin = start + offset
    return text, (begin, begin + len(kept) - offset)


def _clauses(text: str, soft: re.Pattern[str]) -> list[str]:
    """``text`` cut where a clause may start, never inside a duration ("one and a half")."""
    inside = set().union(*(range(a + 1, b) for a, b in _duration_spans(text)))
    cuts = [m.start() for m in soft.finditer(text) if m.start() and m.start() not in inside]
    bounds = [0, *cuts, len(text)]
    pieces: list[str] = []
    for a, b in itertools.pairwise(bounds):
        if pieces and soft.fullmatch(pieces[-1]):  # a lone connector joins what follows it
            pieces[-1] += text[a:b]
        else:
            pieces.append(text[a:b])
    return pieces


def _clean_en(text: str) -> tuple[str, int]:
    """The subject inside its clause, and how many characters were cut in front."""
    original = text
    text = text.lstrip()
    while True:
        lead = _LEAD.match(text)
        media = _EN_MEDIA_OF.match(text)
        cut = max(lead.end() if lead else 0, media.end() if media else 0)
        if not cut:
            break
        text = text[cut:]
    offset = len(original) - len(text)
    for start, end in reversed(_duration_spans(text)):
        text = text[:start] + text[end:]
    text = re.sub(r"\s+(?:long|in length)\b", "", text)
    text = _EN_MEDIA_TAIL.sub("", text.strip())
    text = re.sub(r"\s+", " ", text).strip(" \"'“”-")
    return _unquote(text)[:60].strip(), offset


def _clean_zh(text: str) -> tuple[str, int]:
    original = text
    text = re.sub(r"^\s*(?:一个|一段|一条|个|段|条)?\s*", "", text)
    for start, end in reversed(_duration_spans(text)):
        text = text[:start] + text[end:]
    text = re.sub(r"^\s*的?\s*(?:一个|一段|一条|个|段|条)?\s*(?:关于)?", "", text)
    text = re.sub(r"^(?:视频|短片)[:：]?", "", text)
    offset = max(original.find(text[:1]), 0) if text else len(original)
    text = re.sub(r"(?:并且|并|然后|再|和|以及|、)$", "", text.strip())
    text = re.sub(r"的?(?:视频|短片|片子|影片)?(?:吧|呢|啊)?\s*$", "", text)
    return _unquote(text.strip(' “”"「」'))[:60].strip(), offset


def _unquote(text: str) -> str:
    return text.strip("\"'“”「」《》")


# --- music --------------------------------------------------------------------------------------

#: Styles and moods by the word that names them (English and Chinese), as the draft shows them.
STYLES = {
    "lo-fi": "Lo-fi",
    "lofi": "Lo-fi",
    "lo fi": "Lo-fi",
    "hip-hop": "Hip-hop",
    "hip hop": "Hip-hop",
    "r&b": "R&B",
    "edm": "EDM",
    "低保真": "Lo-fi",
    "钢琴": "Piano",
    "爵士": "Jazz",
    "摇滚": "Rock",
    "轻音乐": "Light music",
    "古典": "Classical",
    "电子": "Electronic",
    "欢快": "Upbeat",
    "轻松": "Chill",
    "舒缓": "Calm",
    "抒情": "Lyrical",
    "史诗": "Epic",
    "悲伤": "Sad",
    "浪漫": "Romantic",
    "动感": "Energetic",
    "温馨": "Warm",
    "民谣": "Folk",
    "流行": "Pop",
    "嘻哈": "Hip-hop",
    "电影感": "Cinematic",
    "氛围": "Ambient",
}
_STYLE_WORDS = [
    "jazz",
    "piano",
    "rock",
    "epic",
    "cinematic",
    "ambient",
    "acoustic",
    "electronic",
    "classical",
    "upbeat",
    "chill",
    "calm",
    "relaxing",
    "happy",
    "sad",
    "dramatic",
    "energetic",
    "romantic",
    "mellow",
    "dreamy",
    "uplifting",
    "funky",
    "orchestral",
    "synthwave",
    "country",
    "folk",
    "reggae",
    "latin",
    "pop",
    "soft",
    "gentle",
    "dark",
    "suspenseful",
    "peaceful",
    "inspiring",
    "cheerful",
    "groovy",
    "retro",
    "jazzy",
    "emotional",
]
STYLES |= {word: word.capitalize() for word in _STYLE_WORDS}
_NOT_STYLE = frozenset(
    [
        "with",
        "some",
        "a",
        "an",
        "the",
        "add",
        "and",
        "of",
        "to",
        "use",
        "using",
        "background",
        "nice",
        "good",
        "little",
        "bit",
        "me",
        "it",
        "my",
        "set",
        "put",
        "in",
        "on",
        "for",
        "play",
        "plus",
        "also",
        "make",
        "change",
        "swap",
        "switch",
        "replace",
        "any",
        "great",
        "cool",
        "best",
        "new",
        "favorite",
        "your",
        "our",
        "this",
        "that",
        "into",
        "as",
        "by",
        "at",
    ]
)
_EN_MUSIC = re.compile(
    r"((?:[a-z0-9&'-]+\s+){0,3})(?:background\s+)?(?:music|bgm|soundtrack|beats|song|tune)\b"
)


def music_in(message: str) -> str | None:
    """The style or mood of music the message names (``Lo-fi``, ``Upbeat jazz``), else ``None``."""
    lowered = message.lower()
    for found in _EN_MUSIC.finditer(lowered):
        words: list[str] = []
        for word in reversed(found.group(1).split()):  # the words right before "music"
            if word in _NOT_STYLE:
                break
            words.insert(0, word)
        if words and all(re.fullmatch(r"[a-z&'-]+", w) for w in words):
            phrase = " ".join(words)
            for key, label in STYLES.items():
                phrase = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", label.lower(), phrase)
            return phrase[:1].upper() + phrase[1:]
    found_at = [(lowered.find(key), label) for key, label in STYLES.items()]
    named = [(at, label) for at, label in found_at if at >= 0 and _standalone(lowered, at)]
    return min(named)[1] if named else None


def _standalone(text: str, at: int) -> bool:
    """Whether an English word found at ``at`` is a whole word (CJK words always are)."""
    before = text[at - 1] if at else " "
    return not (before.isascii() and before.isalnum())


# --- titles -------------------------------------------------------------------------------------

_CONNECTORS = ("of", "the", "and", "in", "on", "at", "a", "to")
_EN_TITLE = re.compile(
    r"\b(?:[Tt]itled?|called|named)\s*(?:[:：]\s*|(?:saying|that says|reading|as|to)\s+)?"
    # a word of a title is capitalised (or a number), never a ratio ("in 9:16") or a percentage
    r"((?:[A-Z0-9][\w'&-]*)(?![\w'&:：%-])"
    r"(?:\s+(?:[A-Z0-9&][\w'&-]*(?![\w'&:：%-])|of|the|and|in|on|at|a|to)\b)*)"
)
# "the title urban dreams", "titled: morning brew": lower-case words run to the end of the
# clause; "the title to the intro" or "the title card" name no title.
_EN_LOWER_TITLE = re.compile(
    r"\b(?:the\s+title|titled\s*[:：]?|title\s*[:：])\s*(?:is\s+|as\s+)?"
    r"((?!(?:to|for|on|at|in|of|and|with|please|that|which|it|card|screen|text|font|colou?r|"
    r"bigger|smaller|larger|from|so|more|less)\b)[a-z][\w'&-]*(?:\s+[a-z0-9][\w'&-]*){0,5})",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s+(?:with|and|for|in|on|at|to|set|using|plus|then|lasting|please|add|make)\b.*$",
    re.IGNORECASE,
)
_ZH_TITLE = re.compile(
    r"(?:标题|题目)(?:是|为|叫做|叫|写着|写|：|:)\s*([^，。；！？,.;!?\s“”「」《》]+)"
)


def title_in(message: str) -> str | None:
    """An unquoted title: ``add a title Urban Dreams``, ``the title Urban Dreams``, ``titled:
    Golden Hour``, ``标题是城市之梦``; lower-case words only after "the title", "titled" or
    "title:" (``with the title urban dreams``). ``add a title to the intro`` names no title."""
    if found := _EN_TITLE.search(message):
        words = found.group(1).split()
        while words and words[-1] in _CONNECTORS:
            words.pop()
        if words:
            return " ".join(words)
    if found := _EN_LOWER_TITLE.search(message):
        text = re.split(r"[,;.!?，。；！？]", found.group(1))[0]
        return _CLAUSE_END.sub("", text).strip() or None
    if found := _ZH_TITLE.search(message):
        text = re.split(r"的标题|并且|并|然后|再|配上|加上|和|、", found.group(1))[0]
        return text or None
    return None


_SMALL_WORDS = frozenset(
    ["a", "an", "the", "at", "of", "in", "on", "and", "or", "for", "to", "with", "by"]
)


def title_case(subject: str) -> str:
    """A subject as a title: ``city timelapse at night`` → ``City Timelapse at Night``."""
    words = subject.split()
    return " ".join(
        w if (i and w.lower() in _SMALL_WORDS) or not w.isascii() else w[:1].upper() + w[1:]
        for i, w in enumerate(words)
    )[:40].strip()


# --- aspect ratio and platform ------------------------------------------------------------------

#: Platforms and format words by the ratio they mean (checked in this order: "YouTube Shorts"
#: is vertical, "YouTube" alone is wide).
PLATFORMS = (
    (
        "9:16",
        (
            ("youtube shorts", "YouTube Shorts"),
            ("tiktok", "TikTok"),
            ("douyin", "Douyin"),
            ("reels", "Reels"),
            ("reel", "Reels"),
            ("shorts", "YouTube Shorts"),
            ("snapchat", "Snapchat"),
            ("instagram story", "Instagram Stories"),
            ("instagram stories", "Instagram Stories"),
            ("抖音", "抖音"),
            ("快手", "快手"),
            ("视频号", "视频号"),
            ("vertical", ""),
            ("portrait", ""),
            ("竖屏", ""),
            ("竖版", ""),
        ),
    ),
    (
        "3:4",
        (("小红书", "小红书"),),
    ),
    (
        "1:1",
        (("instagram", "Instagram"), ("square", ""), ("方形", "")),
    ),
    (
        "16:9",
        (
            ("youtube", "YouTube"),
            ("bilibili", "Bilibili"),
            ("b站", "B站"),
            ("landscape", ""),
            ("horizontal", ""),
            ("widescreen", ""),
            ("横屏", ""),
            ("横版", ""),
        ),
    ),
)


def ratio_in(message: str) -> str | None:
    """The aspect ratio the message names (``9:16``), or the one its platform or format word
    means (TikTok, vertical, 竖屏 → ``9:16``), else ``None``."""
    lowered = message.lower()
    found = re.search(r"(?<!\d)(\d{1,2})\s*[:：]\s*(\d{1,2})(?!\d)", lowered)
    if found and int(found.group(1)) and int(found.group(2)):
        return f"{int(found.group(1))}:{int(found.group(2))}"
    for ratio, words in PLATFORMS:
        if any(_has_word(lowered, word) for word, _ in words):
            return ratio
    return None


def platform_in(message: str) -> str | None:
    """The platform the message names (``TikTok``), else ``None``."""
    lowered = message.lower()
    for _, words in PLATFORMS:
        for word, name in words:
            if name and _has_word(lowered, word):
                return name
    return None


def _has_word(text: str, word: str) -> bool:
    if not word.isascii():
        return word in text
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None
