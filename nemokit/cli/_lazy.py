"""Commands written elsewhere (``conformance``), imported only when they run.

``nemokit --help`` lists them from a static table, so showing help imports nothing heavy. If a
module is not there yet, or an extra it needs is not installed, the command says so in a
sentence instead of failing with a traceback.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

__all__ = ["LazyEntry", "lazy_command"]


@dataclass(frozen=True, slots=True)
class LazyEntry:
    """``target`` is ``"module:attribute"``; ``short_help`` is shown in the command list."""

    target: str
    short_help: str


def lazy_command(name: str, entry: LazyEntry) -> click.Command:
    """The real command behind ``entry``, or one that explains why it cannot run."""
    module_name, _, attribute = entry.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            return _unavailable(name, entry, f"{module_name} is not part of this version yet")
        return _unavailable(name, entry, f"it needs {exc.name}: pip install 'nemokit[cli]'")
    except ImportError as exc:
        return _unavailable(name, entry, f"it could not be loaded ({exc})")
    command = getattr(module, attribute, None)
    if not isinstance(command, click.Command):
        return _unavailable(name, entry, f"{entry.target} is not a command yet")
    return command


def _unavailable(name: str, entry: LazyEntry, why: str) -> click.Command:
    def explain() -> None:
        raise click.ClickException(f"`nemokit {name}` is not available yet: {why}.")

    return click.Command(
        name,
        callback=explain,
        help=f"{entry.short_help} (not available yet: {why}.)",
        short_help=entry.short_help,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


class LazyGroup(click.Group):
    """A group whose ``lazy`` commands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, LazyEntry] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            return lazy_command(cmd_name, self.lazy[cmd_name])
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name].short_help))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
