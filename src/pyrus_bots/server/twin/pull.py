"""Reading an organisation through API v4 into workspace objects (``pyrus-bots workspace pull``).

Every call goes through the SDK's API client; a failure becomes a :class:`PullError` that names
the call and the object it was for. Answers are kept in a checkpoint directory as they arrive,
so a pull that stopped (a network failure, a rate limit) resumes where it was.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter

from pyrus_bots.bot.client import PyrusClient
from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.catalog import Catalog, CatalogInfo
from pyrus_bots.protocol.models.directory import Bot, Profile
from pyrus_bots.protocol.models.form import FormTemplate
from pyrus_bots.protocol.models.person import Person, Role
from pyrus_bots.protocol.models.task import Task, TaskWithComments
from pyrus_bots.server.twin.convert import (
    StepEvidence,
    bot_spec,
    catalog_spec,
    form_spec,
    infer_approvers,
    person_spec,
    role_spec,
)
from pyrus_bots.server.twin.tasks import add_tasks, files_of

__all__ = ["DEFAULT_EVIDENCE_TASKS", "PullError", "PullOptions", "PullResult", "pull_workspace"]

DEFAULT_EVIDENCE_TASKS = 20
"""Recent tasks per form read to infer its steps' approvers."""

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""``progress(phase, done, total)``."""


class PullError(Exception):
    """An API call of the pull failed: which call, for which object, and what it answered."""

    def __init__(self, call: str, target: str, cause: Exception) -> None:
        super().__init__(f"{call} ({target}) failed: {cause}")
        self.call = call
        self.target = target


@dataclass(slots=True)
class PullOptions:
    form_ids: set[int] | None = None
    """Only these forms (and every catalog, person, role and bot)."""
    evidence_tasks: int = DEFAULT_EVIDENCE_TASKS
    hook_urls: dict[str, str] = field(default_factory=dict)
    """Bot id, login or name -> the hook URL the twin calls instead."""
    checkpoint: Path | None = None
    """Where answers are kept until the pull completes (resuming reads them back)."""
    with_tasks: int = 0
    """Also bring the latest this many tasks of each form, with their comments."""
    files_dir: Path | None = None
    """Also bring the pulled tasks' files, into this directory (beside the workspace file)."""


@dataclass(slots=True)
class PullResult:
    workspace: dict[str, Any]
    keys: dict[str, list[dict[str, Any]]]
    """The generated local security keys: ``{"people": [...], "bots": [...]}``."""
    steps: dict[int, list[StepEvidence]]
    warnings: list[str]

    @property
    def steps_without_evidence(self) -> list[str]:
        return [
            f"form {form_id} step {step.number} ({step.name})"
            for form_id, evidence in self.steps.items()
            for step in evidence
            if not step.tasks_seen
        ]


