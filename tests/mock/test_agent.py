"""The scripted agent: intents, the draft it writes, timing, costs, determinism."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import TurnScript, plan_turn
from mockserver._config import MockConfig
from mockserver.agent import track_summary
from nemokit import contract

CLIP = {
    "filename": "city_timelapse.mp4",
    "file_type": "video",
    "duration": 30.0,
    "width": 1920,
    "height": 1080,
}
QUIET = MockConfig(silent_rate=0.0, noise_rate=0.0)


def plan(
    message: str,
    draft: dict[str, Any] | None = None,
    media: Any = (CLIP,),
    *,
    config: MockConfig = QUIET,
    seed: int = 7,
    turn: int = 0,
) -> TurnScript:
    return plan_turn(message, draft or {}, list(media), seed=seed, turn_index=turn, config=config)


def tools(script: TurnScript) -> list[str]:
    return [i.payload["name"] for i in script.items if i.kind == "tool_call"]


def texts(script: TurnScript) -> list[str]:
    return [i.payload["text"] for i in script.items if i.kind == "text"]


def video(draft: dict[str, Any]) -> list[dict[str, Any]]:
    return next(t["sg"] for t in draft["t"] if t["tt"] == 0)


def track(draft: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in draft["t"] if t["name"] == name)


def test_same_inputs_give_the_identical_script() -> None:
    config = MockConfig(partial_text=True, noise_rate=0.5)
    first = plan("trim the pauses, add transitions", config=config)
    assert plan("trim the pauses, add transitions", config=config) == first
    others = [plan("trim the pauses, add transitions", config=config, seed=s) for s in range(8)]
    assert len({o.duration for o in others}) > 1  # the seed matters


def test_the_seed_guide_quick_edit_trims_and_adds_transitions_in_one_turn() -> None:
    script = plan("trim the pauses, add transitions, and export a shareable link")
    assert tools(script) == ["trim_pauses", "add_transitions"]
    assert script.kind == "edit"
    assert script.cost == contract.EDIT_TURN_COST
    assert 10 <= script.duration <= 30
    segments = video(script.draft_after or {})
    assert len(segments) > 1  # pauses cut: the clip became shorter pieces
    assert sum(s["duration"] for s in segments) < 30000
    assert all(s["transition"] for s in segments)
    assert script.draft_after is not None
    assert script.draft_after["d"] == sum(s["duration"] for s in segments)
    reply = texts(script)[0]
    assert "trimmed" in reply
    assert "transitions" in reply


def test_tool_calls_precede_their_results_and_the_reply_comes_last() -> None:
    script = plan("add a title and background music")
    kinds = [i.kind for i in script.items]
    assert kinds == ["tool_call", "tool_result", "tool_call", "tool_result", "text"]
    times = [i.at for i in script.items]
    assert times == sorted(times)
    assert times[-1] < script.duration
    calls = [i.payload["id"] for i in script.items if i.kind == "tool_call"]
    results = [i.payload["id"] for i in script.items if i.kind == "tool_result"]
    assert calls == results
    assert len(set(calls)) == 2
    assert script.applied_at == script.items[3].at


def test_an_empty_draft_is_seeded_from_the_uploads() -> None:
    photo = {
        "filename": "beach-day.png",
        "file_type": "image",
        "duration": None,
        "width": 800,
        "height": 600,
    }
    draft = plan("add transitions", media=[CLIP, photo]).draft_after or {}
    assert [s["source"] for s in video(draft)] == ["city timelapse", "beach day"]
    assert [s["duration"] for s in video(draft)] == [30000, 3000]
    assert draft["d"] == 33000
    assert (draft["m"]["width"], draft["m"]["height"]) == (1920, 1080)


@pytest.mark.parametrize(
    ("width", "height", "canvas"),
    [(16, 16, (1920, 1080)), (3840, 2160, (1920, 1080)), (720, 1280, (1080, 1920))],
)
def test_the_first_clip_sets_the_canvas_orientation_at_1080p(
    width: int, height: int, canvas: tuple[int, int]
) -> None:
    clip = {**CLIP, "width": width, "height": height}
    draft = plan("add transitions", media=[clip]).draft_after or {}
    assert (draft["m"]["width"], draft["m"]["height"]) == canvas


def test_an_edit_without_footage_is_a_text_reply_that_changes_nothing() -> None:
    script = plan("add a title", media=[])
    assert script.kind == "text"
    assert script.draft_after is None
    assert script.cost == contract.TEXT_TURN_COST
    assert "Upload" in texts(script)[0]


@pytest.mark.parametrize("seed", range(6))
def test_a_chat_message_is_a_text_turn(seed: int) -> None:
    script = plan("what can you do?", seed=seed)
    assert script.kind == "text"
    assert script.draft_after is None
    assert script.post == ()
    assert 5 <= script.duration <= 15
    assert script.cost == contract.TEXT_TURN_COST
    assert [i.kind for i in script.items] == ["text"]


def test_title_uses_quoted_text_and_sets_metadata() -> None:
    draft = plan('add a title "Urban Dreams"').draft_after or {}
    title = track(draft, "Title")
    assert title["tt"] == 7
    assert title["sg"][0]["text"] == "Urban Dreams"
    assert title["sg"][0]["start"] == 0
    assert title["sg"][0]["duration"] == 3000
    assert draft["m"]["title"] == "Urban Dreams"


def test_bgm_reads_style_and_volume_from_the_message() -> None:
    draft = plan("add lo-fi background music at 35%").draft_after or {}
    bgm = track(draft, "BGM")
    assert bgm["tt"] == 1
    assert bgm["sg"][0] | {"id": None} == {
        "id": None,
        "start": 0,
        "duration": 30000,
        "source": "Lo-fi",
        "volume": 0.35,
    }
    summary = track_summary(draft)
    assert summary == "1. Video: city timelapse (0-30s) 2. BGM: Lo-fi (0-30s, 35%)"


def test_changing_the_volume_keeps_the_music() -> None:
    first = plan("add jazz music at 50%").draft_after or {}
    second = plan("make the music 20%", draft=first, turn=1).draft_after or {}
    assert track(second, "BGM")["sg"][0]["source"] == "Jazz"
    assert track(second, "BGM")["sg"][0]["volume"] == 0.2


@pytest.mark.parametrize(
    ("message", "size"),
    [
        ("make it vertical for TikTok", (1080, 1920)),
        ("change the aspect ratio to 9:16", (1080, 1920)),
        ("改成竖屏", (1080, 1920)),
        ("square please, aspect 1:1", (1080, 1080)),
        ("landscape 16:9", (1920, 1080)),
    ],
)
def test_aspect_ratio(message: str, size: tuple[int, int]) -> None:
    draft = plan(message).draft_after or {}
    assert (draft["m"]["width"], draft["m"]["height"]) == size


def test_speed_divides_the_clip_durations() -> None:
    draft = plan("speed it up 2x").draft_after or {}
    assert draft["d"] == 15000
    assert draft["m"]["speed"] == 2.0
    slow = plan("slow motion").draft_after or {}
    assert slow["d"] == 60000


def test_text_overlay_lands_inside_the_video() -> None:
    draft = plan("add a caption “Link in bio”").draft_after or {}
    segment = track(draft, "Text")["sg"][0]
    assert segment["text"] == "Link in bio"
    assert segment["start"] >= 0
    assert segment["start"] + segment["duration"] <= draft["d"]


def test_remove_names_its_target() -> None:
    with_music = plan("add music").draft_after or {}
    removed = plan("remove the music", draft=with_music, turn=1)
    assert tools(removed) == ["remove_element"]
    assert all(t["tt"] != 1 for t in (removed.draft_after or {})["t"])
    nothing = plan("remove the music", draft=removed.draft_after, turn=2)
    assert nothing.draft_after is None  # nothing to remove: no change
    assert "no background music" in texts(nothing)[0]


def test_trimming_shortens_the_music_with_the_video() -> None:
    with_music = plan("add music").draft_after or {}
    trimmed = plan("trim the pauses", draft=with_music, turn=1).draft_after or {}
    assert track(trimmed, "BGM")["sg"][0]["duration"] == trimmed["d"] < 30000


def test_generation_is_long_expensive_and_finished_after_the_turn() -> None:
    script = plan("generate a video of a city timelapse at night", media=[])
    assert script.kind == "generate"
    assert script.cost == contract.GENERATION_COST
    assert 100 <= script.duration <= 300
    assert tools(script) == ["generate_video"]
    assert video(script.draft_after or {})[0]["source"] == "a city timelapse at night"
    (bgm_at, with_bgm), (title_at, with_title) = script.post
    assert script.duration < bgm_at < title_at
    assert [t["name"] for t in with_bgm["t"]] == ["Video", "BGM"]
    assert [t["name"] for t in with_title["t"]] == ["Video", "BGM", "Title"]
    assert "background music and a title" in texts(script)[0]


def test_chinese_messages_get_chinese_replies() -> None:
    script = plan("剪掉停顿，加上转场")
    assert tools(script) == ["trim_pauses", "add_transitions"]
    assert re.search(r"[\u4e00-\u9fff]", texts(script)[0])
    generated = plan("生成一个城市夜景视频", media=[])
    assert generated.kind == "generate"


def test_silent_turns_follow_the_configured_rate() -> None:
    always = plan("add a title", config=QUIET.replace(silent_rate=1.0))
    assert always.silent
    assert [i.kind for i in always.items] == ["tool_call", "tool_result"]
    assert always.draft_after is not None
    silent = sum(
        plan("add a title", seed=s, config=MockConfig(noise_rate=0)).silent for s in range(200)
    )
    assert 35 <= silent <= 85  # default 30% of 200


def test_noise_trails_the_normal_output() -> None:
    script = plan("add a title", config=QUIET.replace(noise_rate=1.0))
    last = script.items[-1]
    assert last.kind == "text"
    assert last.payload["text"].startswith(contract.NOISE_PHRASE)
    assert texts(script)[0] != last.payload["text"]


def test_partial_chunks_join_to_the_reply() -> None:
    script = plan("add transitions", config=QUIET.replace(partial_text=True))
    chunks = [i.payload["text"] for i in script.items if i.kind == "partial"]
    assert len(chunks) > 1
    assert "".join(chunks) == texts(script)[0]
    assert [i.kind for i in script.items][-1] == "text"


def test_gui_phrases_appear_sometimes() -> None:
    replies = [texts(plan("add a title", seed=s))[0] for s in range(40)]
    gui = [r for r in replies if re.search(r"Click|Open the|Preview in|Drag", r)]
    assert 0 < len(gui) < len(replies)


def test_duration_scale_shrinks_every_time() -> None:
    fast = plan("add a title", config=QUIET.replace(duration_scale=0.01))
    slow = plan("add a title")
    assert fast.duration == pytest.approx(slow.duration * 0.01)
    assert fast.items[-1].at == pytest.approx(slow.items[-1].at * 0.01)


WORDS = [
    "trim",
    "pauses",
    "title",
    "music",
    "bgm",
    "transitions",
    "caption",
    "9:16",
    "21:9",
    "vertical",
    "speed",
    "0x",
    "3.5x",
    "slower",
    "remove",
    "generate",
    "“x”",
    '"',
    "40%",
    "生成",
    "字幕",
    "删除",
    "竖屏",
    "音乐",
    "and",
    ",",
]


@given(
    words=st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=8),
    seed=st.integers(0, 2**32),
    turn=st.integers(0, 50),
    drafted=st.booleans(),
)
def test_any_message_gives_a_well_formed_script(
    words: list[str], seed: int, turn: int, drafted: bool
) -> None:
    message = " ".join(words)
    draft = plan("add a title and music and transitions").draft_after if drafted else {}
    script = plan(message, draft, seed=seed, turn=turn, config=MockConfig())
    assert script.duration > 0
    assert script.cost in (
        contract.TEXT_TURN_COST,
        contract.EDIT_TURN_COST,
        contract.GENERATION_COST,
    )
    assert all(0 <= i.at <= script.duration for i in script.items)
    assert [i.at for i in script.items] == sorted(i.at for i in script.items)
    if script.draft_after is not None:
        assert any(t["sg"] for t in script.draft_after["t"])
        assert script.draft_after["d"] >= 0


@pytest.mark.parametrize(
    ("message", "title"),
    [
        ("add a title Urban Dreams", "Urban Dreams"),
        ("add a title: Golden Hour of the City, then add BGM", "Golden Hour of the City"),
        ("add a title Urban Dreams and lo-fi music", "Urban Dreams"),
    ],
)
def test_a_title_the_user_names_without_quotes_is_the_title_added(message: str, title: str) -> None:
    draft = plan(message).draft_after or {}
    assert track(draft, "Title")["sg"][0]["text"] == title


def test_a_title_request_that_names_no_title_still_gets_a_title() -> None:
    draft = plan("add a title to the intro").draft_after or {}
    text = track(draft, "Title")["sg"][0]["text"]
    assert text
    assert "intro" not in text
