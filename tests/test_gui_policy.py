"""The contract's GUI table, row by row, in English and Chinese, as labelled cases.

Each case: what the user asked, what the backend said, whether that is an instruction that
completes the request, a tip, or an instruction the client is unsure of, what the client does
(the route it runs, or nothing), and what it shows.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from nemokit._gui_policy import edit_sentence, is_tip, names_only_the_request, well_formed
from nemokit._routing import Action, Route
from nemokit._translate import GuiKind, Role, translate


class Case(NamedTuple):
    asked: str
    said: str
    role: Role
    does: Route | None  # None: the client does nothing
    shows: str


EXPORT = Route(Action.EXPORT)
STATE = Route(Action.STATE)
CREDITS = Route(Action.CREDITS)

CASES: dict[str, Case] = {
    # "click [button]" / 点击 → execute it through the API
    "click, instruction": Case(
        "add the subtitles please",
        "Click Apply to add the subtitles.",
        Role.INSTRUCTION,
        Route(Action.MESSAGE, "Add the subtitles."),
        "",
    ),
    "click a named button, instruction": Case(
        "add a title", "Click the Credits tab.", Role.INSTRUCTION, CREDITS, ""
    ),
    "click, tip": Case(
        "add a title",
        "You can click Style to change the font.",
        Role.TIP,
        None,
        "Tell me what you would like changed, and I will do it.",
    ),
    "点击, 指令": Case(
        "请加字幕", "点击应用以加字幕。", Role.INSTRUCTION, Route(Action.MESSAGE, "加字幕。"), ""
    ),
    "点击, 提示": Case(
        "加标题", "可以点击样式修改字体。", Role.TIP, None, "需要改什么，直接告诉我。"
    ),
    # "open [panel]" / 打开 → query session state
    "open, instruction": Case(
        "add a title", "Open the timeline panel to preview the result.", Role.INSTRUCTION, STATE, ""
    ),
    "open, tip": Case(
        "add a title",
        "If you like, open the audio panel.",
        Role.TIP,
        None,
        'Say "show tracks" to see the timeline.',
    ),
    "打开, 指令": Case("剪掉停顿", "打开时间线面板预览效果。", Role.INSTRUCTION, STATE, ""),
    "打开, 提示": Case(
        "剪掉停顿", "你可以打开时间线面板看看。", Role.TIP, None, "说“状态”即可查看时间线。"
    ),
    # "drag/drop" / 拖拽 → send the edit through SSE
    "drag, instruction": Case(
        "move the clip to the start",
        "Drag the clip to the start of the timeline.",
        Role.INSTRUCTION,
        Route(Action.MESSAGE, "Move the clip to the start of the timeline."),
        "",
    ),
    "drag, tip": Case(
        "trim the pauses",
        "Drag the clips on the timeline to fine-tune the order.",
        Role.TIP,
        None,
        "To move or reorder clips, tell me what should go where.",
    ),
    "drag, not what was asked": Case(
        "move the title later",
        "Drag the title to 2s in the timeline.",
        Role.UNSURE,
        None,
        "To move or reorder clips, tell me what should go where.",
    ),
    "拖拽, 指令": Case(
        "把标题移到5秒处",
        "拖拽标题到5秒处。",
        Role.INSTRUCTION,
        Route(Action.MESSAGE, "移动标题到5秒处。"),
        "",
    ),
    "拖拽, 提示": Case(
        "你好",
        "拖拽时间线上的片段可以调整顺序。",
        Role.TIP,
        None,
        "想移动片段或改顺序，告诉我要放到哪里。",
    ),
    # "preview in timeline" → show the track summary
    "preview, instruction": Case(
        "add transitions", "Preview in timeline to check the cut.", Role.INSTRUCTION, STATE, ""
    ),
    "preview, tip": Case(
        "add transitions",
        "You can preview it in the timeline.",
        Role.TIP,
        None,
        'Say "show tracks" to see the timeline.',
    ),
    "时间线预览, 指令": Case("加转场", "请在时间线中预览效果。", Role.INSTRUCTION, STATE, ""),
    # "Export button" / 导出 → run the export workflow
    "export button, instruction": Case(
        "make a video of the beach",
        "Click Export to download the video you asked for.",
        Role.INSTRUCTION,
        EXPORT,
        "",
    ),
    "export button, asked for the file": Case(
        "trim the pauses and export",
        "Click the Export button to download your video.",
        Role.INSTRUCTION,
        EXPORT,
        "",
    ),
    "export button, not asked for": Case(
        "trim the pauses",
        "Click the Export button to download your video.",
        Role.UNSURE,
        None,
        'Say "export" when you want the video.',
    ),
    "export button, tip": Case(
        "export",
        "You can click the Export button any time.",
        Role.TIP,
        None,
        'Say "export" when you want the video.',
    ),
    "导出按钮, 指令": Case(
        "剪掉停顿然后导出", "点击导出按钮即可下载视频。", Role.INSTRUCTION, EXPORT, ""
    ),
    "导出按钮, 没要": Case(
        "剪掉停顿", "点击导出按钮即可下载视频。", Role.UNSURE, None, "需要成片时，说“导出”即可。"
    ),
    # "check account/billing" → check credits
    "billing, instruction": Case(
        "generate a 2 minute intro",
        "Check your account billing page.",
        Role.INSTRUCTION,
        CREDITS,
        "",
    ),
    "billing, tip": Case(
        "add music",
        "Feel free to check your account balance.",
        Role.TIP,
        None,
        'Say "credits" to see your balance.',
    ),
    "账单, 指令": Case("生成片头", "请查看您的账户余额。", Role.INSTRUCTION, CREDITS, ""),
    "账单, 提示": Case(
        "生成片头", "如需充值，可以查看账单。", Role.TIP, None, "说“余额”即可查看积分。"
    ),
}


@pytest.mark.parametrize("label", list(CASES))
def test_the_contracts_gui_table(label: str) -> None:
    case = CASES[label]
    translation = translate(case.said, case.asked)
    (action,) = translation.actions + translation.set_aside
    assert action.role is case.role
    done = [a.to_route() for a in translation.actions]
    assert done == ([case.does] if case.does else [])
    assert translation.text == case.shows


def test_the_cases_cover_every_kind_in_both_roles_and_languages() -> None:
    seen = set()
    for case in CASES.values():
        translation = translate(case.said, case.asked)
        for action in translation.actions + translation.set_aside:
            zh = not case.said.isascii()
            seen.add((action.kind, action.role is Role.INSTRUCTION, zh))
    for kind in GuiKind:
        assert (kind, True, False) in seen, kind
        assert (kind, False, False) in seen or kind is GuiKind.PREVIEW, kind


@pytest.mark.parametrize(
    ("text", "tip"),
    [
        ("You can drag the clip anywhere.", True),
        ("Feel free to open the audio panel.", True),
        ("Drag the clips to fine-tune the order.", True),
        ("If you'd like, click Apply.", True),
        ("拖拽片段可以调整顺序。", True),
        ("如需修改，请点击编辑。", True),
        ("Drag the clip to the start.", False),
        ("点击导出按钮即可下载视频。", False),
        ("Click Export to download the video you asked for.", False),
    ],
)
def test_tips_are_told_from_instructions(text: str, tip: bool) -> None:
    assert is_tip(text) is tip


@pytest.mark.parametrize(
    "fragment",
    ["移动时间线上的片段可", "Move the clips on the", "Move", "移动片段到", "Add the subtitles to"],
)
def test_a_fragment_is_never_a_well_formed_sentence(fragment: str) -> None:
    for candidate in (fragment, fragment + ".", fragment + "。"):
        assert not well_formed(candidate), candidate


def test_an_edit_sentence_is_whole_or_nothing() -> None:
    assert (
        edit_sentence(GuiKind.DRAG, "Drag the clip to the start.") == "Move the clip to the start."
    )
    assert edit_sentence(GuiKind.DRAG, "drag the title to 2s") == "Move the title to 2s."
    assert edit_sentence(GuiKind.DRAG, "If you like, drag it.") == ""  # the drag starts nothing
    assert edit_sentence(GuiKind.DRAG, "Drag it to the") == ""  # cut off
    assert edit_sentence(GuiKind.CLICK, "Click 'Auto Captions'.") == ""  # a name, not a request
    assert edit_sentence(GuiKind.EXPORT, "Click Export.") == ""


def test_an_edit_completes_a_request_only_with_the_users_words() -> None:
    assert names_only_the_request("Move the clip to the start.", "move the clip to the start")
    assert names_only_the_request("Move the clips to the start.", "put the clip at the start")
    assert not names_only_the_request("Move the title to 2s.", "move the title later")
    assert not names_only_the_request("Move it there.", "move it")  # names nothing
    assert names_only_the_request("移动标题到5秒处。", "把标题移到5秒处")
    assert not names_only_the_request("移动时间线上的片段可以调整顺序。", "你好")
