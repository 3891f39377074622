"""``pyrus-bots replay DIR|FILE --to URL --secret S [--expect-same]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["replay"]


def replay(
    path: Annotated[
        Path,
        typer.Argument(
            metavar="DIR|FILE", exists=True, help="A recording file or a directory of them."
        ),
    ],
    to: Annotated[str, typer.Option("--to", metavar="URL", help="The bot's webhook URL.")],
    secret: Annotated[
        str,
        typer.Option(envvar="PYRUS_BOT_SECRET", help="The bot's security key (signs each body)."),
    ],
    expect_same: Annotated[
        bool,
        typer.Option("--expect-same", help="Show a diff and exit with 1 when an answer differs."),
    ] = False,
    access_token: Annotated[
        str | None,
        typer.Option(
            envvar="PYRUS_BOT_ACCESS_TOKEN",
            help="A token put in place of the masked one (for bots that call the API).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.")] = 60.0,
) -> None:
    """Sign recorded deliveries again and send them to a bot, in order; print its answers
    beside the recorded ones."""
    from rich.console import Console
    from rich.table import Table

    from pyrus_bots.bot.recording import load_recordings
    from pyrus_bots.bot.replay import send_recordings
    from pyrus_bots.protocol.models.recording import RecordingError

    console = Console()
    try:
        recordings = load_recordings(path)
    except RecordingError as exc:
        console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    if not recordings:
        console.print(f"no recorded deliveries in {path}")
        raise typer.Exit(2)
    results = send_recordings(
        recordings, url=to, secret=secret, access_token=access_token, timeout=timeout
    )
    table = Table(title=f"{len(results)} deliveries replayed to {to}")
    for column in ("#", "delivery", "recorded", "replayed", "ms", "answer"):
        table.add_column(column, justify="right" if column in ("#", "ms") else "left")
    differing = 0
    for number, result in enumerate(results, start=1):
        same = result.same
        differing += not same
        recorded = result.recording.reply.status
        table.add_row(
            str(number),
            result.recording.label,
            str(recorded) if recorded is not None else "none",
            str(result.status) if result.status is not None else "error",
            f"{result.duration_ms:.0f}",
            "[green]same[/green]" if same else "[red]differs[/red]",
        )
    console.print(table)
    if expect_same:
        for number, result in enumerate(results, start=1):
            if not result.same:
                console.rule(f"#{number} {result.recording.label}")
                console.print(result.diff, markup=False, highlight=False)
    console.print(f"{len(results) - differing} same, {differing} different")
    if expect_same and differing:
        raise typer.Exit(1)
