"""SDK commands: ``pyrus-bots bot run`` and ``pyrus-bots send``."""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["load_app", "register"]

_RETRY_RE = re.compile(r"^[1-9]\d*/[1-9]\d*$")

bot_app = typer.Typer(help="Run bots written with the SDK.", no_args_is_help=True)


def load_app(target: str, *, record: Path | None = None) -> Any:
    """The ASGI app behind ``MODULE:ATTR``: a Bot or BotGroup (served through ``.asgi()``) or
    any ASGI application. The current directory is importable, as with uvicorn. ``record``:
    the directory where the bot records its deliveries."""
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise typer.BadParameter(f"expected MODULE:ATTR, got {target!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise typer.BadParameter(f"cannot import {module_name!r}: {exc}") from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise typer.BadParameter(f"{module_name!r} has no attribute {attr!r}") from None
    if record is not None:
        from pyrus_bots.bot.recorded_serving import attach_recorder

        try:
            attach_recorder(obj, record)
        except TypeError as exc:
            raise typer.BadParameter(f"--record: {exc}") from None
    asgi = getattr(obj, "asgi", None)
    if callable(asgi):  # Bot, BotGroup
        return asgi()
    if not callable(obj):
        raise typer.BadParameter(f"{target} is neither a bot nor an ASGI application")
    return obj


@bot_app.command("run")
def run(
    target: Annotated[str, typer.Argument(metavar="MODULE:ATTR", help="e.g. examples.greeter:bot")],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5000,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (costs ~15 % throughput).")
    ] = False,
    record: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            file_okay=False,
            help="Record each verified delivery and the bot's answer into DIR (for replay).",
        ),
    ] = None,
) -> None:
    """Serve a bot (a Bot, a BotGroup or any ASGI app) with uvicorn."""
    import logging

    import uvicorn

    app = load_app(target, record=record)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    typer.echo(f"Serving {target} on http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")


def send(
    url: Annotated[str, typer.Argument(help="The bot's webhook URL.")],
    payload: Annotated[
        Path,
        typer.Argument(
            metavar="PAYLOAD.json", exists=True, dir_okay=False, help="The body to send."
        ),
    ],
    secret: Annotated[
        str,
        typer.Option(envvar="PYRUS_BOT_SECRET", help="The bot's security key (signs the body)."),
    ],
    retry: Annotated[str, typer.Option(help="X-Pyrus-Retry header value.")] = "1/3",
    timeout: Annotated[float, typer.Option(help="Seconds to wait (Pyrus waits 60).")] = 60.0,
) -> None:
    """Sign PAYLOAD.json with the bot's secret and POST it as Pyrus would; print the reply."""
    import httpx
    import orjson

    from pyrus_bots.protocol.signature import sign

    if not _RETRY_RE.match(retry):
        raise typer.BadParameter(f"--retry is N/M, e.g. 2/3, not {retry!r}")
    body = payload.read_bytes()  # signed exactly as stored
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Pyrus-Bot-4",
        "X-Pyrus-Sig": sign(body, secret, upper=True),
        "X-Pyrus-Retry": retry,
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        typer.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"HTTP {response.status_code} {response.reason_phrase}")
    text = response.content
    if text:
        try:
            typer.echo(orjson.dumps(orjson.loads(text), option=orjson.OPT_INDENT_2).decode())
        except orjson.JSONDecodeError:
            typer.echo(text.decode(errors="replace"))
    else:
        typer.echo("(empty body)")
    if not response.is_success:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the SDK's commands to the ``pyrus-bots`` application."""
    app.add_typer(bot_app, name="bot")
    app.command("send")(send)
    from pyrus_bots.bot.replay_cli import replay

    app.command("replay")(replay)
