"""Routing: what the user typed or sent → the client's steps (docs/contract.md, "Routing")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemokit._routing import Action, Route, route

# The contract's table, restated here rather than imported, so a slip in the module shows.
EXPORT_CREDITS_EN = ("export", "download", "send me the video", "credits", "balance")
EXPORT_CREDITS_ZH = ("导出", "积分", "余额")
ALL_EN = (*EXPORT_CREDITS_EN, "status", "show tracks", "upload")
ALL_ZH = (*EXPORT_CREDITS_ZH, "状态", "上传")


def has_keyword(text: str, english: tuple[str, ...], chinese: tuple[str, ...]) -> bool:
    folded = text.casefold()
    for word in english:
        phrase = r"\s+".join(map(re.escape, word.split()))
        if re.search(rf"(?<![a-z]){phrase}(?![a-z])", folded):
            return True
    return any(word in text for word in chinese)


def messages(routes: tuple[Route, ...]) -> list[str]:
    return [r.text for r in routes if r.action is Action.MESSAGE]


def test_the_seeds_main_example_sends_the_edit_and_exports_on_the_client() -> None:
    routes = route("trim the pauses, add transitions, and export a shareable link")
    assert routes == (
        Route(Action.MESSAGE, "trim the pauses, add transitions"),
        Route(Action.EXPORT),
    )


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("export", Action.EXPORT),
        ("Export it", Action.EXPORT),
        ("导出视频", Action.EXPORT),
        ("download", Action.EXPORT),
        ("Send me the video", Action.EXPORT),
        ("send  me the\tvideo please", Action.EXPORT),
        ("credits", Action.CREDITS),
        ("what's my balance?", Action.CREDITS),
        ("我还有多少积分", Action.CREDITS),
        ("查询余额", Action.CREDITS),
        ("status", Action.STATE),
        ("状态", Action.STATE),
        ("show tracks", Action.STATE),
        ("Show me the tracks", Action.STATE),
        ("upload", Action.UPLOAD),
        ("上传", Action.UPLOAD),
        ("ＥＸＰＯＲＴ", Action.EXPORT),  # full-width letters are the same word
    ],
)
def test_a_command_alone_is_just_that_action(text: str, action: Action) -> None:
    assert route(text) == (Route(action),)


@pytest.mark.parametrize(
    "text",
    ["make it downloadable", "I exported it yesterday, make it shorter", "give credit to Ana"],
)
def test_other_forms_of_a_keyword_are_a_message(text: str) -> None:
    assert route(text) == (Route(Action.MESSAGE, text),)


def test_status_quo_routes_to_state_as_documented() -> None:
    assert route("keep the status quo") == (Route(Action.STATE),)


def test_anything_else_is_one_message_verbatim() -> None:
    text = "  Add lo-fi BGM at 35%, then a title card: Urban Dreams.  "
    assert route(text) == (Route(Action.MESSAGE, text.strip()),)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_nothing_to_do_is_no_route(text: str) -> None:
    assert route(text) == ()


def test_chinese_clauses_are_split_at_their_own_conjunctions() -> None:
    routes = route("剪掉停顿，添加转场，然后导出")
    assert routes == (Route(Action.MESSAGE, "剪掉停顿，添加转场"), Route(Action.EXPORT))


def test_routes_come_upload_message_state_credits_export() -> None:
    routes = route("export, check my credits, add a title and show tracks", ["clip.mp4"])
    assert [r.action for r in routes] == [
        Action.UPLOAD,
        Action.MESSAGE,
        Action.STATE,
        Action.CREDITS,
        Action.EXPORT,
    ]
    assert routes[0].files == ("clip.mp4",)
    assert routes[1].text == "add a title"


def test_a_removed_middle_clause_leaves_the_others_joined_as_written() -> None:
    assert messages(route("add a title, export it, and then add BGM")) == [
        "add a title, and then add BGM"
    ]


def test_politeness_left_over_after_a_command_is_not_sent() -> None:
    assert route("Ok, export it, thanks!") == (Route(Action.EXPORT),)
    assert route("thanks!") == (Route(Action.MESSAGE, "thanks!"),)


def test_each_action_appears_once() -> None:
    assert route("export and download, then export again") == (Route(Action.EXPORT),)


def test_attachments_upload_first_then_the_message() -> None:
    assert route("add subtitles to this", ["a.mp4", "b.mov"]) == (
        Route(Action.UPLOAD, files=("a.mp4", "b.mov")),
        Route(Action.MESSAGE, "add subtitles to this"),
    )


def test_a_lone_string_attachment_is_one_file() -> None:
    assert route("", "a.mp4") == (Route(Action.UPLOAD, files=("a.mp4",)),)  # type: ignore[arg-type]


def test_an_upload_clause_brings_its_links() -> None:
    routes = route("upload https://example.com/clip.mp4, then add BGM")
    assert routes == (
        Route(Action.UPLOAD, files=("https://example.com/clip.mp4",)),
        Route(Action.MESSAGE, "add BGM"),
    )


def test_a_phrase_across_a_line_break_is_still_the_phrase() -> None:
    assert route("send me\nthe video") == (Route(Action.EXPORT),)


@pytest.mark.parametrize("bad", [None, 3, b"export"])
def test_text_that_is_not_a_string_is_a_clear_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="str"):
        route(bad)  # type: ignore[arg-type]


def test_an_attachment_that_is_not_a_path_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="attachments"):
        route("hi", [3])  # type: ignore[list-item]


# --- properties -------------------------------------------------------------------------------

CONTENT = st.sampled_from(
    [
        "trim the pauses",
        "add transitions",
        "make it 1080p",
        "add a title card",
        "剪掉停顿",
        "添加字幕",
        "speed up the intro",
        "add lo-fi music",
    ]
)
COMMAND = st.sampled_from(
    [*ALL_EN, *ALL_ZH, "export a shareable link", "check my balance", "导出视频"]
).flatmap(lambda k: st.sampled_from([k, k.upper(), k.title()]))
SEPARATOR = st.sampled_from(
    [", ", ", and ", " and ", " then ", ", and then ", "，", "、", "然后", "再"]
)


@given(st.lists(st.tuples(st.booleans(), CONTENT, COMMAND), min_size=1, max_size=5), SEPARATOR)
def test_commands_never_reach_the_backend_and_content_does_in_order(
    parts: list[tuple[bool, str, str]], separator: str
) -> None:
    clauses = [command if is_command else content for is_command, content, command in parts]
    routes = route(separator.join(clauses))
    sent = messages(routes)
    assert all(not has_keyword(m, EXPORT_CREDITS_EN, EXPORT_CREDITS_ZH) for m in sent)
    assert len(sent) <= 1
    contents = [c for c in clauses if not has_keyword(c, ALL_EN, ALL_ZH)]
    if contents:
        at = 0
        for content in contents:  # each one, verbatim, after the one before
            at = sent[0].find(content, at)
            assert at >= 0
            at += len(content)
    else:
        assert sent == []
    actions = [r.action for r in routes]
    assert len(actions) == len(set(actions))
    assert Action.EXPORT not in actions or actions[-1] is Action.EXPORT


JUNK = st.lists(
    st.one_of(st.sampled_from([*ALL_EN, *ALL_ZH, "send me", "the video"]), SEPARATOR, st.text()),
    max_size=8,
).map("".join)


@given(JUNK)
def test_no_text_at_all_sends_an_export_or_credits_keyword(text: str) -> None:
    assert all(
        not has_keyword(m, EXPORT_CREDITS_EN, EXPORT_CREDITS_ZH) for m in messages(route(text))
    )
