"""SDK commands: ``pyrus-bots bot run`` and ``pyrus-bots send``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the SDK's commands to the ``pyrus-bots`` application."""
