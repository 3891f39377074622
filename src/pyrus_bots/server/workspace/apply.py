"""Applying a checked workspace to the database, idempotently, through the store.

Ids from the file are kept, rows are upserted, generated bot logins and keys are made once and
kept on later loads, and a second load of the same file changes nothing. A field of a person or
bot changed at run time (API, UI) since the previous load is kept unless the file changed it too
(``runtime_changes``). Objects in the database
that the file does not mention (bots created through the API, catalog items added by sync) are
left alone. A file that contradicts the database (an e-mail owned by another id, a person id
that is a bot) raises ``WorkspaceError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import catalogs as catalog_store
from pyrus_bots.server.store.bots import (
    count_active_bots,
    generate_bot_login,
    generate_security_key,
)
from pyrus_bots.server.store.counters import bump_directory_version, hold_lock
from pyrus_bots.server.store.forms import save_form
from pyrus_bots.server.store.people import get_role, save_organization, set_rights, set_role_members
from pyrus_bots.server.store.secrets import security_key_digest
from pyrus_bots.server.store.workspace_writes import (
    Saved,
    get_account,
    login_owner,
    restore_catalog,
    rights_of,
    save_bot,
    save_person,
    save_role_row,
)
from pyrus_bots.server.workspace.errors import WorkspaceError
from pyrus_bots.server.workspace.files import apply_files
from pyrus_bots.server.workspace.lists import apply_list
from pyrus_bots.server.workspace.read import Workspace
from pyrus_bots.server.workspace.references import MAX_BOTS
from pyrus_bots.server.workspace.runtime_changes import FileValues
from pyrus_bots.server.workspace.schema import BotSpec, CatalogSpec, PersonSpec, RoleSpec
from pyrus_bots.server.workspace.tasks import apply_tasks

WORKSPACE_LOCK = "workspace"


@dataclass(slots=True)
class Changes:
    """What ``apply_workspace`` changed, one readable line per object (empty: nothing)."""

    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)

    def saved(self, what: str, saved: Saved | None) -> None:
        """Note ``<what> created`` or ``<what> updated`` when the row changed."""
        if saved in (Saved.CREATED, Saved.UPDATED):
            self.note(f"{what} {saved.value}")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)


@dataclass(slots=True)
class _Load:
    """One application of a workspace: the transaction, where problems are, what changed."""

    session: AsyncSession
    source: str
    organization_id: int
    changes: Changes

    def refuse(self, path: str, text: str) -> WorkspaceError:
        return WorkspaceError(self.source, [(path, text)])


async def apply_workspace(session: AsyncSession, workspace: Workspace) -> Changes:
    """Write the workspace to the database, idempotently; the caller commits.

    Holds a lock for the whole transaction so that processes starting at the same time apply it
    one after the other (the later ones find nothing to change).
    """
    await hold_lock(session, WORKSPACE_LOCK)
    spec = workspace.spec
    org = spec.organization
    load = _Load(session, workspace.source, org.id, Changes())
    if await save_organization(session, org.id, org.name):
        load.changes.note(f"organization {org.id}")
    for index, person in enumerate(spec.people):
        await _apply_person(load, f"people[{index}]", person)
    for index, bot in enumerate(spec.bots):
        await _apply_bot(load, f"bots[{index}]", bot)
    if await count_active_bots(session, org.id) > MAX_BOTS:
        raise load.refuse(
            "bots",
            f"with the bots already in the database the organization would have "
            f"more than {MAX_BOTS}",
        )
    for role in spec.roles:
        await _apply_role(load, role, workspace.role_members[role.id])
    for catalog in spec.catalogs:
        await _apply_catalog(load, catalog)
    for form in workspace.forms:
        if await save_form(session, org.id, form):
            load.changes.note(f"form {form.id}")
    for task_list in workspace.lists:
        if await apply_list(session, org.id, task_list):
            load.changes.note(f"list {task_list.id}")
    directory_changed = bool(load.changes)
    for line in await apply_files(session, spec, workspace.source):
        load.changes.note(line)
    for line in await apply_tasks(session, spec, workspace.source):
        load.changes.note(line)
    if directory_changed:
        await bump_directory_version(session)
    return load.changes


async def _check_login(load: _Load, path: str, login: str, person_id: int) -> None:
    owner = await login_owner(load.session, login)
    if owner is not None and owner != person_id:
        raise load.refuse(path, f"already used by person {owner} in the database")


async def _apply_person(load: _Load, path: str, spec: PersonSpec) -> None:
    login = spec.email.lower()
    await _check_login(load, f"{path}.email", login, spec.id)
    account = await get_account(load.session, spec.id)
    if account is not None and account.type != "user":
        raise load.refuse(f"{path}.id", f"{spec.id} is a bot in the database, not a person")
    file_values = FileValues(f"person:{spec.id}", exists=account is not None)
    wanted = await file_values.keep_runtime_changes(
        load.session,
        _person_columns(spec, load.organization_id, login),
        {"key_hash", "email", "first_name", "last_name", "banned", "fired"},
    )
    if spec.password is not None:
        password_hash = await file_values.password_hash(load.session, spec.password)
        if password_hash is not None:
            wanted["password_hash"] = password_hash
    load.changes.saved(f"person {spec.id}", await save_person(load.session, spec.id, wanted))
    await file_values.remember(load.session)
    if await rights_of(load.session, spec.id) != set(spec.rights):
        await set_rights(load.session, spec.id, spec.rights)
        load.changes.note(f"rights of person {spec.id}")


def _person_columns(spec: PersonSpec, organization_id: int, login: str) -> dict[str, Any]:
    """The ``people`` columns the file sets; a key left out keeps the one in the database."""
    wanted: dict[str, Any] = {
        "organization_id": organization_id,
        "type": "user",
        "email": spec.email,
        "login": login,
        "first_name": spec.first_name,
        "last_name": spec.last_name,
        "position": spec.position,
        "department_name": spec.department_name,
        "phone": spec.phone,
        "banned": spec.banned,
        "fired": spec.fired,
        "external_id": spec.external_id,
    }
    if spec.security_key is not None:
        wanted["key_hash"] = security_key_digest(spec.security_key)
    return wanted


async def _apply_bot(load: _Load, path: str, spec: BotSpec) -> None:
    account = await get_account(load.session, spec.id)
    if account is not None and account.type != "bot":
        raise load.refuse(f"{path}.id", f"{spec.id} is a person in the database, not a bot")
    # Generated values are made once: a later load keeps what the database has.
    login = (spec.login or (account.login if account else None) or generate_bot_login()).lower()
    key = (
        spec.security_key or (account.security_key if account else None) or generate_security_key()
    )
    await _check_login(load, f"{path}.login", login, spec.id)
    person_values = {
        "organization_id": load.organization_id,
        "type": "bot",
        "email": login,
        "login": login,
        "first_name": spec.name,
        "last_name": "",
        "security_key": key,
        "external_id": spec.external_id,
        "banned": False,
        "fired": False,
    }
    file_values = FileValues(f"bot:{spec.id}", exists=account is not None)
    person_values = await file_values.keep_runtime_changes(
        load.session, person_values, {"first_name", "external_id", "fired"} | _file_key(spec)
    )
    bot_values = await file_values.keep_runtime_changes(
        load.session, _bot_columns(spec), set(BOT_COLUMNS)
    )
    saved = await save_bot(load.session, spec.id, person_values, bot_values)
    if saved is None:
        raise load.refuse(f"{path}.id", f"{spec.id} has no bot settings row")
    load.changes.saved(f"bot {spec.id}", saved)
    await file_values.remember(load.session)


def _file_key(spec: BotSpec) -> set[str]:
    """A key the file gives is tracked; a generated one is the database's alone."""
    return {"security_key"} if spec.security_key is not None else set()


