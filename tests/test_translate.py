"""GUI translation: keep what the backend says about the video, act on what it asks of a GUI."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit._routing import Action, Route
from nemokit._translate import GuiAction, GuiKind, Role, Translation, translate

# The contract's GUI phrases, restated here so that a slip in the module shows.
GUI_PHRASE = re.compile(
    r"click|点击|open the|打开|drag|拖拽|export button|preview in (?:the )?timeline"
    r"|check (?:your )?(?:account|billing)|billing",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    ("text", "request_", "kept", "kind"),
    [
        (
            "I added a fade transition and lo-fi BGM. Click the Export button to download your "
            "video.",
            "add transitions and BGM, then export",
            "I added a fade transition and lo-fi BGM.",
            GuiKind.EXPORT,
        ),
        ("点击导出按钮下载视频", "导出", "", GuiKind.EXPORT),
        ("Open the Timeline panel to see the changes.", "add a title", "", GuiKind.OPEN),
        ("Drag the title to 0:05 in the timeline", "move the title to 0:05", "", GuiKind.DRAG),
        ("Preview it in the timeline.", "add a title", "", GuiKind.PREVIEW),
        ("Check your account billing page for credits.", "add music", "", GuiKind.BILLING),
        ("Click Apply to add the captions.", "add captions", "", GuiKind.CLICK),
        ("请打开时间线面板查看。", "加标题", "", GuiKind.OPEN),
        ("拖拽标题到5秒处。", "把标题移到5秒处", "", GuiKind.DRAG),
        ("Click the Download button.", "download it", "", GuiKind.EXPORT),
        ("导出视频吧！", "剪掉停顿然后导出", "", GuiKind.EXPORT),
    ],
)
def test_the_contracts_phrases_completing_the_request_are_carried_out(
    text: str, request_: str, kept: str, kind: GuiKind
) -> None:
    translation = translate(text, request_)
    assert translation.text == kept
    assert [a.kind for a in translation.actions] == [kind]
    assert [a.role for a in translation.actions] == [Role.INSTRUCTION]
    assert translation.set_aside == ()


@pytest.mark.parametrize(
    ("text", "kept", "kind"),
    [
        (
            "Your video is ready, click Export to download it.",
            "Your video is ready.",
            GuiKind.EXPORT,
        ),
        ("I added BGM and open the timeline to check it.", "I added BGM.", GuiKind.OPEN),
        ("To see the changes, open the Timeline panel.", "", GuiKind.OPEN),
        ("视频已完成，点击导出按钮下载。", "视频已完成。", GuiKind.EXPORT),
    ],
)
def test_only_the_instruction_clause_of_a_mixed_sentence_goes(
    text: str, kept: str, kind: GuiKind
) -> None:
    translation = translate(text, "export it")
    assert translation.text == kept
    assert [a.kind for a in translation.actions] == [kind]


def test_a_tip_clause_of_a_mixed_sentence_is_rewritten_after_the_content() -> None:
    translation = translate("I added BGM and you can preview it in the timeline.", "add BGM")
    assert translation.text == 'I added BGM. Say "show tracks" to see the timeline.'
    assert translation.actions == ()
    assert [(a.kind, a.role) for a in translation.set_aside] == [(GuiKind.PREVIEW, Role.TIP)]


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
    assert translate(text, "export") == Translation(text)


def test_list_items_are_sentences_and_line_breaks_survive() -> None:
    text = "Here's what I did:\n- Added BGM\n- Click Apply to add the subtitles\n- Trimmed pauses"
    translation = translate(text, "add the subtitles please")
    assert translation.text == "Here's what I did:\n- Added BGM\n- Trimmed pauses"
    assert translation.actions == (
        GuiAction(GuiKind.CLICK, "Apply", "Click Apply to add the subtitles"),
    )
    assert (
        translate("Done! Click Export.\nNext, captions.", "export").text == "Done!\nNext, captions."
    )
    unsure = translate(text)  # no request: the click completes nothing, so it is only said
    assert unsure.text == (
        "Here's what I did:\n- Added BGM\n"
        "- Tell me what you would like changed, and I will do it.\n- Trimmed pauses"
    )
    assert [a.role for a in unsure.set_aside] == [Role.UNSURE]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click the Export button.", Route(Action.EXPORT)),
        ("Check your billing page.", Route(Action.CREDITS)),
        ("Open the Timeline panel.", Route(Action.STATE)),
        ("Preview it in the timeline.", Route(Action.STATE)),
        ("Click the Credits tab.", Route(Action.CREDITS)),
        ("Click Apply to add the subtitles.", Route(Action.MESSAGE, "Add the subtitles.")),
        ("Click 'Auto Captions'.", None),
        (
            "Drag the title to 0:05 in the timeline.",
            Route(Action.MESSAGE, "Move the title to 0:05 in the timeline."),
        ),
        ("拖拽标题到5秒处。", Route(Action.MESSAGE, "移动标题到5秒处。")),
        (
            "拖拽时间线上的片段可以调整顺序。",
            Route(Action.MESSAGE, "移动时间线上的片段可以调整顺序。"),
        ),
    ],
)
def test_each_action_maps_to_a_client_step(text: str, expected: Route | None) -> None:
    translation = translate(text)
    (action,) = translation.actions + translation.set_aside
    assert action.to_route() == expected


def test_an_action_keeps_its_instruction_verbatim() -> None:
    (action,) = translate(
        "Nice. Drag the logo onto the corner!", "move the logo onto the corner"
    ).actions
    assert action == GuiAction(
        GuiKind.DRAG, "the logo onto the corner", "Drag the logo onto the corner!"
    )
    assert action.message == "Move the logo onto the corner!"


def test_text_that_is_not_a_string_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        translate(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="request"):
        translate("Done.", 3)  # type: ignore[arg-type]


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
    assert not GUI_PHRASE.search(translation.text)
    at = 0
    for content in contents:  # every content sentence, verbatim and in order
        at = translation.text.find(content, at)
        assert at >= 0, content
        at += len(content)
    found = [a.kind for a in translation.actions] + [a.kind for a in translation.set_aside]
    assert sorted(found) == sorted(s[1] for s in sentences if not isinstance(s, str))
    # Without a request nothing that costs credits is done: only reads of state and credits.
    assert {a.kind for a in translation.actions} <= {
        GuiKind.OPEN,
        GuiKind.PREVIEW,
        GuiKind.BILLING,
    }
