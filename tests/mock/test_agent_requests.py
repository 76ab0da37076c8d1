"""The mock's agent reads a generation request as the guide's example reads: the duration, the
subject without the command words, the music, the title and the format, in English and Chinese;
the draft and the reply agree with the request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import MockServer, StreamingTransport, TurnScript, plan_turn
from mockserver._config import MockConfig
from mockserver.agent._values import duration_in, music_in, ratio_in, subject_in, title_in
from nemokit import contract
from nemokit._client import Nemo
from nemokit._clock import VirtualClock
from nemokit._conversation import Conversation
from nemokit._draft import Timeline
from nemokit._views import Reply, Tracks

GUIDE_REQUEST = "generate a 10 second city timelapse with lo-fi music and the title Urban Dreams"
GUIDE_SUMMARY = (
    '1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)'
)
QUIET = MockConfig(silent_rate=0.0, noise_rate=0.0)


@pytest.fixture
def conversation(request: pytest.FixtureRequest) -> Iterator[tuple[Conversation, Nemo]]:
    clock = VirtualClock()
    server = MockServer(MockConfig(seed=getattr(request, "param", 0)), clock)
    transport = StreamingTransport(server.app)
    nemo = Nemo(
        transport=transport, clock=clock, env={}, api_url="http://mock.test", client_id="i20"
    )
    with nemo:
        talk = Conversation(nemo)
        list(talk.connect())
        yield talk, nemo
    transport.close()


@pytest.mark.parametrize("conversation", [0, 1, 7, 42], indirect=True)
def test_the_guides_example_gives_the_guides_summary_through_the_client(
    conversation: tuple[Conversation, Nemo],
) -> None:
    talk, nemo = conversation
    views = list(talk.say(GUIDE_REQUEST))
    reply = next(v.text for v in views if isinstance(v, Reply))
    assert "10-second video of city timelapse" in reply
    assert "Lo-fi background music at 35%" in reply
    assert 'the title "Urban Dreams" (0-3s)' in reply
    assert "I'll add" not in reply  # nothing left to add: never promise what is done
    shown = [v for v in talk.say("status") if isinstance(v, Tracks)]
    assert [v.text for v in shown] == [GUIDE_SUMMARY]
    assert Timeline.from_draft(nemo.state().draft).summary() == GUIDE_SUMMARY
    assert nemo.state().draft["d"] == 10_000


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("a 10 second clip", 10),
        ("a 10s clip", 10),
        ("a 10-second clip", 10),
        ("ten seconds of rain", 10),
        ("a twenty-five second clip", 25),
        ("a minute of rain", 60),
        ("a one-minute clip", 60),
        ("half a minute of rain", 30),
        ("a minute and a half of rain", 90),
        ("one and a half minutes of rain", 90),
        ("1.5 minutes of rain", 90),
        ("a 2 minute 30 second clip", 150),
        ("十秒的视频", 10),
        ("10秒的视频", 10),
        ("二十五秒", 25),
        ("一分钟", 60),
        ("半分钟", 30),
        ("一分半钟", 90),
        ("两分钟", 120),
        ("1分30秒", 90),
        ("an hour-long epic", None),
        ("make a second video", None),
        ("in 9:16 at 35%", None),
        ("with 80s music", None),
        ("a 45 minute documentary", 600),  # the longest the mock generates
    ],
)
def test_durations_in_english_and_chinese(message: str, seconds: int | None) -> None:
    assert duration_in(message) == (seconds * 1000 if seconds is not None else None)


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        (GUIDE_REQUEST, "city timelapse"),
        ("make a 15s video of the beach at sunset, with upbeat jazz music", "beach at sunset"),
        (
            "create a 10-second clip of a dog running on the beach for TikTok",
            "dog running on the beach",
        ),
        (
            "please generate a minute long video about coffee brewing titled Morning Brew",
            "coffee brewing",
        ),
        (
            "generate a video of a car speeding through the desert in 9:16",
            "car speeding through the desert",
        ),
        ("can you generate a city timelapse, 30 seconds long", "city timelapse"),
        ("generate a TikTok video: a cat playing piano", "cat playing piano"),
        ("生成一个10秒的城市延时视频，配上lo-fi音乐，标题是城市之梦", "城市延时"),
        ("帮我做一段十秒的海边日落视频", "海边日落"),
        ("生成一段一分半钟的猫和狗玩耍的视频并配上欢快的音乐", "猫和狗玩耍"),
        ("做一个30秒的抖音视频：城市夜景", "城市夜景"),
        ("generate a video", None),
        ("生成一段视频", None),
    ],
)
def test_the_subject_is_what_follows_the_command_words(message: str, subject: str | None) -> None:
    found = subject_in(message)
    assert (found[0] if found else None) == subject


@pytest.mark.parametrize(
    ("message", "music", "title", "ratio"),
    [
        (GUIDE_REQUEST, "Lo-fi", "Urban Dreams", None),
        ("with upbeat jazz music for TikTok", "Upbeat jazz", None, "9:16"),
        (
            "add some calm piano background music, titled: Golden Hour",
            "Calm piano",
            "Golden Hour",
            None,
        ),
        ("with hip hop beats for YouTube", "Hip-hop", None, "16:9"),
        ("the title Night Drive in 9:16", None, "Night Drive", "9:16"),
        ("配上欢快的背景音乐，标题是夏日时光，竖屏", "Upbeat", "夏日时光", "9:16"),
        ("加上钢琴配乐，适合小红书", "Piano", None, "3:4"),
        ("make the music 20%", None, None, None),
        ("with the title urban dreams and lo-fi music", "Lo-fi", "urban dreams", None),
        ("titled: morning brew, for Instagram", None, "morning brew", "1:1"),
        ("change the title to Golden Hour", None, "Golden Hour", None),
        ("add a title to the intro", None, None, None),
        ("make the title bigger", None, None, None),
    ],
)
def test_music_title_and_format(
    message: str, music: str | None, title: str | None, ratio: str | None
) -> None:
    assert (music_in(message), title_in(message), ratio_in(message)) == (music, title, ratio)


def test_a_generation_promises_only_the_post_production_still_missing() -> None:
    with_music = plan("generate a 15 second video of a forest with jazz music")
    reply = texts(with_music)[0]
    assert "I'll add a title in a moment." in reply
    assert "background music in a moment" not in reply
    assert len(with_music.post) == 1
    (_, after), = with_music.post  # fmt: skip
    title = track(after, "Title")["sg"][0]
    assert title["text"] == "Forest"  # the backend titles the video after its subject
    assert (title["start"], title["duration"]) == (0, 3000)
    chinese = plan("生成一段20秒的森林视频，配上爵士音乐，标题是林间")
    assert chinese.post == ()
    assert "稍后" not in texts(chinese)[0]


def test_the_subject_asks_for_no_edit_of_its_own() -> None:
    script = plan("generate a 12 second video of a car speeding through a square")
    assert tools(script) == ["generate_video"]
    assert (script.draft_after or {})["m"]["width"] == 1920  # "square" was the subject's


# --- the grammar of generation requests --------------------------------------------------------

_EN_WORDS = {1: "one", 5: "five", 10: "ten", 12: "twelve", 15: "fifteen", 20: "twenty"}
_EN_WORDS |= {25: "twenty-five", 30: "thirty", 45: "forty-five", 60: "sixty", 90: "ninety"}


def _zh_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if not rest else ("零" + digits[rest] if rest < 10 else _zh_number(rest))
    if 10 <= rest < 20:
        tail = "一" + tail
    return digits[n // 100] + "百" + tail


@dataclass(frozen=True)
class Request:
    message: str
    zh: bool
    seconds: float | None
    subject: str
    music: str | None
    title: str | None
    ratio: str | None


_EN_SUBJECTS = (
    "city timelapse",
    "dog running on the beach",
    "rainy street at night",
    "mountain lake at sunrise",
    "kids playing in the park",
    "car speeding through the desert",
    "skyline of Tokyo",
    "fireworks over the harbor",
    "coffee being poured",
)
_ZH_SUBJECTS = ("城市延时", "海边日落", "雨夜街道", "猫和狗玩耍", "山间湖泊", "咖啡制作过程")
_EN_MUSIC = (
    ("lo-fi", "Lo-fi"),
    ("jazz", "Jazz"),
    ("upbeat", "Upbeat"),
    ("calm piano", "Calm piano"),
    ("hip hop", "Hip-hop"),
)
_ZH_MUSIC = (("lo-fi", "Lo-fi"), ("钢琴", "Piano"), ("欢快的", "Upbeat"), ("爵士", "Jazz"))
_EN_TITLES = ("Urban Dreams", "Golden Hour", "Summer Vibes", "Night Drive")
_ZH_TITLES = ("城市之梦", "夏日时光", "海边假日")
_EN_FORMATS = ((" for TikTok", "9:16"), (" in 9:16", "9:16"), (" for YouTube", "16:9"))
_ZH_FORMATS = (("，适合抖音", "9:16"), ("，竖屏", "9:16"), ("，横屏", "16:9"))


@st.composite
def en_durations(draw: st.DrawFn) -> tuple[str, str, float]:
    """(the adjective form, the noun form, the seconds)."""
    n = draw(st.sampled_from([3, 5, 8, 10, 12, 15, 20, 25, 30, 45, 60, 90, 120]))
    word = _EN_WORDS.get(n)
    adjective = draw(st.sampled_from([f"{n} second", f"{n}s", f"{n}-second", f"{n} sec"]))
    noun = draw(st.sampled_from([f"{n} seconds", f"{word} seconds" if word else f"{n} secs"]))
    if word and draw(st.booleans()):
        adjective = f"{word}-second"
    special = {60: ("one-minute", "a minute"), 30: ("30-second", "half a minute")}
    special[90] = ("90-second", "a minute and a half")
    special[120] = ("2-minute", "two minutes")
    if n in special and draw(st.booleans()):
        adjective, noun = special[n]
    return adjective, noun, float(n)


@st.composite
def zh_durations(draw: st.DrawFn) -> tuple[str, float]:
    n = draw(st.sampled_from([3, 5, 8, 10, 12, 15, 20, 25, 30, 45, 60, 90, 120]))
    forms = [f"{n}秒", f"{_zh_number(n)}秒"]
    forms += {30: ["半分钟"], 60: ["一分钟", "1分钟"], 90: ["一分半钟", "1分30秒"]}.get(n, [])
    forms += ["两分钟"] if n == 120 else []
    return draw(st.sampled_from(forms)), float(n)


@st.composite
def en_requests(draw: st.DrawFn) -> Request:
    adjective, noun, seconds = draw(en_durations())
    timed = draw(st.booleans())
    subject = draw(st.sampled_from(_EN_SUBJECTS))
    article = draw(st.sampled_from(["", "a ", "the "]))
    generate = draw(
        st.sampled_from(["generate", "Generate", "please generate", "can you generate"])
    )
    command = draw(st.sampled_from([generate, "make", "make me", "create", "Create"]))
    if timed:
        forms = [
            f"{command} a {adjective} video of {article}{subject}",
            f"{command} a {adjective} {subject} video",
            f"{command} a video of {article}{subject}, {noun} long",
            f"{command} a {subject} video lasting {noun}",
        ]
        forms += [f"{generate} a {adjective} {subject}", f"{generate} {noun} of {subject}"]
    else:
        forms = [f"{command} a video of {article}{subject}", f"{generate} a {subject}"]
    message = draw(st.sampled_from(forms))
    extras: list[str] = []
    music = draw(st.none() | st.sampled_from(_EN_MUSIC))
    if music:
        extras.append(
            draw(st.sampled_from([f"with {music[0]} music", f"add {music[0]} background music"]))
        )
    form = draw(st.none() | st.sampled_from(_EN_FORMATS))
    title = draw(st.none() | st.sampled_from(_EN_TITLES))
    if title:  # a named title runs to the end of its clause: it comes last
        if draw(st.booleans()):  # typed in lower case: only after "the title" or "titled"
            title = title.lower()
            phrasings = [f"with the title {title}", f"titled {title}", f"titled: {title}"]
        else:
            phrasings = [f"the title {title}", f"with the title {title}", f'titled "{title}"']
        extras.append(draw(st.sampled_from(phrasings)))
    if extras:
        message += draw(st.sampled_from([" ", ", "])) + " and ".join(extras)
    if form:
        message += ("," if extras else "") + form[0]
    return Request(
        message,
        False,
        seconds if timed else None,
        subject,
        music[1] if music else None,
        title,
        form[1] if form else None,
    )


@st.composite
def zh_requests(draw: st.DrawFn) -> Request:
    text, seconds = draw(zh_durations())
    timed = draw(st.booleans())
    subject = draw(st.sampled_from(_ZH_SUBJECTS))
    command = draw(st.sampled_from(["生成", "帮我生成", "请制作", "做", "帮我做", "拍"]))
    quantity = draw(st.sampled_from(["一个", "一段", "一条"]))
    if timed:
        forms = [
            f"{command}{quantity}{text}的{subject}视频",
            f"{command}{quantity}{subject}视频，时长{text}",
            f"{command}{quantity}{text}的视频：{subject}",
        ]
    else:
        forms = [f"{command}{quantity}{subject}视频", f"{command}{quantity}{subject}的视频"]
    message = draw(st.sampled_from(forms))
    music = draw(st.none() | st.sampled_from(_ZH_MUSIC))
    if music:
        message += draw(st.sampled_from([f"，配上{music[0]}音乐", f"，加上{music[0]}背景音乐"]))
    title = draw(st.none() | st.sampled_from(_ZH_TITLES))
    if title:
        message += draw(st.sampled_from([f"，标题是{title}", f"，标题“{title}”"]))
    form = draw(st.none() | st.sampled_from(_ZH_FORMATS))
    if form:
        message += form[0]
    return Request(
        message,
        True,
        seconds if timed else None,
        subject,
        music[1] if music else None,
        title,
        form[1] if form else None,
    )


_CONFIGS = (
    QUIET,
    MockConfig(noise_rate=1.0, partial_text=True),
    MockConfig(silent_rate=1.0, noise_rate=0.5),
)
_COMMAND_WORDS = re.compile(r"\b(?:generate|make|create|please|can you)\b|生成|帮我|制作|做一|拍一")


@given(
    request=en_requests() | zh_requests(),
    seed=st.integers(0, 2**32),
    config=st.sampled_from(_CONFIGS),
)
def test_a_generation_request_gives_the_draft_and_reply_it_asks_for(
    request: Request, seed: int, config: MockConfig
) -> None:
    script = plan(request.message, seed=seed, config=config)
    assert script.kind == "generate", request.message
    draft = script.draft_after or {}
    duration = draft["d"]
    if request.seconds is not None:
        assert duration == request.seconds * 1000, request.message
    else:
        assert duration in (10_000, 15_000, 20_000, 30_000)
    (clip,) = track(draft, "Video")["sg"]
    assert clip["source"] == request.subject, request.message
    assert (clip["start"], clip["duration"]) == (0, duration)
    assert not _COMMAND_WORDS.match(clip["source"])  # the subject never starts with a command
    if request.music:
        (bgm,) = track(draft, "BGM")["sg"]
        assert (bgm["source"], bgm["start"], bgm["duration"]) == (request.music, 0, duration)
    if request.title:
        (title,) = track(draft, "Title")["sg"]
        assert title["text"] == request.title
        assert (title["start"], title["duration"]) == (0, min(3000, duration))
    if request.ratio:
        size = (draft["m"]["width"], draft["m"]["height"])
        assert size == {"9:16": (1080, 1920), "16:9": (1920, 1080)}[request.ratio]
    # the post-production adds exactly what the request did not
    final = script.post[-1][1] if script.post else draft
    assert [t["name"] for t in final["t"]][:1] == ["Video"]
    assert {"BGM", "Title"} <= {t["name"] for t in final["t"]}
    assert len(script.post) == (request.music is None) + (request.title is None)
    assert final["d"] == duration
    # the reply (generation always speaks) says what was done, in the user's language
    (reply,) = [t for t in texts(script) if not t.startswith(contract.NOISE_PHRASE)]
    seconds = f"{duration / 1000:g}"
    said = (
        f"{seconds}秒的视频：{request.subject}"
        if request.zh
        else (f"{seconds}-second video of {request.subject}")
    )
    assert said in reply, (request.message, reply)
    assert not re.search(r"\b(?:generate|make|create)\b", reply, re.IGNORECASE)
    assert not re.search(r"(?:video of|视频：)\s*(?:generate|make|create|生成|做|帮我)", reply)
    if request.music and request.title:
        assert "I'll add" not in reply
        assert "稍后" not in reply
    if config.partial_text:
        chunks = [i.payload["text"] for i in script.items if i.kind == "partial"]
        assert "".join(chunks) == reply


# --- helpers -------------------------------------------------------------------------------------


def plan(message: str, *, seed: int = 7, config: MockConfig = QUIET) -> TurnScript:
    return plan_turn(message, {}, [], seed=seed, turn_index=0, config=config)


def texts(script: TurnScript) -> list[str]:
    return [i.payload["text"] for i in script.items if i.kind == "text"]


def tools(script: TurnScript) -> list[str]:
    return [i.payload["name"] for i in script.items if i.kind == "tool_call"]


def track(draft: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in draft["t"] if t["name"] == name)


# --- durations in edit requests ---------------------------------------------------------------

CLIP = {"filename": "raw.mp4", "file_type": "video", "duration": 30.0, "width": 1920}


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("trim it to 15 seconds", 15),
        ("shorten the video to 12.5s", 12.5),
        ("cut it down to a 20-second clip", 20),
        ("把视频缩短到十秒", 10),
        ("剪到半分钟以内", None),  # 30 s is not shorter than the 30 s clip
    ],
)
def test_a_trim_to_a_duration_makes_the_video_exactly_that_long(
    message: str, seconds: float | None
) -> None:
    script = plan_turn(message, {}, [CLIP], seed=3, turn_index=0, config=QUIET)
    assert tools(script) == ["trim_pauses"]
    draft = script.draft_after or {}
    segments = track(draft, "Video")["sg"]
    if seconds is None:
        assert draft["d"] == 30_000
        assert [s["duration"] for s in segments] == [30_000]
        return
    assert draft["d"] == seconds * 1000
    assert sum(s["duration"] for s in segments) == draft["d"]
    reply = texts(script)[0]
    assert f"{seconds:g}" in reply