BOT_COLUMNS = (
    "name",
    "hook_url",
    "settings",
    "enabled",
    "send_only_last_comment",
    "description",
    "locale",
    "time_zone_offset",
)


def _bot_columns(spec: BotSpec) -> dict[str, Any]:
    """The ``bots`` columns (the bot's settings beside its ``people`` row)."""
    return {
        "name": spec.name,
        "hook_url": spec.hook_url,
        "settings": spec.settings,
        "enabled": spec.enabled,
        "send_only_last_comment": spec.send_only_last_comment,
        "description": spec.description,
        "locale": spec.locale,
        "time_zone_offset": spec.time_zone_offset,
    }


async def _apply_role(load: _Load, spec: RoleSpec, members: list[int]) -> None:
    wanted = {"organization_id": load.organization_id, "name": spec.name, "banned": spec.banned}
    load.changes.saved(f"role {spec.id}", await save_role_row(load.session, spec.id, wanted))
    role = await get_role(load.session, spec.id)
    if role is not None and set(role.member_ids) != set(members):
        await set_role_members(load.session, spec.id, members)
        load.changes.note(f"members of role {spec.id}")


async def _apply_catalog(load: _Load, spec: CatalogSpec) -> None:
    restored = await restore_catalog(load.session, spec.id, spec.name, spec.headers)
    if restored is None:
        await catalog_store.create_catalog(
            load.session,
            load.organization_id,
            spec.name,
            spec.headers,
            spec.items,
            catalog_id=spec.id,
        )
        load.changes.note(f"catalog {spec.id} created")
        return
    load.changes.saved(f"catalog {spec.id}", restored)
    result = await catalog_store.diff_catalog(load.session, spec.id, upsert=spec.items)
    if result.changed:
        load.changes.note(f"items of catalog {spec.id}")