class _Checkpoint:
    """Answers saved as JSON files under ``directory`` (None: nothing saved)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def fetch(self, key: str, kind: Any, fetch: Callable[[], T]) -> T:
        adapter: TypeAdapter[T] = TypeAdapter(kind)
        path = self.directory / f"{key}.json" if self.directory is not None else None
        if path is not None and path.is_file():
            return adapter.validate_json(path.read_bytes())
        value = fetch()
        if path is not None:
            path.write_bytes(adapter.dump_json(value, exclude_none=True))
        return value

    def done(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def _calling(call: str, target: str) -> Iterator[None]:
    try:
        yield
    except PyrusError as exc:
        raise PullError(call, target, exc) from exc


def _key() -> str:
    return secrets.token_urlsafe(18)


def pull_workspace(
    client: PyrusClient, options: PullOptions, progress: Progress | None = None
) -> PullResult:
    """Read the organisation ``client`` sees into workspace objects."""
    report = progress or (lambda phase, done, total: None)
    saved = _Checkpoint(options.checkpoint)

    def get(key: str, kind: Any, call: str, target: str, fetch: Callable[[], T]) -> T:
        with _calling(call, target):
            return saved.fetch(key, kind, fetch)

    report("organisation", 0, 1)
    profile = get("profile", Profile, "GET /profile", "the account", client.get_profile)
    members = get("members", list[Person], "GET /members", "people", client.get_members)
    roles = get("roles", list[Role], "GET /roles", "roles", client.get_roles)
    warnings: list[str] = []
    try:
        bots = get("bots", list[Bot], "GET /bots", "bots", client.get_bots)
    except PullError as exc:  # not every Pyrus answers it: the bots listed as members stand in
        warnings.append(f"{exc}; bots are taken from the members (without settings)")
        bots = [_bot_of(p) for p in members if p.type == "bot"]
    report("organisation", 1, 1)

    infos = get("catalogs", list[CatalogInfo], "GET /catalogs", "catalogs", client.get_catalogs)
    catalogs: list[Catalog] = []
    for done, info in enumerate(infos):
        report("catalogs", done, len(infos))
        cid = int(info.catalog_id or 0)
        catalogs.append(
            get(
                f"catalog-{cid}",
                Catalog,
                f"GET /catalogs/{cid}",
                f"catalog {cid} {info.name!r}",
                partial(client.get_catalog, cid),
            )
        )
    report("catalogs", len(infos), len(infos))

    templates = get("forms", list[FormTemplate], "GET /forms", "forms", client.get_forms)
    if options.form_ids is not None:
        missing = options.form_ids - {t.id for t in templates}
        if missing:
            raise PullError(
                "GET /forms",
                f"forms {sorted(missing)}",
                LookupError("the account does not see these forms"),
            )
        templates = [t for t in templates if t.id in options.form_ids]
    steps: dict[int, list[StepEvidence]] = {}
    permissions: dict[int, dict[str, str]] = {}
    pulled_tasks: list[Task] = []
    for done, template in enumerate(templates):
        report("forms", done, len(templates))
        fid = int(template.id or 0)
        try:
            answer = get(
                f"permissions-{fid}",
                dict[str, Any],
                f"GET /forms/{fid}/permissions",
                f"form {fid}",
                partial(client.request, "GET", f"forms/{fid}/permissions"),
            )
            permissions[fid] = dict(answer.get("permissions") or {})
        except PullError as exc:  # only the form's managers may read them
            warnings.append(f"{exc}; the twin's form {fid} is open to every person")
        latest = _latest_tasks(client, fid, max(options.evidence_tasks, options.with_tasks), get)
        full: dict[int | None, Task] = {}
        for task in latest[: options.with_tasks]:
            full[task.id] = _full_task(client, fid, task, get)
            pulled_tasks.append(full[task.id])
            report("tasks", len(pulled_tasks), len(pulled_tasks))
        evidence = latest[: options.evidence_tasks]
        if not all(t.approvals for t in evidence):  # the register lacks them: read each task
            evidence = [full.get(t.id) or _full_task(client, fid, t, get) for t in evidence]
        steps[fid] = infer_approvers(template, evidence)
    report("forms", len(templates), len(templates))

    result = _assemble(
        profile, members, roles, bots, catalogs, templates, steps, permissions, options
    )
    result.warnings[:0] = warnings
    if options.with_tasks > 0:
        files = None
        if options.files_dir is not None:
            files = _download_files(client, pulled_tasks, options.files_dir, report)
        add_tasks(result.workspace, result.warnings, pulled_tasks, files)
    saved.done()
    return result


def _bot_of(member: Person) -> Bot:
    name = " ".join(n for n in (member.first_name, member.last_name) if n)
    return Bot(id=member.id, name=name or None, login=member.email)


def _latest_tasks(
    client: PyrusClient,
    form_id: int,
    count: int,
    get: Callable[[str, Any, str, str, Callable[[], Any]], Any],
) -> list[Task]:
    """The latest ``count`` tasks of the form as the register shows them, newest first."""
    if count <= 0:
        return []
    register: list[Task] = get(
        f"register-{form_id}",
        list[Task],
        f"POST /forms/{form_id}/register",
        f"form {form_id}",
        lambda: client.get_registry(form_id, include_archived=True),
    )
    return sorted(register, key=lambda t: t.id or 0, reverse=True)[:count]


def _full_task(
    client: PyrusClient,
    form_id: int,
    task: Task,
    get: Callable[[str, Any, str, str, Callable[[], Any]], Any],
) -> Task:
    """The task with its approvals and comments (``GET /tasks/{id}``, kept for resuming)."""
    if isinstance(task, TaskWithComments):
        return task
    full: TaskWithComments = get(
        f"task-{task.id}",
        TaskWithComments,
        f"GET /tasks/{task.id}",
        f"task {task.id} of form {form_id}",
        partial(client.get_task, int(task.id or 0)),
    )
    return full


def _download_files(
    client: PyrusClient, tasks: Sequence[Task], directory: Path, report: Progress
) -> list[dict[str, Any]]:
    """Download the files the tasks hold into ``directory`` (one file per id; a file already
    there is not downloaded again, so an interrupted pull resumes); their workspace entries."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted: dict[int, tuple[str, int | None]] = {}
    for task in tasks:
        for file_id, name in files_of(task).items():
            wanted.setdefault(file_id, (name, task.id))
    entries = []
    for done, (file_id, (name, task_id)) in enumerate(sorted(wanted.items())):
        report("files", done, len(wanted))
        path = directory / str(file_id)
        if not path.is_file():
            with _calling("GET files/download", f"file {file_id} {name!r} of task {task_id}"):
                content = client.download_file(file_id)
            partial_path = path.with_suffix(".part")
            partial_path.write_bytes(content)
            partial_path.replace(path)
        entries.append({"id": file_id, "name": name, "path": f"{directory.name}/{file_id}"})
    report("files", len(wanted), len(wanted))
    return entries


