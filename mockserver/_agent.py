"""The mock's scripted agent: a message, the draft and a seed in, a timed ``TurnScript`` out.

Nothing here does I/O or reads a clock: :func:`plan_turn` is a pure function of its arguments, so
the same message on the same draft with the same seed and turn index gives an identical script.
Every random choice comes from one ``random.Random`` seeded with the SHA-256 of
``(seed, turn_index, message)`` (never Python's salted ``hash()``), drawn in a fixed order.

The choices this module makes (the contract leaves them open):

- **Intents** are found by keywords, English and Chinese (:data:`_INTENTS`): generate, trim
  (pauses), title, BGM, transitions, text overlay, aspect ratio, speed, remove. Several intents in
  one message are several edits in one turn, applied in the order they appear in the message;
  "generate" always goes first because the others edit what it makes. "remove" turns the other
  intents it names (title, BGM, overlay, transitions) into removals; alone it drops the last
  video segment. Quoted text (``"…"``, ``“…”``, ``「…」``, ``《…》``) becomes the title, then the
  overlay text. No intent at all → a text reply (5–15 s, ``TEXT_TURN_COST``).
- **Edits** take 10–30 s and cost ``EDIT_TURN_COST`` whatever their number; generation takes
  100–300 s and costs ``GENERATION_COST``. All durations are multiplied by
  ``config.duration_scale``. An edit on an empty draft with no uploaded video or image is
  answered with a text reply asking for footage (no change, text cost).
- **The draft** is exactly "The draft the mock writes" in docs/architecture.md: times in ms,
  volume 0..1, segment fields from ``contract.SEGMENT_FIELDS``, track names ``Video``, ``BGM``,
  ``Title`` and ``Text`` (overlays), ``d`` the end of the video track, ``m`` holding ``width``,
  ``height``, ``fps``, ``volume``, ``title`` once there is one, and ``speed`` once changed. When
  the draft has no segment, the uploaded videos and images (``media``) become the video track in
  upload order (images 3 s, unknown durations 30 s); an uploaded audio file is the BGM source.
  Trimming splits each clip into up to three pieces keeping 70–90% of it; speed divides clip
  durations; anything then reaching past ``d`` is clipped to it. ``draft_after`` is ``None``
  when nothing changed.
- **Generation** replaces the draft with one generated clip (10–30 s, 1920x1080 unless the same
  message asks for another aspect ratio). The backend's own post-production arrives after the
  turn in ``post``: BGM 20–60 s after the stream ends, then a title 20–60 s later (each stage
  only if the turn did not already add one).
- **Events**: for each edit a ``tool_call`` then its ``tool_result``, in time slices of the turn
  (generation takes most of it); then the reply text at 90% of the turn, unless the turn is
  *silent* (edits only, with probability ``config.silent_rate``; generation always speaks since
  it announces the post-production). Replies say what changed, in Chinese when the message has
  CJK characters, and half the time end with a GUI instruction ("Click the Export button to
  download.", "点击导出按钮下载。"...) that a client must translate. With probability
  ``config.noise_rate`` any turn ends with a separate text starting with ``contract.NOISE_PHRASE``
  (also after a silent turn, where it is the only text). With ``config.partial_text`` every reply
  is preceded by ``partial`` chunks of about three words that join to exactly the reply (the
  endpoint passes ``config.replace(partial_text=True)`` when the request asks
  ``streaming: true``); the noise text is never chunked.
- ``applied_at`` is when the edit lands in the session: the last tool result, even if the client
  has gone by then (that is what makes disconnect recovery observable).

Payloads: ``text``/``partial``/``error`` → ``{"text"}``; ``tool_call`` → ``{"id", "name",
"args"}``; ``tool_result`` → ``{"id", "name", "response"}``.
"""

from __future__ import annotations

import copy
import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nemokit import contract

from ._config import MockConfig

__all__ = ["ItemKind", "ScriptItem", "TurnScript", "plan_turn", "track_summary"]

ItemKind = Literal["text", "partial", "tool_call", "tool_result", "error"]


