"""The dashboard in a real browser: the page, driven by Playwright, against a live mock.

Each test runs a client (nemokit's own, over 127.0.0.1) against a mock on a virtual clock, then
checks what the page shows against what happened (the journal, the client's own results).
Playwright's ``expect`` waits for the page's polling; nothing here sleeps.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _dashboard_live import Mock
from playwright.sync_api import Page, expect

from mockserver import tiny_mp4
from nemokit import Conversation, Nemo, VirtualClock

pytestmark = pytest.mark.socket


@pytest.fixture
def nemo(mock: Mock, tmp_path: pathlib.Path) -> Iterator[Nemo]:
    """A connected client with one upload (its own clock: its waits do not move the mock's)."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(tiny_mp4())
    with Nemo(api_url=mock.url, client_id="dash-test", clock=VirtualClock(), env={}) as client:
        client.connect()
        client.upload(str(clip))
        yield client


def _the_token(mock: Mock) -> str:
    for entry in mock.server.journal.entries():
        value = entry.header("authorization")
        if value:
            return value.removeprefix("Bearer ")
    raise AssertionError("no request carried a token")


def _row(page: Page, path: str) -> Any:
    return page.locator("#requests tbody tr", has_text=path).first


def test_a_turns_timeline_shows_its_events_in_order(
    mock: Mock, nemo: Nemo, page: Page, screenshot: Any
) -> None:
    views = list(Conversation(nemo).say('add the title "Hello"'))
    assert views, "the turn showed nothing"
    [turn] = mock.server.journal.entries(path="/run_sse")
    sent = [event["kind"] for event in turn.events]
    # What the mock sent: tool work, then the reply in chunks, then the close.
    assert sent[-1] == "end"
    assert "tool_call" in sent
    assert sent.index("tool_call") < sent.index("tool_result") < sent.index("partial")

    page.goto(mock.ui)
    _row(page, "/run_sse").click()
    expect(page.locator("#detail h2")).to_contain_text("/run_sse")
    screenshot(page, "requests")
    items = page.locator("#timeline li")
    expect(items).to_have_count(len(sent))
    assert [items.nth(i).get_attribute("data-kind") for i in range(len(sent))] == sent
    # The chunks shown, joined, are the reply the client got.
    chunks = page.locator("#timeline li.partial .what").all_text_contents()
    reply = "".join(chunks)
    assert "Hello" in reply
    # Each event's time is on the virtual clock, from the request's arrival, never decreasing.
    offsets = [float(t[1:-2]) for t in page.locator("#timeline li .when").all_text_contents()]
    assert offsets == sorted(offsets)
    assert offsets[-1] == pytest.approx(turn.events[-1]["time"] - turn.time, abs=0.06)
    page.locator("#detail .stream h3").scroll_into_view_if_needed()
    screenshot(page, "timeline")


def test_new_requests_appear_without_a_reload_and_filter(
    mock: Mock, nemo: Nemo, page: Page
) -> None:
    page.goto(mock.ui)
    expect(_row(page, "/api/upload-video")).to_be_visible()
    nemo.credits()  # after the page loaded: it must come in by the page's own polling
    credits_row = _row(page, "/api/credits")
    expect(credits_row).to_be_visible()
    expect(credits_row.locator("td").nth(1)).to_have_text(re.compile(r"^\d+\.\d$"))
    page.fill("#filters input[name=path]", "/api/credits")
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    page.fill("#filters input[name=path]", "")
    page.fill("#filters input[name=client]", "someone-else")
    expect(page.locator("#requests tbody tr")).to_have_count(0)


def test_a_fault_added_in_the_page_applies_to_the_next_request(
    mock: Mock, nemo: Nemo, page: Page, screenshot: Any
) -> None:
    page.goto(mock.ui + "#faults")
    form = page.locator("#fault-form")
    # A rule the mock refuses: its error is shown next to the form, and nothing is added.
    form.locator("input[name=path]").fill("/api/credits/*")
    form.locator("input[name=status]").fill("503")
    form.locator("input[name=code]").fill("1001")
    form.locator("button[type=submit]").click()
    expect(page.locator("#fault-error")).to_have_text(re.compile("either status or code"))
    assert mock.server.faults.list() == []

    form.locator("input[name=status]").fill("")
    form.locator("input[name=times]").fill("2")
    form.locator("button[type=submit]").click()
    expect(page.locator("#faults tbody tr")).to_have_count(1)
    expect(page.locator("#fault-error")).to_be_hidden()
    screenshot(page, "faults")

    token = _the_token(mock)
    answer = httpx.get(
        f"{mock.url}/api/credits/nemo_agent/me",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.json()["code"] == 1001
    [faulted] = [e for e in mock.server.journal.entries() if e.fault]
    assert faulted.code == 1001
    # The page shows the rule spent once, then the request it answered.
    expect(page.locator("#faults tbody tr td").nth(4)).to_have_text("1")
    page.locator("#faults tbody tr button").click()
    expect(page.locator("#faults tbody tr")).to_have_count(0)
    assert mock.server.faults.list() == []

    page.goto(mock.ui + "#requests")
    _row(page, "/api/credits").click()
    expect(page.locator("#detail")).to_contain_text(faulted.fault or "?")
    expect(page.locator("#detail")).to_contain_text("1001")


def test_advancing_the_clock_in_the_page_finishes_a_render(
    mock: Mock, nemo: Nemo, page: Page, screenshot: Any
) -> None:
    list(Conversation(nemo).say('add the title "Render me" and lo-fi music'))
    job = nemo.submit_render(nemo.state().draft)
    assert job.status in ("pending", "processing")

    page.goto(mock.ui + "#sessions")
    page.locator("#sessions tbody tr").first.click()
    status = page.locator("#renders .render")
    expect(status).to_have_text(re.compile("pending|processing"))
    expect(page.locator(".draft .segment").first).to_be_visible()
    expect(page.locator("#credits")).to_contain_text("available")
    screenshot(page, "session")

    page.goto(mock.ui + "#clock")
    before = mock.clock.now()
    page.fill("#advance-form input[name=seconds]", "120")
    page.click("#advance-form button")
    expect(page.locator("#clock-now")).to_have_text(f"{before + 120:.1f}")
    screenshot(page, "clock")

    page.goto(mock.ui + "#sessions")
    page.locator("#sessions tbody tr").first.click()
    expect(page.locator("#renders .render")).to_have_text("completed")
    assert nemo.render_status(job.id).status == "completed"


def test_the_page_never_holds_the_raw_token(mock: Mock, nemo: Nemo, page: Page) -> None:
    list(Conversation(nemo).say("hello"))
    token = _the_token(mock)
    bodies: list[str] = []
    page.on("response", lambda response: bodies.append(response.text()))
    page.goto(mock.ui)
    for path in ("/api/upload-video", "/run_sse", "/api/state"):
        _row(page, path).click()
        expect(page.locator("#detail")).to_contain_text(path)
        expect(page.locator("#detail")).to_contain_text("•••masked•••")
        assert token not in page.content()
    page.goto(mock.ui + "#sessions")
    page.locator("#sessions tbody tr").first.click()
    expect(page.locator("#session h2")).to_be_visible()
    assert token not in page.content()
    assert bodies, "the page fetched nothing"
    assert not [b for b in bodies if token in b], "a raw token reached the browser"


def test_a_bad_setting_is_refused_inline_and_a_good_one_applies(mock: Mock, page: Page) -> None:
    page.goto(mock.ui + "#clock")
    # The select shows the new value at once; the mock has it once the page's PATCH is answered.
    with page.expect_response(lambda answer: answer.request.method == "PATCH") as patched:
        page.select_option("#config-form select[name=dialect]", "simple")
    assert patched.value.ok
    expect(page.locator("#config-form select[name=dialect]")).to_have_value("simple")
    assert mock.server.config.dialect.value == "simple"
    page.fill("#config-form input[name=silent_rate]", "7")
    page.locator("#config-form input[name=silent_rate]").dispatch_event("change")
    expect(page.locator("#config-error")).to_have_text(re.compile("silent_rate must be"))
    assert mock.server.config.silent_rate == 0.0


def test_an_admin_token_in_the_fragment_goes_only_in_the_authorization_header(
    mock: Mock, page: Page
) -> None:
    secret = "admin-secret-for-the-page"
    sent: list[tuple[str, str | None]] = []

    def seen(route: Any) -> None:  # every request as the browser sends it
        sent.append((route.request.url, route.request.headers.get("authorization")))
        route.continue_()

    page.route("**/*", seen)
    page.goto(mock.ui + f"#token={secret}")
    expect(page.locator("#requests-empty")).to_be_visible()
    page.goto(mock.ui + "#faults")  # the same tab: the token stays in sessionStorage
    expect(page.locator("#fault-form")).to_be_visible()
    # The page's own files hold no data; every call to the admin API carries the token.
    api_calls = [(url, auth) for url, auth in sent if "/__admin/ui/" not in url]
    called = {url.split("/__admin", 1)[1].split("?")[0] for url, _ in api_calls}
    assert {"/view/requests", "/faults"} <= called
    assert all(auth == f"Bearer {secret}" for _, auth in api_calls)
    assert not [url for url, _ in sent if secret in url]
    assert secret not in page.url
    assert secret not in page.content()