def _assemble(
    profile: Profile,
    members: Sequence[Person],
    roles: Sequence[Role],
    bots: Sequence[Bot],
    catalogs: Sequence[Catalog],
    templates: Sequence[FormTemplate],
    steps: dict[int, list[StepEvidence]],
    permissions: dict[int, dict[str, str]],
    options: PullOptions,
) -> PullResult:
    warnings: list[str] = []
    bot_ids = {b.id for b in bots}
    people = [
        p
        for p in members
        if p.id and p.email and p.id not in bot_ids and p.type not in ("bot", "role")
    ]
    keys: dict[str, list[dict[str, Any]]] = {"people": [], "bots": []}
    people_specs = []
    for person in sorted(people, key=lambda p: p.id or 0):
        key = _key()
        keys["people"].append({"id": person.id, "email": person.email, "security_key": key})
        people_specs.append(person_spec(person, key))
    bot_specs = []
    unused_hooks = dict(options.hook_urls)
    for bot in sorted(bots, key=lambda b: b.id or 0):
        hook = None
        for name in (str(bot.id), bot.login or "", bot.name or ""):
            if name in options.hook_urls:
                hook = options.hook_urls[name]
                unused_hooks.pop(name, None)
                break
        key = _key()
        keys["bots"].append({"id": bot.id, "login": bot.login, "security_key": key})
        bot_specs.append(bot_spec(bot, key, hook or bot.hook_url))
    for name in unused_hooks:
        warnings.append(f"--hook-url {name}=...: there is no bot with that id, login or name")
    known = {i for i in [*(p.id for p in people), *bot_ids] if i}
    role_specs = [role_spec(r, known) for r in sorted(roles, key=lambda r: r.id or 0) if r.id]
    known |= {r.id for r in roles if r.id}
    form_ids = {t.id for t in templates if t.id}
    form_specs = []
    for template in templates:
        fid = int(template.id or 0)
        spec = form_spec(template, steps[fid], form_ids, known, warnings)
        granted = permissions.get(fid, {})
        for level, key in (("manager", "managers"), ("member", "members")):
            ids = sorted(
                int(i) for i, v in granted.items() if v == level and i.isdigit() and int(i) in known
            )
            if ids:
                spec[key] = ids
        form_specs.append(spec)
    organization = profile.organization
    workspace: dict[str, Any] = {
        "organization": {
            "id": profile.organization_id or 1,
            "name": (organization.name if organization else None) or "Organisation",
        },
        "people": people_specs,
        "bots": bot_specs,
        "roles": role_specs,
        "catalogs": [catalog_spec(c) for c in sorted(catalogs, key=lambda c: c.catalog_id or 0)],
        "forms": form_specs,
    }
    return PullResult(workspace, keys, steps, warnings)
