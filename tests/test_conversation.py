"""The conversation: user input → routes → API calls → views, judged together with the journal.

Runs against ``FakeAPI`` (an ``httpx.MockTransport`` handler speaking the contract, from
``test_export``) in virtual time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import pathlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from test_export import (
    ANON_TOKEN,
    API,
    CLAIM,
    TOKEN,
    VIDEO_BYTES,
    WEB,
    FakeAPI,
    adk_text,
    business_error,
)

from nemokit import contract
from nemokit._async_client import AsyncNemo
from nemokit._client import Nemo
from nemokit._clock import VirtualClock
from nemokit._conversation import (
    CONNECTED,
    NOTHING_SAID,
    SETTING_UP,
    AsyncConversation,
    Conversation,
    problem_for,
)
from nemokit._core import Core
from nemokit._draft import Timeline
from nemokit._errors import (
    ConfigurationError,
    FileTooLarge,
    LocalFileTooLarge,
    LocalUnsupportedFileType,
    NemoConnectionError,
    OutOfCredits,
    PlanLimit,
    RateLimited,
    ServerError,
    SessionNotFound,
    TokenInvalid,
    TurnLost,
    TurnStalled,
    UnsupportedFileType,
)
from nemokit._views import (
    CreditsView,
    Notice,
    Problem,
    Progress,
    Reply,
    Tracks,
    Uploaded,
    VideoReady,
    View,
)

COMPOUND = "trim the pauses, add transitions, and export a shareable link"
REGISTER = f"{WEB}/register?bind=anon_42"


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def api(clock: VirtualClock) -> FakeAPI:
    return FakeAPI(clock)


@pytest.fixture
def anonymous(api: FakeAPI) -> Iterator[Conversation]:
    """A conversation with no token given: the client fetches an anonymous one."""
    with api.client(token=None) as nemo:
        yield Conversation(nemo)


@pytest.fixture
def registered(api: FakeAPI) -> Iterator[Conversation]:
    """A conversation with the user's own token."""
    with api.client() as nemo:
        yield Conversation(nemo)


def say(conversation: Conversation, text: str, attachments: tuple[str, ...] = ()) -> list[View]:
    return list(conversation.say(text, attachments))


def of(kind: type[View], views: list[View]) -> list[Any]:
    return [v for v in views if isinstance(v, kind)]


def replies(*texts: str) -> Callable[[str], list[dict[str, Any]]]:
    """An agent that answers every message with ``texts``."""
    return lambda _message: [adk_text(t) for t in texts]


def assert_no_secret(views: list[View]) -> None:
    for view in views:
        assert TOKEN not in repr(view)
        assert ANON_TOKEN not in repr(view)
        assert contract.TOKEN_PREFIX not in view.text
        assert CLAIM not in view.text


# --- connecting -------------------------------------------------------------------------------


def test_connect_says_setting_up_then_connected(api: FakeAPI, anonymous: Conversation) -> None:
    views = list(anonymous.connect())

    assert views == [Notice(SETTING_UP), Notice(CONNECTED)]
    assert len(api.calls("POST", contract.PATH_ANONYMOUS_TOKEN)) == 1
    assert len(api.calls("POST", contract.PATH_SESSION)) == 1
    assert anonymous.history == views


def test_the_first_message_connects_first(api: FakeAPI, anonymous: Conversation) -> None:
    views = say(anonymous, "credits")

    assert views[:2] == [Notice(SETTING_UP), Notice(CONNECTED)]
    assert isinstance(views[2], CreditsView)
    assert say(anonymous, "credits")[0] == views[2]  # connected once, not per message
    assert len(api.calls("POST", contract.PATH_SESSION)) == 1


# --- each route -------------------------------------------------------------------------------


def test_credits_are_read_not_sent_to_the_agent(api: FakeAPI, registered: Conversation) -> None:
    api.credits = (40, 25)
    views = say(registered, "how many credits do I have?")

    credits = of(CreditsView, views)
    assert [(c.available, c.frozen, c.total) for c in credits] == [(40, 25, 65)]
    assert "40" in credits[0].text
    assert api.turns() == []


