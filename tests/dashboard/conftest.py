"""Fixtures for the dashboard's browser tests: Debian's Chromium driven by Playwright, and the
mock served on 127.0.0.1 with a virtual clock.

Playwright runs for this module only (started and stopped here), not for the whole session as
pytest-playwright's fixtures do: its sync API leaves its event loop set as the running one while
it is started, and every later ``asyncio.run`` in the same worker would then fail.

Playwright's own browser download cannot be reached from CI, so the tests launch the system's
Chromium (``apt-get install chromium``; ``.ci/run`` installs it) through ``executable_path``, or
the one named by ``NEMOKIT_CHROMIUM``. Without one, every test here skips, saying so.
Screenshots for ``docs/img/`` are taken only when ``NEMOKIT_DASHBOARD_SCREENSHOTS=1``, so an
ordinary run never changes the tree.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from _dashboard_live import Mock

from mockserver import MockConfig

pytest.importorskip("playwright.sync_api", reason="playwright is not installed (the dev extra)")

from playwright.sync_api import Browser, Page, sync_playwright

#: Chromium's flags for a CI box: no sandbox (root in a container), nothing fetched from outside.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "img"


def find_chromium() -> str | None:
    """The system Chromium's path, or ``None``."""
    named = os.environ.get("NEMOKIT_CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The system Chromium, launched once for the module (skips when there is none)."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "no Chromium found (apt-get install chromium, or set NEMOKIT_CHROMIUM); Playwright's "
            "own browser download is not used"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context, laptop-sized (the screenshots in docs/ are this size)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def mock() -> Iterator[Mock]:
    served = Mock(MockConfig(seed=3, silent_rate=0.0, noise_rate=0.0, partial_text=True))
    try:
        yield served
    finally:
        served.close()


@pytest.fixture
def screenshot() -> Any:
    """``screenshot(page, name)`` saves ``docs/img/dashboard-<name>.png`` when asked to."""

    def take(page: Any, name: str) -> None:
        if os.environ.get("NEMOKIT_DASHBOARD_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=False)

    return take
