"""``pyrus-bots workspace pull``: a local twin of a real Pyrus organisation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml  # noqa: F401  (the server extra: without it the command stays hidden)

__all__ = ["register"]

workspace_app = typer.Typer(help="Workspace files of the platform.", no_args_is_help=True)


def _form_ids(value: str | None) -> set[int] | None:
    if not value:
        return None
    try:
        return {int(part) for part in value.split(",") if part.strip()}
    except ValueError:
        raise typer.BadParameter(
            f"--forms takes form ids separated by commas, not {value!r}"
        ) from None


def _hooks(values: list[str]) -> dict[str, str]:
    hooks = {}
    for value in values:
        bot, sep, url = value.partition("=")
        if not sep or not bot or not url:
            raise typer.BadParameter(f"--hook-url takes BOT=URL, not {value!r}")
        hooks[bot] = url
    return hooks


@workspace_app.command("pull")
def pull(
    api_url: Annotated[
        str, typer.Option(help="The API base, e.g. https://api.pyrus.com/v4/ or <platform>/v4/.")
    ],
    login: Annotated[str, typer.Option(help="An account that sees the forms (e-mail).")],
    security_key: Annotated[
        str, typer.Option(envvar="PYRUS_SECURITY_KEY", help="The account's security key.")
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help="The workspace file to write.")
    ] = Path("workspace.yaml"),
    forms: Annotated[
        str | None, typer.Option(metavar="ID,ID", help="Only these forms (default: all).")
    ] = None,
    evidence_tasks: Annotated[
        int, typer.Option(help="Recent tasks per form read to infer step approvers.")
    ] = 20,
    hook_url: Annotated[
        list[str] | None,
        typer.Option(metavar="BOT=URL", help="Call bot BOT (id, login or name) at URL locally."),
    ] = None,
    auth_url: Annotated[
        str | None, typer.Option(help="Where to authenticate (default: <api-url>auth).")
    ] = None,
    with_tasks: Annotated[
        int,
        typer.Option(
            min=0, metavar="N", help="Also bring the latest N tasks of each form, with comments."
        ),
    ] = 0,
    with_files: Annotated[
        bool, typer.Option(help="With --with-tasks: also the tasks' files, into <output>.files/.")
    ] = False,
) -> None:
    """Read forms, catalogs, people, roles and bots (and with --with-tasks the latest tasks)
    through API v4 and write a workspace file that `pyrus-bots serve` loads, ids kept. Local
    security keys go to <output>.keys.yaml. An interrupted pull resumes from <output>.pull/
    when run again."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID, TextColumn

    from pyrus_bots.bot.client import PyrusClient
    from pyrus_bots.server.twin.output import keys_path, write_keys, write_workspace
    from pyrus_bots.server.twin.pull import PullError, PullOptions, pull_workspace
    from pyrus_bots.server.workspace import WorkspaceError

    if with_files and not with_tasks:
        raise typer.BadParameter(
            "--with-files takes the files of the pulled tasks: add --with-tasks N"
        )
    console = Console(stderr=True)
    base = api_url if api_url.endswith("/") else api_url + "/"
    options = PullOptions(
        form_ids=_form_ids(forms),
        evidence_tasks=evidence_tasks,
        hook_urls=_hooks(hook_url or []),
        checkpoint=output.with_name(output.stem + ".pull"),
        with_tasks=with_tasks,
        files_dir=output.with_name(output.stem + ".files") if with_files else None,
    )
    client = PyrusClient(
        login=login, security_key=security_key, api_url=base, auth_url=auth_url or base + "auth"
    )
    phases: dict[str, TaskID] = {}
    with (
        client,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=console,
        ) as bar,
    ):

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in phases:
                phases[phase] = bar.add_task(phase, total=total)
            bar.update(phases[phase], completed=done, total=total)

        try:
            result = pull_workspace(client, options, progress)
        except PullError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)
            console.print("Run the same command again to resume.", highlight=False)
            raise typer.Exit(1) from None
    keys_file = keys_path(output)
    write_keys(keys_file, result.keys)
    try:
        write_workspace(output, result.workspace, api_url)
    except WorkspaceError as exc:
        console.print(f"[red]the pulled workspace does not load:[/red]\n{exc}", highlight=False)
        raise typer.Exit(1) from None
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    for step in result.steps_without_evidence:
        console.print(
            f"[yellow]no evidence:[/yellow] {step}: no recent task shows its approvers",
            highlight=False,
        )
    ws = result.workspace
    typer.echo(
        f"Wrote {output}: {len(ws['forms'])} forms, {len(ws['catalogs'])} catalogs, "
        f"{len(ws['people'])} people, {len(ws['roles'])} roles, {len(ws['bots'])} bots"
        + (f", {len(ws['tasks'])} tasks." if "tasks" in ws else ".")
    )
    typer.echo(f"Local security keys: {keys_file}")


def register(app: typer.Typer) -> None:
    app.add_typer(workspace_app, name="workspace")
