"""GUI translation: keep what the backend says about the video, act on what it asks of a GUI."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit._routing import Action, Route
from nemokit._translate import GuiAction, GuiKind, Translation, translate

# The contract's GUI phrases, restated here so that a slip in the module shows.
GUI_PHRASE = re.compile(
    r"click|点击|open the|打开|drag|拖拽|export button|preview in (?:the )?timeline"
    r"|check (?:your )?(?:account|billing)|billing",
    re.IGNORECASE,
)


def kinds(translation: Translation) -> list[GuiKind]:
    return [a.kind for a in translation.actions]


@pytest.mark.parametrize(
    ("text", "kept", "kind"),
    [
        (
            "I added a fade transition and lo-fi BGM. Click the Export button to download your "
            "video.",
            "I added a fade transition and lo-fi BGM.",
            GuiKind.EXPORT,
        ),
        ("点击导出按钮下载视频", "", GuiKind.EXPORT),
        ("Open the Timeline panel to see the changes.", "", GuiKind.OPEN),
        ("Drag the title to 0:05 in the timeline", "", GuiKind.DRAG),
        ("You can preview in timeline.", "", GuiKind.PREVIEW),
        ("Check your account billing page for credits.", "", GuiKind.BILLING),
        ("Click 'Auto Captions'.", "", GuiKind.CLICK),
        ("请打开时间线面板查看。", "", GuiKind.OPEN),
        ("拖拽标题到5秒处。", "", GuiKind.DRAG),
        ("Click the Download button.", "", GuiKind.EXPORT),
        ("导出视频吧！", "", GuiKind.EXPORT),
    ],
)
def test_the_contracts_phrases(text: str, kept: str, kind: GuiKind) -> None:
    translation = translate(text)
    assert translation.text == kept
    assert kinds(translation) == [kind]


@pytest.mark.parametrize(
    ("text", "kept", "kind"),
    [
        (
            "Your video is ready, click Export to download it.",
            "Your video is ready.",
            GuiKind.EXPORT,
        ),
        ("I added BGM and you can preview it in the timeline.", "I added BGM.", GuiKind.PREVIEW),
        ("To see the changes, open the Timeline panel.", "", GuiKind.OPEN),
        ("视频已完成，点击导出按钮下载。", "视频已完成。", GuiKind.EXPORT),
    ],
)
def test_only_the_instruction_clause_of_a_mixed_sentence_goes(
    text: str, kept: str, kind: GuiKind
) -> None:
    translation = translate(text)
    assert translation.text == kept
    assert kinds(translation) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "I added a click sound at 0:03.",
        "They open the door at 0:05.",
        "The beat drop lands at 0:12.",
        "视频已可导出。",
        "Your export is ready to download soon.",
        "Lines:\n- one\n- two",
    ],
)
def test_content_that_only_looks_like_an_instruction_is_kept_verbatim(text: str) -> None:
    assert translate(text) == Translation(text)


def test_list_items_are_sentences_and_line_breaks_survive() -> None:
    text = "Here's what I did:\n- Added BGM\n- Click Apply to add the subtitles\n- Trimmed pauses"
    translation = translate(text)
    assert translation.text == "Here's what I did:\n- Added BGM\n- Trimmed pauses"
    assert translation.actions == (
        GuiAction(GuiKind.CLICK, "Apply", "Click Apply to add the subtitles"),
    )
    assert translate("Done! Click Export.\nNext, captions.").text == "Done!\nNext, captions."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click the Export button.", Route(Action.EXPORT)),
        ("Check your billing page.", Route(Action.CREDITS)),
        ("Open the Timeline panel.", Route(Action.STATE)),
        ("Preview it in the timeline.", Route(Action.STATE)),
        ("Click the Credits tab.", Route(Action.CREDITS)),
        ("Click Apply to add the subtitles.", Route(Action.MESSAGE, "Add the subtitles")),
        ("Click 'Auto Captions'.", Route(Action.MESSAGE, "Auto Captions")),
        (
            "Drag the title to 0:05 in the timeline.",
            Route(Action.MESSAGE, "Move the title to 0:05"),
        ),
        ("拖拽标题到5秒处。", Route(Action.MESSAGE, "移动标题到5秒处")),
    ],
)
def test_each_action_maps_to_a_client_step(text: str, expected: Route) -> None:
    (action,) = translate(text).actions
    assert action.to_route() == expected


def test_an_action_keeps_its_instruction_verbatim() -> None:
    (action,) = translate("Nice. Drag the logo onto the corner!").actions
    assert action == GuiAction(
        GuiKind.DRAG, "the logo onto the corner", "Drag the logo onto the corner!"
    )


def test_text_that_is_not_a_string_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        translate(None)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------

CONTENT = st.one_of(
    st.builds(
        "{} {} {}{}".format,
        st.sampled_from(["I", "We", "The editor"]),
        st.sampled_from(["added", "trimmed", "kept", "moved", "softened"]),
        st.sampled_from(["a fade transition", "the intro", "lo-fi BGM at 35%", "the title card"]),
        st.sampled_from([".", "!", "?"]),
    ),
    st.sampled_from(
        [
            "Your video is 10s long.",
            "The timeline has 3 tracks now.",
            "Want a different font?",
            "我添加了淡入淡出转场。",
            "背景音乐音量为35%。",
            "视频已可导出。",
        ]
    ),
)
GUI = st.one_of(
    st.builds(
        lambda b: (f"Click the {b} button.", GuiKind.CLICK), st.sampled_from(["Apply", "Save"])
    ),
    st.builds(
        lambda p: (f"Open the {p} panel to see the changes.", GuiKind.OPEN),
        st.sampled_from(["Timeline", "Audio", "Text"]),
    ),
    st.builds(
        lambda t: (f"Drag the {t} to 0:05 in the timeline.", GuiKind.DRAG),
        st.sampled_from(["title", "logo"]),
    ),
    st.sampled_from(
        [
            ("You can preview in timeline.", GuiKind.PREVIEW),
            ("Preview it in the timeline!", GuiKind.PREVIEW),
            ("Check your account billing page for credits.", GuiKind.BILLING),
            ("Click the Export button to download your video.", GuiKind.EXPORT),
            ("点击导出按钮下载视频。", GuiKind.EXPORT),
            ("请打开时间线面板查看。", GuiKind.OPEN),
            ("拖拽标题到5秒处。", GuiKind.DRAG),
            ("点击应用按钮。", GuiKind.CLICK),
        ]
    ),
)


@given(
    st.lists(st.one_of(CONTENT, GUI), max_size=8),
    st.sampled_from([" ", "\n", "\n\n"]),
)
def test_gui_instructions_go_and_content_stays_verbatim_in_order(
    sentences: list[str | tuple[str, GuiKind]], separator: str
) -> None:
    text = separator.join(s if isinstance(s, str) else s[0] for s in sentences)
    translation = translate(text)
    contents = [s for s in sentences if isinstance(s, str)]
    assert translation.text == separator.join(contents)
    assert not GUI_PHRASE.search(translation.text)
    assert kinds(translation) == [s[1] for s in sentences if not isinstance(s, str)]
