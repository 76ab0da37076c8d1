"""The draft model: defensive reading, the contract's track summary, and the human diff."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit._draft import Segment, Timeline, Track, diff_drafts, diff_state


def example() -> dict[str, Any]:
    """The draft docs/architecture.md says the mock writes."""
    return {
        "t": [
            {
                "tt": 0,
                "name": "Video",
                "sg": [
                    {
                        "id": "sg_1",
                        "start": 0,
                        "duration": 10000,
                        "source": "city timelapse",
                        "transition": "fade",
                    }
                ],
            },
            {
                "tt": 1,
                "name": "BGM",
                "sg": [
                    {"id": "sg_2", "start": 0, "duration": 10000, "source": "Lo-fi", "volume": 0.35}
                ],
            },
            {
                "tt": 7,
                "name": "Title",
                "sg": [{"id": "sg_3", "start": 0, "duration": 3000, "text": "Urban Dreams"}],
            },
        ],
        "d": 10000,
        "m": {"title": "Urban Dreams", "width": 1920, "height": 1080, "fps": 30, "volume": 1.0},
    }


def track(tt: int, *segments: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = {"tt": tt, "sg": list(segments)}
    if name is not None:
        raw["name"] = name
    return raw


# --- reading ----------------------------------------------------------------------------------


def test_the_example_draft_reads_into_values() -> None:
    timeline = Timeline.from_draft(example())
    assert timeline.tracks[1] == Track(
        1, "BGM", (Segment("sg_2", 0, 10000, source="Lo-fi", volume=0.35),)
    )
    assert timeline.tracks[0].segments[0].transition == "fade"
    assert timeline.duration_ms == 10000
    assert timeline.size == (1920, 1080)
    assert timeline.title == "Urban Dreams"
    assert timeline.ready_to_export


@pytest.mark.parametrize(
    ("tt", "label"), [(0, "Video"), (1, "Audio"), (7, "Text"), (3, "Track"), ("junk", "Track")]
)
def test_an_unnamed_track_is_labelled_by_its_type(tt: object, label: str) -> None:
    timeline = Timeline.from_draft({"t": [{"tt": tt, "sg": [{"duration": 1000}]}]})
    assert timeline.tracks[0].label == label


def test_duration_falls_back_to_the_end_of_the_last_segment() -> None:
    draft = {"t": [track(0, {"start": 2000, "duration": 5000}, {"start": 0, "duration": 1000})]}
    for d in (None, "junk", -5, float("nan"), True):
        assert Timeline.from_draft({**draft, "d": d}).duration_ms == 7000
    assert Timeline.from_draft({**draft, "d": "9000"}).duration_ms == 9000


def test_a_draft_sent_as_json_text_is_read() -> None:
    import json

    assert Timeline.from_draft(json.dumps(example())) == Timeline.from_draft(example())


@pytest.mark.parametrize(
    "junk",
    [
        None,
        [],
        "not json",
        "[1, 2]",
        42,
        {"t": "tracks"},
        {"t": [None, 3, "x", {"sg": "segments"}]},
        {"t": [{"tt": 0, "sg": [None, [], {"start": "soon", "duration": {"ms": 1}}]}]},
        {"t": [{"tt": 1, "sg": [{"volume": "loud", "source": 5, "text": ["a"], "id": True}]}]},
        {"m": "meta", "d": 10**400},
    ],
)
def test_junk_never_raises_and_reads_what_it_can(junk: Any) -> None:
    timeline = Timeline.from_draft(junk)
    assert isinstance(timeline.summary(), str)
    for t in timeline.tracks:
        for s in t.segments:
            assert s.start_ms >= 0
            assert s.duration_ms >= 0
            assert s.volume is None
            assert s.source is None
            assert s.id is None


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)
SEGMENT = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON | st.sampled_from(["sg_1", "sg_2"]),
        "start": JSON | st.integers(0, 20000),
        "duration": JSON | st.integers(0, 20000),
        "source": JSON | st.sampled_from(["clip", "Lo-fi"]),
        "text": JSON | st.sampled_from(["Hi", "Bye"]),
        "volume": JSON | st.floats(0, 1),
        "transition": JSON | st.just("fade"),
    },
)
DRAFT = st.fixed_dictionaries(
    {},
    optional={
        "t": JSON
        | st.lists(
            st.fixed_dictionaries(
                {}, optional={"tt": JSON | st.sampled_from([0, 1, 7]), "sg": st.lists(SEGMENT)}
            )
            | JSON,
            max_size=4,
        ),
        "d": JSON,
        "m": JSON | st.fixed_dictionaries({}, optional={"width": JSON, "height": JSON}),
    },
)


@given(DRAFT | JSON)
def test_any_draft_reads_and_summarises_without_raising(draft: Any) -> None:
    timeline = Timeline.from_draft(draft)
    lines = timeline.summary_lines()
    assert len(lines) == sum(1 for t in timeline.tracks if t.segments)
    assert timeline.ready_to_export == bool(lines)
    assert diff_drafts(timeline, timeline) == ()
    assert bool(diff_drafts(None, timeline)) == timeline.ready_to_export


# --- the summary ------------------------------------------------------------------------------


def test_the_example_summary_is_the_contracts() -> None:
    assert Timeline.from_draft(example()).summary() == (
        "1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
        '3. Title: "Urban Dreams" (0-3s)'
    )


def test_several_segments_are_listed_and_empty_tracks_skipped() -> None:
    draft = {
        "t": [
            track(1, name="Voice"),
            track(0, {"source": "intro", "duration": 1500}, {"source": "main", "start": 1500}),
            track(1, {"source": "rain", "duration": 9960}),
            track(7, {"start": 5250, "duration": 3000, "text": "Subscribe!"}),
        ]
    }
    assert Timeline.from_draft(draft).summary_lines() == (
        "1. Video: intro (0-1.5s), main (1.5-1.5s)",
        "2. Audio: rain (0-10s)",
        '3. Text: "Subscribe!" (5.2-8.2s)',
    )


def test_an_empty_timeline_says_so() -> None:
    assert Timeline.from_draft({"t": [track(0)]}).summary() == "The timeline is empty."
    assert not Timeline.from_draft({"t": [track(0)]}).ready_to_export


# --- the diff ---------------------------------------------------------------------------------


def edited(change: Any) -> dict[str, Any]:
    draft = example()
    change(draft)
    return draft


def test_no_change_is_no_sentence() -> None:
    assert diff_drafts(Timeline.from_draft(example()), Timeline.from_draft(example())) == ()


def test_a_new_draft_lists_what_was_added() -> None:
    assert diff_drafts(None, example()) == (
        "Video added: city timelapse (0-10s)",
        "Transition added: fade",
        "BGM added: Lo-fi (0-10s, 35%)",
        'Title added: "Urban Dreams" (0-3s)',
    )


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda d: d["t"][0]["sg"][0].update(duration=8000), "Video trimmed: 10s → 8s"),
        (lambda d: d["t"][0]["sg"][0].update(duration=12500), "Video extended: 10s → 12.5s"),
        (lambda d: d["t"][2]["sg"][0].update(start=1000), "Title moved: 0-3s → 1-4s"),
        (lambda d: d["t"][1]["sg"][0].update(volume=0.2), "BGM volume: 35% → 20%"),
        (lambda d: d["t"][2]["sg"][0].update(text="B"), 'Title changed: "Urban Dreams" → "B"'),
        (lambda d: d["t"][0]["sg"][0].update(transition="wipe"), "Transition changed: fade → wipe"),
        (lambda d: d["t"][0]["sg"][0].pop("transition"), "Transition removed: fade"),
        (lambda d: d["t"].pop(1), "Track removed: BGM"),
        (
            lambda d: d["m"].update(width=1080, height=1920),
            "Aspect ratio changed: 1920x1080 → 1080x1920",
        ),
        (lambda d: d["m"].update(title="Night"), 'Title changed: "Urban Dreams" → "Night"'),
        (lambda d: d.update(d=12000), "Duration: 10s → 12s"),
        (
            lambda d: d["t"].append(
                track(7, {"start": 5000, "duration": 3000, "text": "Subscribe!"})
            ),
            'Text overlay added: "Subscribe!" (5-8s)',
        ),
        (
            lambda d: d["t"][0]["sg"].append({"id": "sg_9", "start": 10000, "source": "outro"}),
            "Video added: outro (10-10s)",
        ),
    ],
)
def test_each_kind_of_change_is_one_sentence(change: Any, sentence: str) -> None:
    assert diff_drafts(example(), edited(change)) == (sentence,)


def test_a_transition_on_an_existing_clip_is_news() -> None:
    before = edited(lambda d: d["t"][0]["sg"][0].pop("transition"))
    assert diff_drafts(before, example()) == ("Transition added: fade",)


def test_segments_with_ids_match_by_id_whatever_their_order() -> None:
    two = [
        {"id": "a", "source": "x", "duration": 1000},
        {"id": "b", "source": "y", "duration": 2000},
    ]
    assert diff_drafts({"t": [track(0, *two)]}, {"t": [track(0, *reversed(two))]}) == ()


def test_segments_without_ids_match_by_position() -> None:
    clips = ({"source": "x", "duration": 1000}, {"source": "y", "duration": 2000})
    before = {"t": [track(0, *clips)], "d": 5000}
    after = copy.deepcopy(before)
    after["t"][0]["sg"][1]["duration"] = 1000
    assert diff_drafts(before, after) == ("Video trimmed: 2s → 1s",)


def test_a_title_change_said_twice_is_said_once() -> None:
    def retitle(d: dict[str, Any]) -> None:
        d["t"][2]["sg"][0]["text"] = "Night"
        d["m"]["title"] = "Night"

    assert diff_drafts(example(), edited(retitle)) == ('Title changed: "Urban Dreams" → "Night"',)


# --- whole states -----------------------------------------------------------------------------


def state(draft: Any, media: int = 0, uploads: int = 0) -> dict[str, Any]:
    return {
        "video_infos": [{"n": i} for i in range(uploads)],
        "draft": draft,
        "canvas_config": {"width": 1920, "height": 1080},
        "video_analyses": [],
        "generated_media": [{"n": i} for i in range(media)],
    }


def test_a_state_diff_adds_new_media_to_the_draft_diff() -> None:
    trimmed = edited(lambda d: d["t"][0]["sg"][0].update(duration=8000))
    assert diff_state(state(example(), 1, 1), state(trimmed, 3, 2)) == (
        "Video trimmed: 10s → 8s",
        "New media: 2 generated",
        "New media: 1 uploaded",
    )


def test_a_state_diff_reads_the_endpoints_data_too() -> None:
    data = {"session_id": "1", "state": state(example(), media=1)}
    assert diff_state(state(example()), data) == ("New media: 1 generated",)


def test_a_state_diff_from_nothing_lists_the_draft() -> None:
    assert diff_state(None, state(example()))[0] == "Video added: city timelapse (0-10s)"


def test_a_canvas_change_is_an_aspect_ratio_change() -> None:
    after = state(example())
    after["canvas_config"] = {"width": 1080, "height": 1920}
    assert diff_state(state(example()), after) == ("Aspect ratio changed: 1920x1080 → 1080x1920",)


@given(JSON, JSON)
def test_state_diffs_of_junk_never_raise(before: Any, after: Any) -> None:
    assert isinstance(diff_state(before, after), tuple)
    assert diff_state(after, after) == ()
