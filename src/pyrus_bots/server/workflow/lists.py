"""Task lists: who sees and who manages a list, and what a create or update request makes of it.

Pure rules over :class:`TaskListDef`; the store keeps the lists and the API answers with them.
A list is seen by its managers and members (a role among them counts for its members) and, when
it is organisation-wide and not private, by every person of the organisation. Only its managers
change or delete it; whoever creates a list becomes its first manager.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.list_requests import CreateListRequest, UpdateListRequest
from pyrus_bots.server.workflow.state import Directory, Person

ORG_WIDE = "org_wide"
PRIVATE = "private"
MAX_NAME_LENGTH = 1000


@dataclass(slots=True)
class TaskListDef:
    id: int
    name: str
    parent_id: int | None = None
    color: str | None = None
    list_type: str = ORG_WIDE
    is_private: bool = False
    deleted: bool = False
    version: int = 1
    external_id: int | None = None
    external_version: int | None = None
    manager_ids: list[int] = field(default_factory=list)
    member_ids: list[int] = field(default_factory=list)


def unknown_list(list_id: int) -> PyrusError:
    """The error for a list that does not exist, is deleted or is not visible to the caller:
    alike, so list ids of others do not leak."""
    return PyrusError("invalid_value_format", f"list {list_id} does not exist or is not accessible")


def refused_task_list(list_id: int) -> PyrusError:
    """A task change naming a list the author cannot put tasks in (or that does not exist)."""
    return PyrusError(
        "add_task_to_list_forbidden", f"list {list_id} does not exist or is not accessible"
    )


def _mine(directory: Directory, person: Person) -> set[int]:
    roles = {r.id for r in directory.roles.values() if person.id in r.member_ids}
    return {person.id} | roles


def can_see(directory: Directory, task_list: TaskListDef, person: Person) -> bool:
    if task_list.list_type == ORG_WIDE and not task_list.is_private:
        return True
    mine = _mine(directory, person)
    return bool(mine & (set(task_list.manager_ids) | set(task_list.member_ids)))


def can_manage(directory: Directory, task_list: TaskListDef, person: Person) -> bool:
    return bool(_mine(directory, person) & set(task_list.manager_ids))


def _check_people(directory: Directory, ids: Iterable[int]) -> None:
    for person_id in ids:
        if person_id not in directory.people and person_id not in directory.roles:
            raise PyrusError("invalid_person_id", f"person {person_id} does not exist")


def _check_name(name: str | None) -> str:
    if name is None or not name.strip():
        raise PyrusError("required_parameter_missing", "a list needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise PyrusError("value_is_too_long", f"a list name has at most {MAX_NAME_LENGTH} chars")
    return name


def _merge(current: Sequence[int], added: Sequence[int], removed: Sequence[int]) -> list[int]:
    kept = [i for i in current if i not in removed]
    return kept + [i for i in dict.fromkeys(added) if i not in kept]


def new_list(
    directory: Directory,
    creator: Person,
    request: CreateListRequest,
    list_id: int,
    parent: TaskListDef | None,
) -> TaskListDef:
    """The list a create request makes; ``parent`` is the list of ``parent_id``, already
    checked to be visible."""
    name = _check_name(request.name)
    _check_people(directory, [*request.added_managers, *request.added_members])
    is_private = bool(request.is_private) or request.list_type == PRIVATE
    return TaskListDef(
        id=list_id,
        name=name,
        parent_id=parent.id if parent is not None else None,
        color=request.color,
        list_type=request.list_type or (PRIVATE if is_private else ORG_WIDE),
        is_private=is_private,
        external_id=request.external_id,
        external_version=request.external_version,
        manager_ids=_merge([creator.id], request.added_managers, []),
        member_ids=_merge([], request.added_members, []),
    )


def updated_list(
    directory: Directory, task_list: TaskListDef, request: UpdateListRequest
) -> TaskListDef:
    """The list after an update request; the version goes up by one."""
    _check_people(directory, [*request.added_managers, *request.added_members])
    changes: dict[str, Any] = {"version": task_list.version + 1}
    if request.name is not None:
        changes["name"] = _check_name(request.name)
    for key in ("color", "list_type", "external_id", "external_version", "is_private"):
        value = getattr(request, key)
        if value is not None:
            changes[key] = value
    changes["manager_ids"] = _merge(
        task_list.manager_ids, request.added_managers, request.removed_managers
    )
    changes["member_ids"] = _merge(
        task_list.member_ids, request.added_members, request.removed_members
    )
    if not changes["manager_ids"]:
        raise PyrusError("validation_error", "a list keeps at least one manager")
    return replace(task_list, **changes)


def tree(lists: Sequence[TaskListDef]) -> list[tuple[TaskListDef, list[Any]]]:
    """The lists as a forest in id order: each list with its children (a child whose parent is
    not among ``lists`` stands at the top)."""
    ids = {task_list.id for task_list in lists}
    children: dict[int | None, list[TaskListDef]] = {}
    for task_list in sorted(lists, key=lambda t: t.id):
        parent = task_list.parent_id if task_list.parent_id in ids else None
        children.setdefault(parent, []).append(task_list)

    def grow(parent: int | None) -> list[tuple[TaskListDef, list[Any]]]:
        return [(child, grow(child.id)) for child in children.get(parent, [])]

    return grow(None)
