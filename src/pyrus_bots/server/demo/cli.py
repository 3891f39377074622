"""The ``pyrus-bots demo`` command (what ``make run`` calls)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pyrus_bots.server.demo.runner import DemoOptions, run_demo
from pyrus_bots.server.settings import parse_schedule


def demo(
    port: Annotated[
        int, typer.Option(help="Port of the platform (0: 8000 when free, else any free port).")
    ] = 0,
    state_dir: Annotated[
        Path | None,
        typer.Option(help="Keep the database, workspace and logs here (default: a temp dir)."),
    ] = None,
    retry_schedule: Annotated[
        str, typer.Option(help="Seconds from the trigger of each of the three attempts.")
    ] = "0,4,8",
    bot_timeout: Annotated[float, typer.Option(help="Seconds a bot has to answer.")] = 3.0,
    no_sample_tasks: Annotated[bool, typer.Option(help="Start without sample tasks.")] = False,
) -> None:
    """Start the platform with a demo workspace, the example bots and sample tasks."""
    try:
        schedule = parse_schedule(retry_schedule)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--retry-schedule") from None
    options = DemoOptions(
        port=port,
        state_dir=state_dir,
        retry_schedule=schedule,
        bot_timeout=bot_timeout,
        inline_budget=max(0.5, bot_timeout - 1.0),
        sample_tasks=not no_sample_tasks,
    )
    raise typer.Exit(run_demo(options))


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``pyrus-bots`` application."""
    app.command("demo")(demo)