@dataclass(frozen=True, slots=True)
class ScriptItem:
    """One event of a turn, ``at`` virtual seconds after the turn starts."""

    at: float
    kind: ItemKind
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TurnScript:
    """Everything a turn will do, planned in advance (times relative to the turn's start)."""

    items: tuple[ScriptItem, ...]
    #: When the stream ends (the connection closes).
    duration: float
    #: Credits charged when the turn ends.
    cost: int
    #: The draft once the turn's edit has landed; ``None``: no change.
    draft_after: dict[str, Any] | None
    #: Post-production after the turn: ``(seconds after start, the whole draft then)``.
    post: tuple[tuple[float, dict[str, Any]], ...]
    #: An edit that ends after its tool results with no text.
    silent: bool
    #: ``text``, ``edit`` or ``generate``.
    kind: str
    #: When ``draft_after`` lands (the last tool result); ``None`` means at ``duration``.
    applied_at: float | None = None


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
_CJK = re.compile(r"[\u3400-\u9fff]")


def plan_turn(
    message: str,
    draft: dict[str, Any],
    media: Sequence[Mapping[str, Any]],
    *,
    seed: int,
    turn_index: int,
    config: MockConfig,
) -> TurnScript:
    """Plan one turn of the scripted agent (see the module docstring for every choice)."""
    rng = random.Random(_seed_of(seed, turn_index, message))
    ctx = Context(rng=rng, message=message, zh=bool(_CJK.search(message)), media=media)
    ops = _operations(message.lower())
    work = copy.deepcopy(draft) if isinstance(draft, dict) else {}
    if "generate" not in ops and ops and not _has_segments(work):
        work = _seed_from_media(media)
        if not _has_segments(work):
            return _text_turn(ctx, config, _no_footage(ctx))
    if not ops:
        return _text_turn(ctx, config, _chat_reply(ctx, work))
    return _edit_turn(ctx, config, ops, work, draft)


def _seed_of(seed: int, turn_index: int, message: str) -> int:
    digest = hashlib.sha256(f"{seed}\x1f{turn_index}\x1f{message}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _operations(lowered: str) -> list[str]:
    """The edits a message asks for, in message order (generate first)."""
    found = {name: m.start() for name, pat in _INTENTS if (m := pat.search(lowered))}
    if "remove" in found:
        targets = [name for name in _REMOVABLE if name in found]
        for name in targets:
            found["remove_" + name] = found.pop(name)
        if targets or "trim" in found:
            del found["remove"]
    return sorted(found, key=lambda name: (name != "generate", found[name]))


def _text_turn(ctx: Context, config: MockConfig, reply: str) -> TurnScript:
    total = ctx.rng.uniform(5, 15) * config.duration_scale
    items = _speak(ctx, config, reply, total * 0.9, after=0.0)
    items += _noise(ctx, config, total)
    return TurnScript(tuple(items), total, contract.TEXT_TURN_COST, None, (), False, "text")


def _edit_turn(
    ctx: Context, config: MockConfig, ops: list[str], work: dict[str, Any], draft: dict[str, Any]
) -> TurnScript:
    generating = ops[0] == "generate"
    span = (100, 300) if generating else (10, 30)
    total = ctx.rng.uniform(*span) * config.duration_scale
    silent = not generating and ctx.rng.random() < config.silent_rate
    weights = [20.0 if op == "generate" else 1.0 for op in ops]
    slot_start, usable = 0.05 * total, 0.8 * total
    items: list[ScriptItem] = []
    summaries: list[str] = []
    for op, weight in zip(ops, weights, strict=True):
        width = usable * weight / sum(weights)
        call_id = f"call_{ctx.rng.getrandbits(48):012x}"
        work, change = _apply(op, work, ctx)
        items.append(ScriptItem(slot_start, "tool_call", _call(call_id, change)))
        done = slot_start + 0.9 * width
        items.append(ScriptItem(done, "tool_result", _result(call_id, change, work)))
        summaries.append(change.summary)
        slot_start += width
    applied_at = items[-1].at
    if not silent:
        reply = _describe(ctx, summaries, generating)
        items += _speak(ctx, config, reply, total * 0.9, after=applied_at)
    items += _noise(ctx, config, total)
    post = _post_production(ctx, work, total, config.duration_scale) if generating else ()
    cost = contract.GENERATION_COST if generating else contract.EDIT_TURN_COST
    kind = "generate" if generating else "edit"
    after = None if work == draft else work  # None: every edit was a no-op on the draft
    return TurnScript(tuple(items), total, cost, after, post, silent, kind, applied_at)


def _call(call_id: str, change: Change) -> dict[str, Any]:
    return {"id": call_id, "name": change.tool, "args": change.args}


def _result(call_id: str, change: Change, work: dict[str, Any]) -> dict[str, Any]:
    response = {"status": change.status, "summary": change.summary, "duration_ms": work.get("d")}
    return {"id": call_id, "name": change.tool, "response": response}


def _speak(
    ctx: Context, config: MockConfig, text: str, at: float, *, after: float
) -> list[ScriptItem]:
    """The reply at ``at``, preceded by partial chunks between ``after`` and ``at`` if asked."""
    items: list[ScriptItem] = []
    if config.partial_text:
        chunks = _chunks(text)
        step = (at - after) / (len(chunks) + 1)
        items = [
            ScriptItem(after + step * (i + 1), "partial", {"text": chunk})
            for i, chunk in enumerate(chunks)
        ]
    items.append(ScriptItem(at, "text", {"text": text}))
    return items


def _chunks(text: str) -> list[str]:
    """Pieces of about three words (or eight CJK characters) that join to exactly ``text``."""
    if _CJK.search(text):
        return [text[i : i + 8] for i in range(0, len(text), 8)]
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + 3]) for i in range(0, len(words), 3)] or [text]