def test_status_shows_the_track_summary(api: FakeAPI, registered: Conversation) -> None:
    views = say(registered, "show tracks")

    tracks = of(Tracks, views)
    expected = Timeline.from_draft(api.draft).summary_lines()
    assert len(tracks) == 1
    assert tracks[0].lines == expected
    assert expected[0] in tracks[0].text
    assert "city timelapse" in tracks[0].text
    assert api.turns() == []


def test_upload_sends_paths_as_files_and_links_as_urls(
    api: FakeAPI, registered: Conversation, tmp_path: pathlib.Path
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    views = say(registered, "upload these", (str(clip), "https://media.test/b-roll.mov"))

    uploaded = of(Uploaded, views)
    assert len(uploaded) == 1
    assert set(uploaded[0].files) == {"clip.mp4", "b-roll.mov"}
    requests = [r for _, r in api.calls("POST", "/api/upload-video/")]
    kinds = sorted(r.headers["content-type"].split(";")[0] for r in requests)
    assert kinds == ["application/json", "multipart/form-data"]
    json_body = json.loads(next(r.content for r in requests if b"urls" in r.content))
    assert json_body["urls"] == ["https://media.test/b-roll.mov"]
    assert api.turns() == []


def test_export_runs_the_export_flow_without_the_agent(
    api: FakeAPI, registered: Conversation
) -> None:
    views = say(registered, "export")

    assert isinstance(views[-1], VideoReady)
    assert len(api.submits()) == 1
    assert api.turns() == []
    assert registered.last_export is not None
    assert registered.last_export.outcome == "completed"


def test_export_saves_to_dest_and_reports_the_render_id(
    api: FakeAPI, tmp_path: pathlib.Path
) -> None:
    ids: list[str] = []
    with api.client() as nemo:
        conversation = Conversation(nemo, dest=tmp_path, on_submitted=ids.append)
        views = say(conversation, "send me the video")

    ready = views[-1]
    assert isinstance(ready, VideoReady)
    assert ready.path is not None
    assert pathlib.Path(ready.path).parent == tmp_path
    assert pathlib.Path(ready.path).read_bytes() == VIDEO_BYTES
    assert ids == [json.loads(api.submits()[0][1].content)["id"]]


def test_anything_else_is_one_turn(api: FakeAPI, registered: Conversation) -> None:
    api.agent = replies("Added a warm colour grade.")
    views = say(registered, "make it warmer")

    assert api.turns() == ["make it warmer"]
    assert of(Reply, views) == [Reply("Added a warm colour grade.")]


def test_empty_input_is_a_clear_problem(api: FakeAPI, registered: Conversation) -> None:
    views = say(registered, "   ")

    assert views[-1] == Problem(NOTHING_SAID)
    assert api.turns() == []


# --- a compound request -----------------------------------------------------------------------


def test_compound_request_is_one_turn_then_the_export(
    api: FakeAPI, registered: Conversation
) -> None:
    api.agent = replies("Trimmed 4 pauses and added fades between the clips.")
    views = say(registered, COMPOUND)

    assert api.turns() == ["trim the pauses, add transitions"]
    turn_at = api.journal.index(api.calls("POST", contract.PATH_RUN_SSE)[0])
    submit_at = api.journal.index(api.submits()[0])
    assert turn_at < submit_at
    kinds = [type(v) for v in views]
    assert kinds.index(Reply) < kinds.index(Progress) < kinds.index(VideoReady)
    render_id = json.loads(api.submits()[0][1].content)["id"]
    assert views[-1] == VideoReady(
        "✅ Video ready!",
        url=f"{API}/api/render/proxy/{render_id}/download",
        project_url=f"{WEB}/workspace/claim?ct={CLAIM}",
    )
    assert_no_secret(views)


def test_export_and_credits_words_never_reach_the_agent(
    api: FakeAPI, registered: Conversation
) -> None:
    say(registered, "add a title, then check my credits and download the video")

    assert api.turns() == ["add a title"]
    for text in api.turns():
        assert "credits" not in text
        assert "download" not in text


def test_a_failed_turn_stops_the_export(api: FakeAPI, registered: Conversation) -> None:
    api.agent = lambda _m: [{"error": "the renderer crashed"}]
    views = say(registered, COMPOUND)

    assert len(api.turns()) == 1
    assert api.submits() == []
    assert isinstance(views[-1], Problem)


# --- the agent's GUI instructions -------------------------------------------------------------


def test_export_button_runs_the_export_once(api: FakeAPI, registered: Conversation) -> None:
    api.agent = replies("Trimmed the pauses. Click the Export button to download it.")
    views = say(registered, COMPOUND)  # the user asked for the export too

    assert of(Reply, views) == [Reply("Trimmed the pauses.")]
    assert len(api.submits()) == 1
    assert len(of(VideoReady, views)) == 1


def test_open_and_preview_show_the_tracks_once(api: FakeAPI, registered: Conversation) -> None:
    api.agent = replies("I added the title. Open the timeline panel to check it.")
    views = say(registered, "add a title")

    assert of(Reply, views) == [Reply("I added the title.")]
    assert len(of(Tracks, views)) == 1
    assert len(api.turns()) == 1


def test_billing_checks_the_credits(api: FakeAPI, registered: Conversation) -> None:
    api.agent = replies("That needs more credits, check your account billing.")
    views = say(registered, "generate a 2 minute intro")

    assert len(of(CreditsView, views)) == 1
    assert len(api.calls("GET", contract.PATH_CREDITS)) == 1
    assert len(api.turns()) == 1


def test_drag_is_sent_as_one_follow_up_turn_and_never_loops(
    api: FakeAPI, registered: Conversation
) -> None:
    seconds = iter(range(2, 50))
    # The agent asks for another drag after every turn, each time a new one.
    api.agent = lambda _m: [adk_text(f"Drag the title to {next(seconds)}s in the timeline.")]
    say(registered, "move the title later")

    assert api.turns() == ["move the title later", "Move the title to 2s"]


def test_a_follow_up_never_resends_the_users_text(api: FakeAPI, registered: Conversation) -> None:
    api.agent = replies("Click Apply to add the transition.")
    say(registered, "add the transition")

    assert api.turns() == ["add the transition"]


def test_each_message_gets_its_own_follow_up(api: FakeAPI, registered: Conversation) -> None:
    api.agent = replies("Drag the title to 2s in the timeline.")
    say(registered, "move the title later")
    say(registered, "make the title bigger")

    assert len(api.turns()) == 4


# --- errors become sentences ------------------------------------------------------------------


def test_out_of_credits_anonymous_gets_the_registration_link(
    api: FakeAPI, anonymous: Conversation
) -> None:
    api.faults[contract.PATH_RUN_SSE] = [business_error(2001, "insufficient credits")]
    views = say(anonymous, "add background music")

    problem = views[-1]
    assert isinstance(problem, Problem)
    assert problem.code == contract.Code.OUT_OF_CREDITS
    assert problem.link == REGISTER
    assert REGISTER in problem.text
    assert_no_secret(anonymous.history)


def test_out_of_credits_registered_is_told_to_top_up(
    api: FakeAPI, registered: Conversation
) -> None:
    api.faults[contract.PATH_RUN_SSE] = [business_error(2001, "insufficient credits")]
    views = say(registered, "add background music")

    problem = views[-1]
    assert isinstance(problem, Problem)
    assert "top up" in problem.text.lower()
    assert "register" not in problem.text.lower()


def test_an_invalid_user_token_is_reported_not_replaced(
    api: FakeAPI, registered: Conversation
) -> None:
    api.faults[contract.PATH_CREDITS] = [business_error(1001, f"bad token {TOKEN}")]
    views = say(registered, "credits")

    problem = views[-1]
    assert isinstance(problem, Problem)
    assert "NEMO_TOKEN is invalid or expired" in problem.text
    assert api.calls("POST", contract.PATH_ANONYMOUS_TOKEN) == []
    assert_no_secret(views)


def test_server_refusing_a_file_type_lists_the_accepted_ones(
    api: FakeAPI, registered: Conversation
) -> None:
    api.faults[contract.PATH_UPLOAD.format(sid="1234567890123456789")] = [
        business_error(4001, "unsupported file type")
    ]
    views = say(registered, "upload https://media.test/clip.mp4")

    problem = views[-1]
    assert isinstance(problem, Problem)
    assert problem.code == 4001
    assert all(ext in problem.text for ext in contract.ACCEPTED_EXTENSIONS)


def test_a_local_bad_file_is_refused_before_sending(
    api: FakeAPI, registered: Conversation, tmp_path: pathlib.Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video")
    views = say(registered, "", (str(notes),))

    problem = views[-1]
    assert isinstance(problem, Problem)
    assert "mp4" in problem.text
    assert api.calls("POST", "/api/upload-video/") == []


def test_rate_limit_says_busy(api: FakeAPI, registered: Conversation) -> None:
    api.faults[contract.PATH_CREDITS] = [httpx.Response(429, text="slow down")] * 2
    views = say(registered, "balance")

    problem = views[-1]
    assert isinstance(problem, Problem)
    assert "busy" in problem.text
    assert problem.retryable


def test_a_dead_network_is_a_problem_not_an_exception(api: FakeAPI) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with Nemo(
        token=TOKEN, api_url=API, transport=httpx.MockTransport(down), clock=api.clock, env={}
    ) as nemo:
        conversation = Conversation(nemo)
        views = list(conversation.say(COMPOUND))

    assert isinstance(views[-1], Problem)
    assert views[-1].retryable
    assert API in views[-1].text
    assert conversation.history == views


# --- problem_for as a table -------------------------------------------------------------------


@pytest.fixture
def core(api: FakeAPI) -> Iterator[Core]:
    with api.client() as nemo:
        yield nemo.core


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (UnsupportedFileType("nope", code=4001), "Accepted formats: mp4"),
        (LocalUnsupportedFileType("nope", filename="a.txt"), "a.txt"),
        (FileTooLarge("big", code=4002), "500 MB"),
        (LocalFileTooLarge("big", filename="huge.mov"), "Compress or trim"),
        (PlanLimit("blocked", status_code=402), "not a credit issue"),
        (RateLimited("slow", status_code=429), "busy"),
        (ServerError("oops", status_code=503), "HTTP 503"),
        (SessionNotFound("gone"), "session"),
        (NemoConnectionError("down"), API),
        (httpx.ReadTimeout("slow"), "Could not reach"),
        (TurnStalled("stalled"), "not sent again"),
        (TurnLost("lost"), "not sent again"),
        (KeyError("surprise"), "Something went wrong"),
        (ConfigurationError("the message is empty"), "The message is empty. Fix that"),
    ],
)
def test_problem_for_says_what_to_do(core: Core, error: BaseException, expected: str) -> None:
    problem = problem_for(error, core)

    assert expected in problem.text
    assert problem.text.endswith((".", ")")) or "http" in problem.text


