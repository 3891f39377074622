"""The workspace's ``tasks``: checked with the file, written with their own task and comment ids.

Each entry is a task as ``GET /v4/tasks/{id}`` shows it (``task_import`` converts it).

Loading stays idempotent and never loses local work:

- a task not in the database is written, with its comments, under the ids of the file;
- a task in the database is replaced by the file's copy only when the file's copy is newer
  (a later ``last_modified_date``) and the database holds no comment the file lacks: every change
  on the platform adds a comment, so a task changed locally since it was loaded is kept as it is
  (and named in the load's changes);
- afterwards the id counters are moved past the largest ids, so that new tasks and comments
  never take an imported id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.task_import import (
    advance_id_counters,
    insert_tasks,
    replace_task,
    stored_tasks,
)
from pyrus_bots.server.workflow.file_refs import files_of_task
from pyrus_bots.server.workflow.state import (
    Catalog,
    CatalogItem,
    Directory,
    FormDef,
    Person,
    Role,
)
from pyrus_bots.server.workspace.errors import Problems, WorkspaceError
from pyrus_bots.server.workspace.files import file_refs
from pyrus_bots.server.workspace.schema import WorkspaceSpec
from pyrus_bots.server.workspace.task_import import ImportedTask, TaskImportError, import_task

__all__ = ["apply_tasks", "check_tasks", "refused_tasks"]


def _file_directory(
    spec: WorkspaceSpec, forms: list[FormDef], role_members: dict[int, list[int]]
) -> Directory:
    """The organisation as the file declares it (catalog items numbered in file order: the
    stored ids are only known when loading, and tasks name items by their first column)."""
    people = {p.id: Person(p.id, p.email) for p in spec.people}
    people.update({b.id: Person(b.id, b.login or f"bot-{b.id}", type="bot") for b in spec.bots})
    files = file_refs(spec)
    return Directory(
        organization_id=spec.organization.id,
        organization_name=spec.organization.name,
        people=people,
        roles={r.id: Role(r.id, r.name, role_members.get(r.id, [])) for r in spec.roles},
        forms={f.id: f for f in forms},
        catalogs={
            c.id: Catalog(
                c.id,
                c.name,
                list(c.headers),
                [CatalogItem(n, list(values)) for n, values in enumerate(c.items, start=1)],
            )
            for c in spec.catalogs
        },
        files_by_id=files,
    )


def _import_all(
    directory: Directory, spec: WorkspaceSpec, problems: Problems
) -> list[ImportedTask]:
    imported = []
    seen: dict[int, str] = {}
    for index, data in enumerate(spec.tasks):
        path = f"tasks[{index}]"
        try:
            task, comments = import_task(directory, data)
        except TaskImportError as exc:
            problems.add(f"{path}.{exc.path}" if exc.path else path, exc.why)
            continue
        problems.unique(seen, task.id, f"{path}.id", "task id")
        imported.append((task, comments))
    return imported


def check_tasks(
    spec: WorkspaceSpec,
    forms: list[FormDef],
    role_members: dict[int, list[int]],
    problems: Problems,
) -> None:
    """Add a problem for each task the loader could not write."""
    if spec.tasks:
        _import_all(_file_directory(spec, forms, role_members), spec, problems)


async def apply_tasks(session: AsyncSession, spec: WorkspaceSpec, source: str) -> list[str]:
    """Write the file's tasks (see the module's rules); one line per task written or kept."""
    if not spec.tasks:
        return []
    directory = await load_directory(session, spec.organization.id, include_files=bool(spec.files))
    problems = Problems()
    imported = _import_all(directory, spec, problems)
    if problems:
        raise WorkspaceError(source, problems.found)
    stored = await stored_tasks(session, [task.id for task, _ in imported])
    lines: list[str] = []
    new: list[ImportedTask] = []
    for task, comments in imported:
        before = stored.get(task.id)
        if before is None:
            new.append((task, comments))
            lines.append(f"task {task.id} created")
            continue
        if task.last_modified_date <= before.last_modified_date:
            continue  # the same copy, or an older one
        if not before.comment_ids <= {c.id for c in comments}:
            lines.append(f"task {task.id} kept: changed on this platform since it was loaded")
            continue
        await replace_task(session, task, [c for c in comments if c.id not in before.comment_ids])
        lines.append(f"task {task.id} updated")
    await insert_tasks(session, new)
    for task, _ in imported:
        # The files a task holds are readable by whoever sees the task ("task" holders, as
        # tasks.file_access records them for every other change).
        await file_store.add_holders(session, "task", task.id, files_of_task(directory, task))
    if lines:
        await advance_id_counters(session)
    return lines


def refused_tasks(
    spec: WorkspaceSpec,
    forms: list[FormDef],
    role_members: dict[int, list[int]],
    tasks: Sequence[Mapping[str, Any]],
) -> dict[int, str]:
    """Which of ``tasks`` (by position) a checked workspace could not load, and why."""
    directory = _file_directory(spec, forms, role_members)
    refused = {}
    for index, data in enumerate(tasks):
        try:
            import_task(directory, data)
        except TaskImportError as exc:
            refused[index] = str(exc)
    return refused
