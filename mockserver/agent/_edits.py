"""Each edit of the scripted agent: it mutates the working draft and reports what it did.

An edit is a function of the draft and the turn's :class:`~mockserver.agent._intents.Context`; every
random choice comes from ``ctx.rng`` in a fixed order, so a plan stays reproducible. The draft is
refreshed (``d`` recomputed, other tracks clipped to it) after each edit by :func:`apply`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nemokit import contract

from ._drafts import (
    clips,
    drop_tracks,
    find_track,
    lay_out,
    meta_of,
    new_track,
    next_id,
    num,
    refresh,
    secs,
    segments_of,
    source_name,
    track_end,
)
from ._intents import RATIO_WORDS, STYLES, TRANSITIONS, Context, subject_of, volume_in

__all__ = ["Change", "apply"]


@dataclass(frozen=True, slots=True)
class Change:
    """One edit as the agent reports it: the tool it called and what it did."""

    tool: str
    args: dict[str, Any]
    summary: str
    status: str = "success"


def apply(op: str, draft: dict[str, Any], ctx: Context) -> tuple[dict[str, Any], Change]:
    """Run the edit named ``op`` on ``draft`` and refresh it; the draft and what was done."""
    change = _OPS[op](draft, ctx)
    refresh(draft)
    return draft, change


def _generate(draft: dict[str, Any], ctx: Context) -> Change:
    subject = subject_of(ctx.message)
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
        f"generated a {secs(length)}s video of {subject}",
        f"生成了一段{secs(length)}秒的视频：{subject}",
    )
    return Change("generate_video", {"prompt": ctx.message, "duration_ms": length}, summary)


def _trim(draft: dict[str, Any], ctx: Context) -> Change:
    video = find_track(draft, contract.TrackType.VIDEO) or new_track(draft, 0, "Video")
    before = track_end(video)
    pieces: list[dict[str, Any]] = []
    for segment in segments_of(video):
        duration = int(num(segment.get("duration")) or 0)
        count = ctx.rng.choice((2, 3)) if duration >= 6000 else 1
        kept = int(duration * ctx.rng.uniform(0.7, 0.9)) // 100 * 100 or duration
        for index in range(count):
            piece = (
                dict(segment)
                if index == 0
                else {"id": next_id(draft), "start": 0, "source": segment.get("source")}
            )
            piece["duration"] = kept // count
            pieces.append(piece)
            video["sg"] = [*pieces]  # so that next_id sees the ids handed out so far
    video["sg"] = pieces
    lay_out(video)
    after = track_end(video)
    summary = ctx.say(
        f"trimmed the pauses: {secs(before)}s → {secs(after)}s in {clips(len(pieces))}",
        f"剪掉了停顿：{secs(before)}秒 → {secs(after)}秒，共{len(pieces)}个片段",
    )
    return Change("trim_pauses", {"min_pause_ms": 500}, summary)


_TITLES = ("Urban Dreams", "Golden Hour", "Behind the Scenes", "Weekend Recap", "First Light")
_TITLES_ZH = ("城市之梦", "光影时刻", "周末随拍", "幕后花絮", "第一缕光")


def _title(draft: dict[str, Any], ctx: Context) -> Change:
    text = ctx.quote() or ctx.named_title() or ctx.rng.choice(_TITLES_ZH if ctx.zh else _TITLES)
    track = find_track(draft, contract.TrackType.TEXT, "Title") or new_track(draft, 7, "Title")
    end = min(3000, int(num(draft.get("d")) or 3000)) or 3000
    track["sg"] = [{"id": next_id(draft), "start": 0, "duration": end, "text": text}]
    meta_of(draft)["title"] = text
    summary = ctx.say(
        f'added the title "{text}" (0-{secs(end)}s)', f"添加了标题“{text}”（0-{secs(end)}秒）"
    )
    return Change("add_title", {"text": text}, summary)


_DEFAULT_STYLES = ("Lo-fi", "Acoustic", "Ambient", "Upbeat Pop", "Cinematic")


def _bgm(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    track = find_track(draft, contract.TrackType.AUDIO)
    current = segments_of(track)[0] if track and segments_of(track) else None
    style = next((label for key, label in STYLES.items() if key in lowered), None)
    audio = next((m for m in ctx.media if m.get("file_type") == "audio"), None)
    source = (
        style or (current or {}).get("source") or (audio and source_name(audio.get("filename")))
    )
    source = source or ctx.rng.choice(_DEFAULT_STYLES)
    volume = volume_in(lowered) or num((current or {}).get("volume"))
    volume = volume or ctx.rng.choice((0.2, 0.25, 0.3, 0.35, 0.4, 0.5))
    track = track or new_track(draft, 1, "BGM")
    end = int(num(draft.get("d")) or 0)
    track["sg"] = [
        {
            "id": (current or {}).get("id") or next_id(draft),
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


_KIND_ZH = {"fade": "淡入淡出", "dissolve": "溶解", "wipe": "擦除", "slide": "滑动", "zoom": "缩放"}


def _transitions(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    kind = next((v for k, v in TRANSITIONS.items() if k in lowered), None)
    kind = kind or ctx.rng.choice(("fade", "dissolve", "slide"))
    segments = segments_of(find_track(draft, contract.TrackType.VIDEO) or {})
    for segment in segments:
        segment["transition"] = kind
    summary = ctx.say(
        f"added {kind} transitions to {clips(len(segments), the=True)}",
        f"为{len(segments)}个片段添加了{_KIND_ZH[kind]}转场",
    )
    return Change("add_transitions", {"type": kind}, summary)


_OVERLAYS = ("Subscribe for more!", "Link in bio", "Watch till the end")
_OVERLAYS_ZH = ("关注我们", "精彩继续", "看到最后")


def _overlay(draft: dict[str, Any], ctx: Context) -> Change:
    text = ctx.quote() or ctx.rng.choice(_OVERLAYS_ZH if ctx.zh else _OVERLAYS)
    end = int(num(draft.get("d")) or 0)
    start = int(end * ctx.rng.uniform(0.3, 0.6)) // 100 * 100
    length = min(4000, end - start) if end > start else 4000
    track = find_track(draft, contract.TrackType.TEXT, "Text") or new_track(draft, 7, "Text")
    track["sg"] = [
        *segments_of(track),
        {"id": next_id(draft), "start": start, "duration": length, "text": text},
    ]
    span = f"{secs(start)}-{secs(start + length)}"
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


def _aspect(draft: dict[str, Any], ctx: Context) -> Change:
    lowered = ctx.message.lower()
    found = re.search(r"(\d{1,2})\s*[:：]\s*(\d{1,2})", lowered)
    if found and int(found.group(1)) and int(found.group(2)):
        ratio = f"{int(found.group(1))}:{int(found.group(2))}"
    else:
        named = (r for r, words in RATIO_WORDS if any(w in lowered for w in words))
        ratio = next(named, None) or ctx.rng.choice(("9:16", "1:1"))
    width, height = _RATIOS.get(ratio) or _dimensions(ratio)
    meta = meta_of(draft)
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
    video = find_track(draft, contract.TrackType.VIDEO) or new_track(draft, 0, "Video")
    before = track_end(video)
    for segment in segments_of(video):
        segment["duration"] = max(100, round((num(segment.get("duration")) or 0) / factor))
    lay_out(video)
    meta = meta_of(draft)
    meta["speed"] = round((num(meta.get("speed")) or 1.0) * factor, 3)
    summary = ctx.say(
        f"set the speed to {factor:g}x: {secs(before)}s → {secs(track_end(video))}s",
        f"把速度调成了{factor:g}倍：{secs(before)}秒 → {secs(track_end(video))}秒",
    )
    return Change("change_speed", {"factor": factor}, summary)


def _removal(target: str, label: str, label_zh: str, keep: Any) -> Any:
    def remove(draft: dict[str, Any], ctx: Context) -> Change:
        removed = drop_tracks(draft, keep)
        if target == "title" and removed:
            meta_of(draft).pop("title", None)
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
    segments = segments_of(find_track(draft, contract.TrackType.VIDEO) or {})
    had = [s.pop("transition") for s in segments if "transition" in s]
    summary = ctx.say(
        f"removed the transitions from {clips(len(had))}", f"删除了{len(had)}个片段的转场"
    )
    return Change(
        "remove_element", {"target": "transitions"}, summary, "success" if had else "noop"
    )


def _remove_clip(draft: dict[str, Any], ctx: Context) -> Change:
    segments = segments_of(find_track(draft, contract.TrackType.VIDEO) or {})
    if len(segments) < 2:
        summary = ctx.say(
            "kept the only clip (a video needs at least one)",
            "保留了唯一的片段（视频至少需要一个片段）",
        )
        return Change("remove_element", {"target": "last_clip"}, summary, "noop")
    video = find_track(draft, contract.TrackType.VIDEO) or {}
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