def _noise(ctx: Context, config: MockConfig, total: float) -> list[ScriptItem]:
    if ctx.rng.random() >= config.noise_rate:
        return []
    tail = ctx.rng.choice(_NOISE_TAILS)
    return [ScriptItem(total * 0.97, "text", {"text": f"{contract.NOISE_PHRASE}{tail}"})]


_NOISE_TAILS = (
    ". Please try again.",
    " while saving the preview. Please try again later.",
    " — some changes may take a moment to appear.",
)


# --- the draft and its edits ------------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class Change:
    """One edit as the agent reports it: the tool it called and what it did."""

    tool: str
    args: dict[str, Any]
    summary: str
    status: str = "success"


_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”|「([^」]+)」|《([^》]+)》|‘([^’]+)’')


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def _tracks(draft: dict[str, Any]) -> list[dict[str, Any]]:
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        tracks = draft["t"] = []
    return [t for t in tracks if isinstance(t, dict)]


def _segments(track: dict[str, Any]) -> list[dict[str, Any]]:
    segments = track.get("sg")
    if not isinstance(segments, list):
        segments = track["sg"] = []
    return [s for s in segments if isinstance(s, dict)]


def _has_segments(draft: dict[str, Any]) -> bool:
    return any(_segments(t) for t in _tracks(draft))


def _track(draft: dict[str, Any], tt: int, name: str | None = None) -> dict[str, Any] | None:
    for track in _tracks(draft):
        if track.get("tt") == tt and (name is None or track.get("name") == name):
            return track
    return None


def _new_track(draft: dict[str, Any], tt: int, name: str) -> dict[str, Any]:
    track: dict[str, Any] = {"tt": tt, "name": name, "sg": []}
    draft.setdefault("t", []).append(track)
    return track


def _drop_tracks(draft: dict[str, Any], keep: Any) -> int:
    before = _tracks(draft)
    draft["t"] = [t for t in before if keep(t)]
    return len(before) - len(draft["t"])


def _next_id(draft: dict[str, Any]) -> str:
    numbers = [
        int(str(s.get("id"))[3:])
        for t in _tracks(draft)
        for s in _segments(t)
        if re.fullmatch(r"sg_\d+", str(s.get("id")))
    ]
    return f"sg_{max(numbers, default=0) + 1}"


