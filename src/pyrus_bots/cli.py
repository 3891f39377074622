"""The ``pyrus-bots`` command line: SDK commands (``bot run``, ``send``) and platform commands
(``serve``, ``demo``). The platform's commands load only when its extra is installed."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="Pyrus bots: write bots with the SDK, run them against the platform.",
    no_args_is_help=True,
    add_completion=False,
)

# Each module registers its own commands; a missing optional dependency only hides those commands.
_COMMAND_MODULES = ("pyrus_bots.bot.cli", "pyrus_bots.server.cli", "pyrus_bots.server.twin.cli")


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # the server extra is not installed
            if exc.name and exc.name.startswith("pyrus_bots"):
                raise
            continue
        module.register(app)


_register_commands()


def main() -> None:
    app()
