"""The ``nemokit`` command group: the API commands, the kit's commands and the demo."""

from __future__ import annotations

import sys

import click

from nemokit import __version__

from ._api import claim, connect, credits, state, upload
from ._demo import demo
from ._export_cmd import export_command
from ._lazy import LazyEntry, LazyGroup
from ._mock_cmd import mock
from ._runtime import ExitCode
from ._talk import chat, say

__all__ = ["cli", "main"]

EPILOG = """\b
Start here:
  nemokit demo                  see a whole edit run against a built-in mock
  nemokit mock                  run the mock API on http://127.0.0.1:8765
  export NEMO_API_URL=http://127.0.0.1:8765
  nemokit connect && nemokit upload clip.mp4 && nemokit chat

\b
Environment: NEMO_API_URL, NEMO_WEB_URL, NEMO_TOKEN (else a free anonymous
token), NEMO_CLIENT_ID, NEMO_TIME_SCALE, NEMOKIT_STATE_FILE.
API commands take --json (one JSON object per line) and --api-url.

\b
Exit codes:
  0    ok
  1    the API refused (out of credits, unsupported file, plan limit...) or
       there is no session yet; the message says what to do
  2    usage error (a bad option, argument or path)
  3    could not reach the API (network, or the wrong NEMO_API_URL)
  4    the export failed or is still rendering (`nemokit export` resumes it)
  130  interrupted (Ctrl-C); an export in progress is resumed next time
"""

KIT = {
    "record": LazyEntry(
        "nemokit.cli._record_cmd:record_command", "Record a session with an API into a cassette."
    ),
    "proxy": LazyEntry(
        "nemokit.cli._proxy_cmd:proxy_command", "Record any client's traffic through a proxy."
    ),
    "conformance": LazyEntry(
        "nemokit.cli._conformance_cmd:conformance_command",
        "Check an API (or the mock) against the contract.",
    ),
    "skill": LazyEntry(
        "nemokit.cli._skill_cmd:skill", "Check an agent skill document against the contract."
    ),
}
CASSETTES = {
    "import": LazyEntry(
        "nemokit.cli._har_cmd:import_command", "Turn a browser's HAR file into a cassette."
    ),
    "export": LazyEntry("nemokit.cli._har_cmd:export_command", "Write a cassette as HAR 1.2."),
    "diff": LazyEntry(
        "nemokit.cli._diff_cmd:diff_command", "Show the drift between two recordings."
    ),
    "verify": LazyEntry(
        "nemokit.cli._verify_cmd:verify_command", "Check cassettes: format, redaction, replay."
    ),
}


class NemoGroup(LazyGroup):
    """Ctrl-C anywhere ends with a short line and exit code 130, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nInterrupted.", err=True)
            raise click.exceptions.Exit(int(ExitCode.INTERRUPTED)) from None


@click.group(
    cls=NemoGroup,
    lazy=KIT,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="nemokit")
def cli() -> None:
    """nemokit: the Nemo AI video-editing API, from a terminal, and a kit to test against it
    offline (a mock, cassettes, a conformance suite)."""


@cli.group(cls=LazyGroup, lazy=CASSETTES)
def cassettes() -> None:
    """Work with recorded cassettes."""


for _command in (connect, chat, say, upload, credits, state, export_command, claim, mock, demo):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """The ``nemokit`` console script."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="nemokit")
