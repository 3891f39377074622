"""The workspace file's ``lists``: task lists with their managers, members and parent list.

Checked with the rest of the file (unique ids, a parent that is a list of the file and no cycle
of parents, person references); applied idempotently: a list the file mentions is set to what
the file says, its version going up only when that changes something, and lists created
through the API are left alone.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import task_lists as list_store
from pyrus_bots.server.workflow.lists import ORG_WIDE, PRIVATE, TaskListDef
from pyrus_bots.server.workspace.references import PersonSpace
from pyrus_bots.server.workspace.schema import ListSpec


def check_lists(specs: list[ListSpec], people: PersonSpace) -> list[TaskListDef]:
    problems = people.problems
    seen: dict[int, str] = {}
    for index, spec in enumerate(specs):
        problems.unique(seen, spec.id, f"lists[{index}].id", "list id")
    parents = {spec.id: spec.parent for spec in specs}
    checked: list[TaskListDef] = []
    for index, spec in enumerate(specs):
        path = f"lists[{index}]"
        if spec.parent is not None and spec.parent not in parents:
            problems.add(f"{path}.parent", f"{spec.parent} is not a list of this file")
        elif _in_cycle(spec.id, parents):
            problems.add(f"{path}.parent", "lists must not be their own ancestors")
        managers = people.resolve_all(f"{path}.managers", spec.managers)
        members = people.resolve_all(f"{path}.members", spec.members)
        if not managers:
            problems.add(f"{path}.managers", "a list needs at least one manager")
        checked.append(
            TaskListDef(
                id=spec.id,
                name=spec.name,
                parent_id=spec.parent,
                color=spec.color,
                list_type=PRIVATE if spec.private else ORG_WIDE,
                is_private=spec.private,
                external_id=spec.external_id,
                manager_ids=managers,
                member_ids=members,
            )
        )
    return checked


def _in_cycle(list_id: int, parents: dict[int, int | None]) -> bool:
    seen = {list_id}
    parent = parents.get(list_id)
    while parent is not None:
        if parent in seen:
            return True
        seen.add(parent)
        parent = parents.get(parent)
    return False


async def apply_list(session: AsyncSession, organization_id: int, wanted: TaskListDef) -> bool:
    """Write one list of the file; True when the database changed."""
    stored = await list_store.get_list(session, wanted.id)
    if stored is not None:
        wanted = replace(wanted, version=stored.version)
        if wanted == stored:
            return False
        wanted.version += 1
    return await list_store.save_list(session, organization_id, wanted)
