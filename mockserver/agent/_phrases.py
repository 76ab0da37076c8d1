"""What the scripted agent says: replies after an edit or a chat, GUI instructions, noise tails.

Replies are in Chinese when the message has CJK characters. Half of them end with an
instruction for a GUI the client does not have, which a client must translate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nemokit import contract

from ._drafts import has_segments, num, secs, segment_end, segments_of, tracks_of
from ._intents import Context

__all__ = ["NOISE_TAILS", "chat_reply", "edit_reply", "no_footage_reply", "track_summary"]


NOISE_TAILS = (
    ". Please try again.",
    " while saving the preview. Please try again later.",
    " — some changes may take a moment to appear.",
)


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


def edit_reply(ctx: Context, summaries: list[str], generating: bool) -> str:
    """The reply after edits: "Done! I …", plus the post-production promise after a generation."""
    if ctx.zh:
        later = "稍后我会自动添加背景音乐和标题。" if generating else ""
        return f"完成！我{'，'.join(summaries)}。{later}{_gui(ctx)}"
    joined = summaries[0] if len(summaries) == 1 else ", ".join(summaries[:-1])
    joined += f" and {summaries[-1]}" if len(summaries) > 1 else ""
    later = " I'll add background music and a title in a moment." if generating else ""
    return f"Done! I {joined}.{later}{_gui(ctx)}"


def no_footage_reply(ctx: Context) -> str:
    """The reply to an edit on a project with no footage to edit."""
    return ctx.say(
        "There's no footage in this project yet. Upload a video or ask me to generate one, "
        "and I'll make that edit.",
        "这个项目里还没有素材。请先上传视频，或者让我生成一段，然后我再来编辑。",
    )


def chat_reply(ctx: Context, draft: dict[str, Any]) -> str:
    """The reply to a message with no intent: the track summary and an example request."""
    if not has_segments(draft):
        return ctx.say(
            "I'm ready: upload a clip or describe the video you want me to generate.",
            "准备好了：上传一段视频，或者描述你想生成的视频。",
        )
    count, summary = len(tracks_of(draft)), track_summary(draft)
    return ctx.say(
        f"Your project has {count} tracks: {summary}. Tell me what to change, for example "
        f'"trim the pauses" or "add a title".{_gui(ctx)}',
        f"当前项目有{count}条轨道：{summary}。告诉我要怎么改，比如“剪掉停顿”或“加个标题”。{_gui(ctx)}",
    )


def track_summary(draft: Mapping[str, Any]) -> str:
    """The seed's summary: ``1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
    lines = []
    for number, track in enumerate(tracks_of(dict(draft)), start=1):
        segments = segments_of(track)
        if not segments:
            continue
        start = min(int(num(s.get("start")) or 0) for s in segments)
        span = f"{secs(start)}-{secs(max(segment_end(s) for s in segments))}s"
        if track.get("tt") == contract.TrackType.TEXT:
            what = ", ".join(f'"{s.get("text")}"' for s in segments)
        else:
            what = ", ".join(dict.fromkeys(str(s.get("source")) for s in segments))
        volume = num(segments[0].get("volume"))
        if track.get("tt") == contract.TrackType.AUDIO and volume is not None:
            span += f", {round(volume * 100)}%"
        lines.append(f"{number}. {track.get('name', 'Track')}: {what} ({span})")
    return " ".join(lines)