def test_problem_for_user_token_versus_anonymous(core: Core) -> None:
    assert "NEMO_TOKEN" in problem_for(TokenInvalid("expired"), core).text
    assert "NEMO_TOKEN" not in problem_for(TokenInvalid("expired")).text


def test_problem_for_out_of_credits_uses_the_errors_link() -> None:
    error = OutOfCredits("no credits")
    error.register_url = REGISTER
    problem = problem_for(error)
    assert problem.link == REGISTER
    assert problem.code == 2001


@pytest.mark.parametrize(
    "error",
    [
        ServerError(f"token {TOKEN} rejected", status_code=500),
        KeyError(f"Bearer {TOKEN}"),
        ValueError(f"claim {CLAIM}"),
        TurnStalled(f"stalled with {TOKEN}"),
    ],
)
def test_problem_for_never_shows_a_token(error: BaseException) -> None:
    problem = problem_for(error)
    assert TOKEN not in repr(problem)
    assert CLAIM not in repr(problem)


# --- the async conversation -------------------------------------------------------------------


def test_async_conversation_does_the_same(api: FakeAPI) -> None:
    api.agent = replies("Trimmed 4 pauses.")

    async def main() -> list[View]:
        async with AsyncNemo(
            token=None,
            api_url=API,
            web_url=WEB,
            client_id="test-client",
            transport=api.transport(),
            clock=api.clock,
            env={},
        ) as nemo:
            conversation = AsyncConversation(nemo)
            views = [view async for view in conversation.say(COMPOUND)]
            assert conversation.history == views
            return views

    views = asyncio.run(main())

    assert views[:2] == [Notice(SETTING_UP), Notice(CONNECTED)]
    assert api.turns() == ["trim the pauses, add transitions"]
    assert len(api.submits()) == 1
    assert isinstance(views[-1], VideoReady)
    assert_no_secret(views)


