"""Platform commands: ``pyrus-bots serve`` and ``pyrus-bots demo``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the platform's commands to the ``pyrus-bots`` application."""