def _end(segment: dict[str, Any]) -> int:
    return int((_num(segment.get("start")) or 0) + (_num(segment.get("duration")) or 0))


def _track_end(track: dict[str, Any] | None) -> int:
    return max((_end(s) for s in _segments(track)), default=0) if track else 0


def _layout(track: dict[str, Any]) -> None:
    """Lay the track's segments end to end from 0."""
    position = 0
    for segment in _segments(track):
        segment["start"] = position
        position += int(_num(segment.get("duration")) or 0)


def _refresh(draft: dict[str, Any]) -> None:
    """``d`` is the end of the video track; other tracks are clipped to it."""
    video = _track(draft, contract.TrackType.VIDEO)
    end = _track_end(video) if video else max(map(_track_end, _tracks(draft)), default=0)
    draft["d"] = end
    for track in _tracks(draft):
        if track is video or not end:
            continue
        kept = [s for s in _segments(track) if (_num(s.get("start")) or 0) < end]
        for segment in kept:
            segment["duration"] = min(_end(segment), end) - int(_num(segment.get("start")) or 0)
        track["sg"] = kept


def _meta(draft: dict[str, Any]) -> dict[str, Any]:
    meta = draft.get("m")
    if not isinstance(meta, dict):
        meta = draft["m"] = {"width": 1920, "height": 1080, "fps": 30, "volume": 1.0}
    return meta


def _clips(count: int, *, the: bool = False) -> str:
    if count == 1:
        return "the clip" if the else "1 clip"
    return f"the {count} clips" if the else f"{count} clips"


def _secs(ms: float) -> str:
    return f"{round(ms / 1000, 1):g}"


def _stem(filename: Any) -> str:
    name = str(filename or "clip").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return re.sub(r"[_\-]+", " ", stem).strip() or "clip"


