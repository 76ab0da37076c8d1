"""Render jobs derived from the clock: timeline, output description, failure, cancel."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver import RenderJob, new_render_job
from mockserver._config import MockConfig
from mockserver._media import tiny_mp4
from mockserver.state._render import iso_time
from nemokit.contract import RenderStatus

BASE = "http://127.0.0.1:8765"


def draft(seconds: float, width: int = 1920, height: int = 1080) -> dict[str, Any]:
    ms = int(seconds * 1000)
    return {
        "t": [{"tt": 0, "sg": [{"id": "sg_1", "start": 0, "duration": ms}]}],
        "d": ms,
        "m": {"width": width, "height": height},
    }


def job(
    seconds: float = 30,
    *,
    rid: str = "render_1",
    now: float = 100.0,
    config: MockConfig | None = None,
    **size: int,
) -> RenderJob:
    return new_render_job(
        rid,
        "1234567890123456789",
        "anon_x",
        draft(seconds, **size),
        None,
        now=now,
        seed=3,
        config=config or MockConfig(),
    )


def test_pending_then_processing_then_completed() -> None:
    render = job()
    assert render.status_at(100) == (RenderStatus.PENDING, 0.0)
    assert 30 <= render.total <= 40
    middle = render.status_at(100 + render.total / 2)
    assert middle[0] is RenderStatus.PROCESSING
    assert 0 < middle[1] < 100
    assert render.status_at(100 + render.total) == (RenderStatus.COMPLETED, 100.0)


def test_progress_only_rises() -> None:
    render = job(200)
    seen = [render.status_at(100 + t)[1] for t in range(0, 100)]
    assert seen == sorted(seen)
    assert seen[-1] == 100


@pytest.mark.parametrize("rid", [f"render_{i}" for i in range(10)])
def test_longer_drafts_take_longer_and_short_clips_are_fastest(rid: str) -> None:
    short, medium, long = (job(s, rid=rid).total for s in (30, 120, 600))
    assert 30 <= short <= 40 < medium < long <= 90


def test_duration_scale_shrinks_the_render() -> None:
    fast = job(config=MockConfig(duration_scale=0.001))
    assert fast.total == pytest.approx(job().total * 0.001)


def test_describe_gives_both_shapes_at_once() -> None:
    render = job(42)
    done = render.describe(100 + render.total, BASE)
    url = f"{BASE}/api/render/proxy/render_1/download"
    assert done["success"] is True
    assert done["taskId"] == "render_1"
    assert done["status"] == done["data"]["status"] == "completed"
    assert done["progress"] == done["data"]["progress"] == 100
    assert done["output"]["url"] == done["data"]["outputUrl"] == url
    assert done["output"]["duration"] == 42.0
    assert done["output"]["size"] == len(tiny_mp4())
    assert done["data"]["createdAt"] == iso_time(MockConfig().epoch, 100)
    assert done["data"]["completedAt"] == iso_time(MockConfig().epoch, 100 + render.total)
    early = render.describe(101, BASE)
    assert early["status"] == "pending"
    assert early["output"]["url"] is None
    assert early["data"]["outputUrl"] is None
    assert early["data"]["completedAt"] is None


def test_iso_times_come_from_the_epoch() -> None:
    assert iso_time(1_767_225_600.0, 90.5) == "2026-01-01T00:01:30.500Z"


@pytest.mark.parametrize(
    ("size", "expected"), [({}, (1920, 1080)), ({"width": 1080, "height": 1920}, (1080, 1920))]
)
def test_output_is_1080p_or_vertical_1080x1920(
    size: dict[str, int], expected: tuple[int, int]
) -> None:
    output = job(**size).describe(0, BASE)["output"]
    assert (output["width"], output["height"]) == expected
    assert output["codec"] == "h264"
    assert output["format"] == "mp4"


def test_failures_follow_the_configured_rate_and_the_seed() -> None:
    config = MockConfig(render_fail_rate=0.5)
    jobs = [job(rid=f"render_{i}", config=config) for i in range(100)]
    failed = [j for j in jobs if j.status_at(1000)[0] is RenderStatus.FAILED]
    assert 25 <= len(failed) <= 75
    assert [j.fails for j in jobs] == [
        job(rid=f"render_{i}", config=config).fails for i in range(100)
    ]
    body = failed[0].describe(1000, BASE)
    assert body["data"]["error"]
    assert body["output"]["url"] is None
    assert all(not job(rid=f"r{i}").fails for i in range(50))  # default rate 0


def test_cancel_freezes_the_job_unless_it_finished() -> None:
    render = job()
    assert render.cancel(120)
    status, progress = render.status_at(500)
    assert status is RenderStatus.CANCELLED
    assert progress == job().status_at(120)[1] > 0  # frozen where it was cancelled
    assert not render.is_active(500)
    assert not render.cancel(600)
    finished = job()
    assert not finished.cancel(1000)
    assert finished.status_at(2000)[0] is RenderStatus.COMPLETED


def test_submitted_body() -> None:
    assert job().submitted(100) == {
        "success": True,
        "data": {"id": "render_1", "status": "pending", "progress": 0},
    }


def test_the_output_url_quotes_the_id() -> None:
    assert job(rid="a/b?c").output_url(BASE + "/") == f"{BASE}/api/render/proxy/a%2Fb%3Fc/download"


@given(
    d=st.one_of(st.none(), st.text(), st.floats(allow_nan=True), st.integers(-(10**12), 10**12)),
    m=st.one_of(
        st.none(),
        st.text(),
        st.dictionaries(st.sampled_from(["width", "height"]), st.one_of(st.integers(), st.text())),
    ),
)
def test_any_draft_gives_a_job_in_range(d: Any, m: Any) -> None:
    render = new_render_job(
        "r", "s", "u", {"d": d, "m": m}, None, now=0, seed=0, config=MockConfig()
    )
    assert 30 <= render.total <= 90
    assert render.describe(render.total, BASE)["status"] == "completed"