def test_async_errors_are_views_too(api: FakeAPI) -> None:
    api.faults[contract.PATH_RUN_SSE] = [business_error(2001, "insufficient credits")]

    async def main() -> list[View]:
        async with AsyncNemo(
            api_url=API,
            web_url=WEB,
            client_id="c",
            transport=api.transport(),
            clock=api.clock,
            env={},
        ) as nemo:
            return [view async for view in AsyncConversation(nemo).say("add music")]

    views = asyncio.run(main())
    assert isinstance(views[-1], Problem)
    assert views[-1].link == REGISTER


# --- against the real mock --------------------------------------------------------------------


def test_quick_edit_workflow_against_the_mock(tmp_path: pathlib.Path) -> None:
    """The guide's "Quick edit": upload → "trim the pauses, add transitions, and export a
    shareable link" → the MP4, against the mock in process, judged by its journal."""
    from mockserver import MockServer
    from mockserver._config import MockConfig

    clock = VirtualClock()
    server = MockServer(MockConfig(seed=3, silent_rate=0.0, noise_rate=0.0), clock)
    base = "http://mock.test"

    async def main() -> tuple[list[View], list[View]]:
        async with AsyncNemo(
            api_url=base,
            web_url=WEB,
            client_id="conversation-test",
            transport=httpx.ASGITransport(app=server.app),
            clock=clock,
            env={},
        ) as nemo:
            conversation = AsyncConversation(nemo, dest=tmp_path)
            uploaded = [v async for v in conversation.say("upload https://media.test/talk.mp4")]
            edited = [v async for v in conversation.say(COMPOUND)]
            return uploaded, edited

    uploaded, edited = asyncio.run(main())

    assert of(Uploaded, uploaded)[0].files == ("talk.mp4",)
    turns = server.journal.entries(path=contract.PATH_RUN_SSE)
    assert [t.body["new_message"]["parts"][0]["text"] for t in turns] == [
        "trim the pauses, add transitions"
    ]
    submits = [e for e in server.journal.entries(path=contract.PATH_RENDER) if e.method == "POST"]
    assert len(submits) == 1
    assert submits[0].time >= turns[0].time
    polls = [
        e.time
        for e in server.journal.entries()
        if e.method == "GET" and e.path.startswith(contract.PATH_RENDER + "/")
    ]
    times = [submits[0].time, *polls]
    assert 1 <= len(polls) <= contract.MAX_RENDER_POLLS
    assert all(b - a >= contract.RENDER_POLL_INTERVAL for a, b in itertools.pairwise(times))
    ready = edited[-1]
    assert isinstance(ready, VideoReady), edited
    assert ready.path is not None
    assert pathlib.Path(ready.path).stat().st_size > 0
    assert ready.project_url is not None
    assert ready.project_url.startswith(f"{WEB}/workspace/claim?ct=")
    assert of(Reply, edited)
    assert_no_secret(uploaded + edited)
