"""``nemokit demo``: the seed guide's quick edit against a mock in this process, in virtual time.

Client and mock share one :class:`~nemokit.VirtualClock`, so the waits of the real API (an edit
of 10–30 s, a render of 30–90 s polled every 30 s) pass at once; each line carries the virtual
time it happened at (``[+01:30]``), so the reader sees the waits that took no real time.
"""

from __future__ import annotations

import pathlib
import tempfile
import time
from collections.abc import Iterable
from typing import Any

import click

from nemokit._client import Nemo
from nemokit._clock import VirtualClock
from nemokit._conversation import Conversation
from nemokit._views import View

from ._options import json_option
from ._output import Output
from ._runtime import ExitCode

__all__ = ["demo"]

DEMO_API_URL = "http://nemo-mock.local"
QUICK_EDIT = "trim the pauses, add transitions, and export a shareable link"
TITLE_EDIT = 'add the title "Urban Dreams"'


def _clip_bytes() -> bytes:
    try:
        from mockserver._media import tiny_mp4
    except ImportError:
        return b"\x00\x00\x00\x18ftypisom"  # a few bytes: the mock only sniffs what it can
    return tiny_mp4()


def _stamp(clock: VirtualClock, start: float) -> str:
    minutes, seconds = divmod(int(clock.now() - start), 60)
    return f"[+{minutes:02d}:{seconds:02d}] "


@click.command()
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="The mock's seed: another seed, other replies and timings.",
)
@json_option
def demo(seed: int, json_mode: bool) -> None:
    """See it work: a quick edit against a built-in mock.

    Upload, edit, a silent edit, the tracks and the export, in virtual time: a few seconds.
    """
    try:
        from mockserver import MockServer, StreamingTransport
        from mockserver._config import MockConfig
    except ImportError as exc:
        raise click.ClickException(
            f"`nemokit demo` needs the mock extra: pip install 'nemokit[mock]' ({exc})."
        ) from None
    clock = VirtualClock()
    server = MockServer(MockConfig(seed=seed, silent_rate=0.0), clock)
    out = Output(json_mode, stamp=lambda: _stamp(clock, 0.0))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nemokit-demo-") as folder:
        clip = pathlib.Path(folder) / "clip.mp4"
        clip.write_bytes(_clip_bytes())
        nemo = Nemo(
            api_url=DEMO_API_URL,
            client_id="nemokit-demo",
            transport=StreamingTransport(server.app),
            clock=clock,
            env={},  # the demo never uses a NEMO_TOKEN or NEMO_API_URL from the environment
        )
        with nemo:
            _script(Conversation(nemo), server, out, clip)
    real = time.perf_counter() - started
    minutes, seconds = divmod(int(clock.now()), 60)
    out.say("")
    out.say(
        f"Done: {minutes} min {seconds} s of API time in {real:.1f} s of real time. "
        "Try it against a mock you run yourself: `nemokit mock`, then `nemokit connect`.",
        "bold",
    )
    out.result({"kind": "demo", "virtual_seconds": clock.now(), "problems": len(out.problems)})
    click.get_current_context().exit(int(ExitCode.API_ERROR if out.problems else ExitCode.OK))


def _script(conversation: Conversation, server: Any, out: Output, clip: pathlib.Path) -> None:
    _step(out, "Connecting to a built-in mock of the Nemo API", conversation.connect())
    _step(out, f"You send {clip.name}", conversation.say("", [str(clip)]))
    _you(out, conversation, QUICK_EDIT)
    # About 30% of edits end with no text; make the next one do so, to show the summary.
    server.configure(silent_rate=1.0)
    _you(out, conversation, TITLE_EDIT, note="(this edit answers with no text)")
    server.configure(silent_rate=0.0)
    _you(out, conversation, "show tracks")
    _you(out, conversation, "export")
    _you(out, conversation, "credits")


def _you(out: Output, conversation: Conversation, text: str, note: str = "") -> None:
    _step(out, f"You: {text} {note}".rstrip(), conversation.say(text))


def _step(out: Output, heading: str, views: Iterable[View]) -> None:
    out.say("")
    out.say(f"▶ {heading}", "bold cyan")
    for view in views:
        out.view(view)