def _seed_from_media(media: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The video track made of the uploaded videos and images, in upload order."""
    segments: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    for item in media:
        kind = item.get("file_type") or contract.file_type_of(str(item.get("filename", "")))
        if kind not in ("video", "image"):
            continue
        seconds = _num(item.get("duration"))
        ms = (
            round(seconds * 1000)
            if seconds and seconds > 0
            else (3000 if kind == "image" else 30000)
        )
        position = sum(s["duration"] for s in segments)
        segments.append(
            {
                "id": f"sg_{len(segments) + 1}",
                "start": position,
                "duration": ms,
                "source": _stem(item.get("filename")),
            }
        )
        if not meta:
            meta = _first_meta(item)
    if not segments:
        return {}
    draft = {"t": [{"tt": 0, "name": "Video", "sg": segments}], "d": 0, "m": meta}
    _refresh(draft)
    return draft


def _first_meta(item: Mapping[str, Any]) -> dict[str, Any]:
    width, height, fps = (_num(item.get(k)) for k in ("width", "height", "fps"))
    if not (width and height and width > 0 and height > 0):
        width, height = 1920, 1080
    return {
        "width": int(width),
        "height": int(height),
        "fps": fps if fps and fps > 0 else 30,
        "volume": 1.0,
    }


# --- each edit (mutates the working draft, returns what it did) -------------------------------


def _apply(op: str, draft: dict[str, Any], ctx: Context) -> tuple[dict[str, Any], Change]:
    change = _OPS[op](draft, ctx)
    _refresh(draft)
    return draft, change


def _generate(draft: dict[str, Any], ctx: Context) -> Change:
    subject = _subject(ctx.message)
    length = ctx.rng.choice((10, 15, 20, 30)) * 1000
    draft.clear()
    draft["t"] = [
        {
            "tt": 0,
            "name": "Video",
            "sg": [{"id": "sg_1", "start": 0, "duration": length, "source": subject}],
        }
    ]
    draft["m"] = {"width": 1920, "height": 1080, "fps": 30, "volume": 1.0}
    summary = ctx.say(
        f"generated a {_secs(length)}s video of {subject}",
        f"生成了一段{_secs(length)}秒的视频：{subject}",
    )
    return Change("generate_video", {"prompt": ctx.message, "duration_ms": length}, summary)


def _subject(message: str) -> str:
    found = re.search(r"\b(?:of|about|showing|featuring)\s+(.+)", message, re.IGNORECASE)
    text = found.group(1) if found else re.sub(r"生成|创作|一个|一段|视频", "", message)
    text = re.split(r"[,.;!?，。；！？\n]", text, maxsplit=1)[0]
    text = re.sub(r"\s+", " ", text).strip(" \"'“”")[:60].strip()
    return text or "your idea"


def _trim(draft: dict[str, Any], ctx: Context) -> Change:
    video = _track(draft, contract.TrackType.VIDEO) or _new_track(draft, 0, "Video")
    before = _track_end(video)
    pieces: list[dict[str, Any]] = []
    for segment in _segments(video):
        duration = int(_num(segment.get("duration")) or 0)
        count = ctx.rng.choice((2, 3)) if duration >= 6000 else 1
        kept = int(duration * ctx.rng.uniform(0.7, 0.9)) // 100 * 100 or duration
        for index in range(count):
            piece = (
                dict(segment)
                if index == 0
                else {"id": _next_id(draft), "start": 0, "source": segment.get("source")}
            )
            piece["duration"] = kept // count
            pieces.append(piece)
            video["sg"] = [*pieces]  # so that _next_id sees the ids handed out so far
    video["sg"] = pieces
    _layout(video)
    after = _track_end(video)
    summary = ctx.say(
        f"trimmed the pauses: {_secs(before)}s → {_secs(after)}s in {_clips(len(pieces))}",
        f"剪掉了停顿：{_secs(before)}秒 → {_secs(after)}秒，共{len(pieces)}个片段",
    )
    return Change("trim_pauses", {"min_pause_ms": 500}, summary)


_TITLES = ("Urban Dreams", "Golden Hour", "Behind the Scenes", "Weekend Recap", "First Light")
_TITLES_ZH = ("城市之梦", "光影时刻", "周末随拍", "幕后花絮", "第一缕光")


def _title(draft: dict[str, Any], ctx: Context) -> Change:
    text = ctx.quote() or ctx.rng.choice(_TITLES_ZH if ctx.zh else _TITLES)
    track = _track(draft, contract.TrackType.TEXT, "Title") or _new_track(draft, 7, "Title")
    end = min(3000, int(_num(draft.get("d")) or 3000)) or 3000
    track["sg"] = [{"id": _next_id(draft), "start": 0, "duration": end, "text": text}]
    _meta(draft)["title"] = text
    summary = ctx.say(
        f'added the title "{text}" (0-{_secs(end)}s)', f"添加了标题“{text}”（0-{_secs(end)}秒）"
    )
    return Change("add_title", {"text": text}, summary)


_STYLES = {
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
_DEFAULT_STYLES = ("Lo-fi", "Acoustic", "Ambient", "Upbeat Pop", "Cinematic")


def _bgm(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    track = _track(draft, contract.TrackType.AUDIO)
    current = _segments(track)[0] if track and _segments(track) else None
    style = next((label for key, label in _STYLES.items() if key in lowered), None)
    audio = next((m for m in ctx.media if m.get("file_type") == "audio"), None)
    source = style or (current or {}).get("source") or (audio and _stem(audio.get("filename")))
    source = source or ctx.rng.choice(_DEFAULT_STYLES)
    volume = _volume(lowered) or _num((current or {}).get("volume"))
    volume = volume or ctx.rng.choice((0.2, 0.25, 0.3, 0.35, 0.4, 0.5))
    track = track or _new_track(draft, 1, "BGM")
    end = int(_num(draft.get("d")) or 0)
    track["sg"] = [
        {
            "id": (current or {}).get("id") or _next_id(draft),
            "start": 0,
            "duration": end,
            "source": source,
            "volume": volume,
        }
    ]
    percent = round(volume * 100)
    summary = ctx.say(
        f"added {source} background music at {percent}% volume",
        f"添加了背景音乐 {source}，音量{percent}%",
    )
    return Change("add_bgm", {"style": source, "volume": volume}, summary)


def _volume(lowered: str) -> float | None:
    if found := re.search(r"(\d{1,3})\s*[%％]", lowered):
        return min(int(found.group(1)), 100) / 100 or None
    if found := re.search(r"volume\s*(?:to|at|of)?\s*(0?\.\d+|1\.0*)\b", lowered):
        return float(found.group(1)) or None
    return None


_TRANSITIONS = {
    "fade": "fade",
    "dissolve": "dissolve",
    "wipe": "wipe",
    "slide": "slide",
    "zoom": "zoom",
    "淡入": "fade",
    "溶解": "dissolve",
    "滑动": "slide",
}


_KIND_ZH = {"fade": "淡入淡出", "dissolve": "溶解", "wipe": "擦除", "slide": "滑动", "zoom": "缩放"}


def _transitions(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    kind = next((v for k, v in _TRANSITIONS.items() if k in lowered), None)
    kind = kind or ctx.rng.choice(("fade", "dissolve", "slide"))
    segments = _segments(_track(draft, contract.TrackType.VIDEO) or {})
    for segment in segments:
        segment["transition"] = kind
    summary = ctx.say(
        f"added {kind} transitions to {_clips(len(segments), the=True)}",
        f"为{len(segments)}个片段添加了{_KIND_ZH[kind]}转场",
    )
    return Change("add_transitions", {"type": kind}, summary)


_OVERLAYS = ("Subscribe for more!", "Link in bio", "Watch till the end")
_OVERLAYS_ZH = ("关注我们", "精彩继续", "看到最后")


def _overlay(draft: dict[str, Any], ctx: Context) -> Change:
    text = ctx.quote() or ctx.rng.choice(_OVERLAYS_ZH if ctx.zh else _OVERLAYS)
    end = int(_num(draft.get("d")) or 0)
    start = int(end * ctx.rng.uniform(0.3, 0.6)) // 100 * 100
    length = min(4000, end - start) if end > start else 4000
    track = _track(draft, contract.TrackType.TEXT, "Text") or _new_track(draft, 7, "Text")
    track["sg"] = [
        *_segments(track),
        {"id": _next_id(draft), "start": start, "duration": length, "text": text},
    ]
    span = f"{_secs(start)}-{_secs(start + length)}"
    summary = ctx.say(f'added the text "{text}" ({span}s)', f"添加了文字“{text}”（{span}秒）")
    return Change(
        "add_text_overlay", {"text": text, "start_ms": start, "duration_ms": length}, summary
    )


_RATIOS = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
    "4:3": (1440, 1080),
    "3:4": (1080, 1440),
}
_RATIO_WORDS = (
    ("9:16", ("vertical", "portrait", "tiktok", "reel", "shorts", "竖屏")),
    ("16:9", ("landscape", "youtube", "横屏")),
    ("1:1", ("square", "方形")),
)


def _aspect(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    found = re.search(r"(\d{1,2})\s*[:：]\s*(\d{1,2})", lowered)
    if found and int(found.group(1)) and int(found.group(2)):
        ratio = f"{int(found.group(1))}:{int(found.group(2))}"
    else:
        named = (r for r, words in _RATIO_WORDS if any(w in lowered for w in words))
        ratio = next(named, None) or ctx.rng.choice(("9:16", "1:1"))
    width, height = _RATIOS.get(ratio) or _dimensions(ratio)
    meta = _meta(draft)
    meta["width"], meta["height"] = width, height
    summary = ctx.say(
        f"changed the aspect ratio to {ratio} ({width}x{height})",
        f"把画面比例改成了{ratio}（{width}x{height}）",
    )
    return Change("set_aspect_ratio", {"ratio": ratio, "width": width, "height": height}, summary)


def _dimensions(ratio: str) -> tuple[int, int]:
    a, b = (int(x) for x in ratio.split(":"))
    if a >= b:
        return 1920, max(2, round(1920 * b / a / 2) * 2)
    return max(2, round(1920 * a / b / 2) * 2), 1920


def _speed(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    if found := re.search(r"(\d+(?:\.\d+)?)\s*(?:x\b|×|倍)", lowered):
        factor = min(max(float(found.group(1)), 0.25), 4.0)
    elif re.search(r"slow|减速|慢", lowered):
        factor = 0.5
    elif re.search(r"fast|speed up|加速|快", lowered):
        factor = 1.5
    else:
        factor = ctx.rng.choice((1.25, 1.5, 2.0))
    video = _track(draft, contract.TrackType.VIDEO) or _new_track(draft, 0, "Video")
    before = _track_end(video)
    for segment in _segments(video):
        segment["duration"] = max(100, round((_num(segment.get("duration")) or 0) / factor))
    _layout(video)
    meta = _meta(draft)
    meta["speed"] = round((_num(meta.get("speed")) or 1.0) * factor, 3)
    summary = ctx.say(
        f"set the speed to {factor:g}x: {_secs(before)}s → {_secs(_track_end(video))}s",
        f"把速度调成了{factor:g}倍：{_secs(before)}秒 → {_secs(_track_end(video))}秒",
    )
    return Change("change_speed", {"factor": factor}, summary)


def _removal(target: str, label: str, label_zh: str, keep: Any) -> Any:
    def remove(draft: dict[str, Any], ctx: Context) -> Change:
        removed = _drop_tracks(draft, keep)
        if target == "title" and removed:
            _meta(draft).pop("title", None)
        if removed:
            return Change(
                "remove_element",
                {"target": target},
                ctx.say(f"removed the {label}", f"删除了{label_zh}"),
            )
        return Change(
            "remove_element",
            {"target": target},
            ctx.say(f"found no {label} to remove", f"没有可删除的{label_zh}"),
            "noop",
        )

    return remove


def _remove_transitions(draft: dict[str, Any], ctx: Context) -> Change:
    segments = _segments(_track(draft, contract.TrackType.VIDEO) or {})
    had = [s.pop("transition") for s in segments if "transition" in s]
    summary = ctx.say(
        f"removed the transitions from {_clips(len(had))}", f"删除了{len(had)}个片段的转场"
    )
    return Change(
        "remove_element", {"target": "transitions"}, summary, "success" if had else "noop"
    )


def _remove_clip(draft: dict[str, Any], ctx: Context) -> Change:
    segments = _segments(_track(draft, contract.TrackType.VIDEO) or {})
    if len(segments) < 2:
        summary = ctx.say(
            "kept the only clip (a video needs at least one)",
            "保留了唯一的片段（视频至少需要一个片段）",
        )
        return Change("remove_element", {"target": "last_clip"}, summary, "noop")
    video = _track(draft, contract.TrackType.VIDEO) or {}
    gone = segments[-1]
    video["sg"] = segments[:-1]
    summary = ctx.say(
        f"removed the last clip ({gone.get('source')})",
        f"删除了最后一个片段（{gone.get('source')}）",
    )
    return Change("remove_element", {"target": "last_clip"}, summary)


def _is_title(track: dict[str, Any]) -> bool:
    return track.get("tt") == contract.TrackType.TEXT and track.get("name") == "Title"


_OPS: dict[str, Any] = {
    "generate": _generate,
    "trim": _trim,
    "title": _title,
    "bgm": _bgm,
    "transitions": _transitions,
    "overlay": _overlay,
    "aspect": _aspect,
    "speed": _speed,
    "remove": _remove_clip,
    "remove_transitions": _remove_transitions,
    "remove_title": _removal("title", "title", "标题", lambda t: not _is_title(t)),
    "remove_bgm": _removal(
        "bgm", "background music", "背景音乐", lambda t: t.get("tt") != contract.TrackType.AUDIO
    ),
    "remove_overlay": _removal(
        "overlay",
        "text overlay",
        "文字",
        lambda t: t.get("tt") != contract.TrackType.TEXT or _is_title(t),
    ),
}


# --- what the agent says ----------------------------------------------------------------------

_GUI = (
    "Click the Export button to download your video.",
    "Open the timeline panel to preview the result.",
    "Preview in timeline to check the cut.",
    "Drag the clips on the timeline to fine-tune the order.",
)
_GUI_ZH = (
    "点击导出按钮即可下载视频。",
    "打开时间线面板预览效果。",
    "拖拽时间线上的片段可以调整顺序。",
)


def _gui(ctx: Context) -> str:
    """Half the time, an instruction for a GUI the client does not have (it must translate)."""
    if ctx.rng.random() < 0.5:
        return ""
    return ctx.rng.choice(_GUI_ZH) if ctx.zh else " " + ctx.rng.choice(_GUI)


def _describe(ctx: Context, summaries: list[str], generating: bool) -> str:
    if ctx.zh:
        later = "稍后我会自动添加背景音乐和标题。" if generating else ""
        return f"完成！我{'，'.join(summaries)}。{later}{_gui(ctx)}"
    joined = summaries[0] if len(summaries) == 1 else ", ".join(summaries[:-1])
    joined += f" and {summaries[-1]}" if len(summaries) > 1 else ""
    later = " I'll add background music and a title in a moment." if generating else ""
    return f"Done! I {joined}.{later}{_gui(ctx)}"


def _no_footage(ctx: Context) -> str:
    return ctx.say(
        "There's no footage in this project yet. Upload a video or ask me to generate one, "
        "and I'll make that edit.",
        "这个项目里还没有素材。请先上传视频，或者让我生成一段，然后我再来编辑。",
    )


def _chat_reply(ctx: Context, draft: dict[str, Any]) -> str:
    if not _has_segments(draft):
        return ctx.say(
            "I'm ready: upload a clip or describe the video you want me to generate.",
            "准备好了：上传一段视频，或者描述你想生成的视频。",
        )
    count, summary = len(_tracks(draft)), track_summary(draft)
    return ctx.say(
        f"Your project has {count} tracks: {summary}. Tell me what to change, for example "
        f'"trim the pauses" or "add a title".{_gui(ctx)}',
        f"当前项目有{count}条轨道：{summary}。告诉我要怎么改，比如“剪掉停顿”或“加个标题”。{_gui(ctx)}",
    )


def _post_production(
    ctx: Context, draft: dict[str, Any], total: float, scale: float
) -> tuple[tuple[float, dict[str, Any]], ...]:
    """The backend's own BGM, then title, after a generation (each only if still missing)."""
    stages: list[tuple[float, dict[str, Any]]] = []
    work, at = copy.deepcopy(draft), total
    if not _track(work, contract.TrackType.AUDIO):
        at += ctx.rng.uniform(20, 60) * scale
        _apply("bgm", work, ctx)
        stages.append((at, copy.deepcopy(work)))
    if not _track(work, contract.TrackType.TEXT, "Title"):
        at += ctx.rng.uniform(20, 60) * scale
        _apply("title", work, ctx)
        stages.append((at, copy.deepcopy(work)))
    return tuple(stages)


def track_summary(draft: Mapping[str, Any]) -> str:
    """The seed's summary: ``1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
    lines = []
    for number, track in enumerate(_tracks(dict(draft)), start=1):
        segments = _segments(track)
        if not segments:
            continue
        start = min(int(_num(s.get("start")) or 0) for s in segments)
        span = f"{_secs(start)}-{_secs(max(_end(s) for s in segments))}s"
        if track.get("tt") == contract.TrackType.TEXT:
            what = ", ".join(f'"{s.get("text")}"' for s in segments)
        else:
            what = ", ".join(dict.fromkeys(str(s.get("source")) for s in segments))
        volume = _num(segments[0].get("volume"))
        if track.get("tt") == contract.TrackType.AUDIO and volume is not None:
            span += f", {round(volume * 100)}%"
        lines.append(f"{number}. {track.get('name', 'Track')}: {what} ({span})")
    return " ".join(lines)
