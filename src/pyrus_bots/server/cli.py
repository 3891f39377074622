"""Platform commands: ``pyrus-bots serve`` (and ``demo`` when the demo module provides it).

Every option of ``serve`` also reads ``PYRUS_BOTS_<NAME>`` from the environment (DESIGN.md 3.1).
``serve`` applies the migrations, loads the workspace file (idempotently), refuses to listen
beyond loopback without an admin token, prints where it listens and runs uvicorn.
"""

from __future__ import annotations

import asyncio
import enum
import importlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from pyrus_bots.server import settings as defaults
from pyrus_bots.server.settings import (
    Settings,
    parse_call_limit,
    parse_rate,
    parse_schedule,
    with_environment,
)

ENV_PREFIX = "PYRUS_BOTS_"
DEFAULT_RETRY_SCHEDULE_TEXT = ",".join(f"{s:g}" for s in defaults.DEFAULT_RETRY_SCHEDULE)


class RoleChoice(enum.StrEnum):
    all = "all"
    api = "api"
    worker = "worker"


class HookPolicyChoice(enum.StrEnum):
    default = "default"
    public_only = "public-only"
    any = "any"


class SignatureCaseChoice(enum.StrEnum):
    upper_case = "upper"
    lower_case = "lower"


def _env(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _rate(
    text: str,
    option: str,
    parse: Callable[[str], tuple[int, float] | None] = parse_rate,
) -> Any:
    try:
        return parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _schedule(text: str) -> tuple[float, ...]:
    try:
        return parse_schedule(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--retry-schedule") from None


def _format_rate(rate: tuple[int, float]) -> str:
    return f"{rate[0]}/{rate[1]:g}"


async def prepare_database(settings: Settings) -> str:
    """Migrate the database and load the workspace file; a line saying what happened."""
    from pyrus_bots.server.store.db import Database

    database = Database(settings.db, settings=settings)
    try:
        await database.migrate()
        if settings.workspace is None:
            return "no workspace file given"
        from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

        workspace = load_workspace_file(Path(settings.workspace))
        async with database.session() as session, session.begin():
            outcome = await apply_workspace(session, workspace)
        return f"workspace {settings.workspace} loaded ({_describe(outcome)})"
    finally:
        await database.dispose()


def _describe(changes: Iterable[str]) -> str:
    lines = list(changes)
    return f"{len(lines)} objects written" if lines else "already up to date"


def serve(
    host: Annotated[
        str, typer.Option(envvar=_env("host"), help="Interface to listen on.")
    ] = defaults.DEFAULT_HOST,
    port: Annotated[int, typer.Option(envvar=_env("port"), help="TCP port.")] = (
        defaults.DEFAULT_PORT
    ),
    db: Annotated[
        str, typer.Option(envvar=_env("db"), help="sqlite:///FILE or postgresql://...")
    ] = defaults.DEFAULT_DB_URL,
    workspace: Annotated[
        Path | None,
        typer.Option(envvar=_env("workspace"), help="Workspace file (YAML or JSON) to load."),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(envvar=_env("public_url"), help="URL clients reach this server at."),
    ] = None,
    role: Annotated[
        RoleChoice, typer.Option(envvar=_env("role"), help="API, delivery worker, or both.")
    ] = RoleChoice.all,
    retry_schedule: Annotated[
        str,
        typer.Option(envvar=_env("retry_schedule"), help="Attempt offsets in seconds."),
    ] = DEFAULT_RETRY_SCHEDULE_TEXT,
    bot_timeout: Annotated[
        float, typer.Option(envvar=_env("bot_timeout"), help="Seconds a bot has to answer.")
    ] = defaults.DEFAULT_BOT_TIMEOUT,
    bot_call_limit: Annotated[
        str,
        typer.Option(
            envvar=_env("bot_call_limit"), help="Webhook calls per bot: CALLS/SECONDS or off."
        ),
    ] = _format_rate(defaults.DEFAULT_BOT_CALL_LIMIT),
    api_limit: Annotated[
        str,
        typer.Option(envvar=_env("api_limit"), help="API requests per user: CALLS/SECONDS."),
    ] = _format_rate(defaults.DEFAULT_API_LIMIT),
    hook_policy: Annotated[
        HookPolicyChoice,
        typer.Option(envvar=_env("hook_policy"), help="Which hook addresses may be called."),
    ] = HookPolicyChoice.default,
    signature_case: Annotated[
        SignatureCaseChoice,
        typer.Option(envvar=_env("signature_case"), help="Hex case of X-Pyrus-Sig."),
    ] = SignatureCaseChoice.upper_case,
    hook_ca_bundle: Annotated[
        Path | None,
        typer.Option(envvar=_env("hook_ca_bundle"), help="CA bundle for HTTPS hooks."),
    ] = None,
    worker_lease: Annotated[
        float,
        typer.Option(envvar=_env("worker_lease"), help="Seconds a worker holds a delivery."),
    ] = defaults.DEFAULT_WORKER_LEASE,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar=_env("admin_token"),
            help="Token for /admin/api and /ui (required beyond loopback).",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option(envvar=_env("access_log"), help="Log every request (costs ~15 %)."),
    ] = False,
) -> None:
    """Run the platform: the Pyrus API v4, webhooks to bots, the admin API and the web UI."""
    settings = Settings(
        host=host,
        port=port,
        db=db,
        workspace=str(workspace) if workspace is not None else None,
        public_url=public_url,
        role=role.value,
        retry_schedule=_schedule(retry_schedule),
        bot_timeout=bot_timeout,
        bot_call_limit=_rate(bot_call_limit, "--bot-call-limit", parse_call_limit),
        api_limit=_rate(api_limit, "--api-limit"),
        hook_policy=hook_policy.value,
        signature_case=signature_case.value,
        hook_ca_bundle=str(hook_ca_bundle) if hook_ca_bundle is not None else None,
        worker_lease=worker_lease,
        admin_token=admin_token or None,
        access_log=access_log,
    )
    if not settings.loopback_only and settings.admin_token is None:
        typer.echo(
            f"refusing to listen on {host}: beyond loopback the admin API and UI need "
            f"--admin-token (or {_env('admin_token')})",
            err=True,
        )
        raise typer.Exit(2)
    run(with_environment(settings, os.environ))


def run(settings: Settings) -> None:
    """Prepare the database, then serve until interrupted."""
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from pyrus_bots.server.worker_lock import WorkerAlreadyRunning, hold_sqlite_worker_lock
    from pyrus_bots.server.workspace import WorkspaceError

    worker_lock = None
    if settings.role in ("all", "worker"):
        try:
            # Held until this process exits: SQLite runs one delivery worker.
            worker_lock = hold_sqlite_worker_lock(settings.db)
        except WorkerAlreadyRunning as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    try:
        typer.echo(asyncio.run(prepare_database(settings)))
    except WorkspaceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:  # an unusable database URL
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except (OSError, SQLAlchemyError) as exc:  # the database cannot be reached or migrated
        typer.echo(f"error: database {_safe_url(settings.db)}: {exc}", err=True)
        raise typer.Exit(1) from None

    from pyrus_bots.server.app import create_app

    app = create_app(settings)
    base = settings.base_url
    typer.echo(
        f"pyrus-bots listening on http://{_display_host(settings.host)}:{settings.port} "
        f"(role {settings.role}; API {base}/v4/, UI {base}/ui/)"
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=settings.access_log,
        log_level="info",
        lifespan="on",
    )
    if worker_lock is not None:
        worker_lock.close()


def _safe_url(url: str) -> str:
    """The database URL with any password masked (it may appear in messages)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


def _display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def register(app: typer.Typer) -> None:
    """Add the platform's commands to the ``pyrus-bots`` application."""
    app.command("serve")(serve)
    try:
        demo = importlib.import_module("pyrus_bots.server.demo.cli")
    except ImportError as exc:
        if exc.name != "pyrus_bots.server.demo.cli":
            raise
        return
    demo.register(app)
