"""The checks that need the whole file: unique ids, references between objects, limits.

``check_workspace`` runs them in file order (people, bots and roles; catalogs; role members;
forms) and collects every problem, so that one run reports all of them. On the way it resolves
person references to ids, giving the forms and role members the loader writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrus_bots.server.store.catalogs import MAX_CATALOG_ITEMS, MAX_ITEM_VALUE_LENGTH
from pyrus_bots.server.workflow.lists import TaskListDef
from pyrus_bots.server.workflow.state import FormDef
from pyrus_bots.server.workspace.errors import Problems
from pyrus_bots.server.workspace.forms import check_form
from pyrus_bots.server.workspace.lists import check_lists
from pyrus_bots.server.workspace.references import PersonSpace, declare_people
from pyrus_bots.server.workspace.schema import CatalogSpec, WorkspaceSpec


@dataclass(slots=True)
class Checked:
    """The outcome of the checks: problems, or the forms and role members they resolved."""

    problems: Problems
    forms: list[FormDef] = field(default_factory=list)
    role_members: dict[int, list[int]] = field(default_factory=dict)
    lists: list[TaskListDef] = field(default_factory=list)


def check_workspace(spec: WorkspaceSpec) -> Checked:
    problems = Problems()
    checked = Checked(problems)
    people = declare_people(spec, problems)
    catalog_ids = _check_catalogs(spec.catalogs, problems)
    for index, role in enumerate(spec.roles):
        path = f"roles[{index}].members"
        checked.role_members[role.id] = people.resolve_all(path, role.members, allow_roles=False)
    checked.forms = _check_forms(spec, people, catalog_ids)
    checked.lists = check_lists(spec.lists, people)
    return checked


def _check_forms(spec: WorkspaceSpec, people: PersonSpace, catalog_ids: set[int]) -> list[FormDef]:
    seen: dict[int, str] = {}
    for index, form in enumerate(spec.forms):
        people.problems.unique(seen, form.id, f"forms[{index}].id", "form id")
    form_ids = set(seen)
    catalogs = {c.id: c for c in spec.catalogs if c.id in catalog_ids}
    return [
        check_form(f"forms[{index}]", form, people, catalogs, form_ids)
        for index, form in enumerate(spec.forms)
    ]


def _check_catalogs(catalogs: list[CatalogSpec], problems: Problems) -> set[int]:
    """The ids of the file's catalogs, after checking each catalog's headers and items."""
    seen: dict[int, str] = {}
    for index, catalog in enumerate(catalogs):
        path = f"catalogs[{index}]"
        problems.unique(seen, catalog.id, f"{path}.id", "catalog id")
        _check_headers(path, catalog, problems)
        _check_items(path, catalog, problems)
    return set(seen)


def _check_headers(path: str, catalog: CatalogSpec, problems: Problems) -> None:
    if not catalog.headers or any(not h.strip() for h in catalog.headers):
        problems.add(f"{path}.headers", "a catalog needs at least one non-empty header")
    seen: dict[str, str] = {}
    for index, header in enumerate(catalog.headers):
        problems.unique(seen, header, f"{path}.headers[{index}]", "header")


def _check_items(path: str, catalog: CatalogSpec, problems: Problems) -> None:
    seen_keys: dict[str, str] = {}
    for index, values in enumerate(catalog.items):
        item_path = f"{path}.items[{index}]"
        if len(values) != len(catalog.headers):
            problems.add(
                item_path,
                f"an item needs {len(catalog.headers)} values, one per header "
                f"(found {len(values)})",
            )
            continue
        if not values[0].strip():
            problems.add(f"{item_path}[0]", "the first value of an item (its key) is empty")
        problems.unique(seen_keys, values[0], f"{item_path}[0]", "item (first column)")
        for v_index, value in enumerate(values):
            if len(value) > MAX_ITEM_VALUE_LENGTH:
                problems.add(
                    f"{item_path}[{v_index}]", f"longer than {MAX_ITEM_VALUE_LENGTH} characters"
                )
    if len(catalog.items) > MAX_CATALOG_ITEMS:
        problems.add(f"{path}.items", f"at most {MAX_CATALOG_ITEMS} items per catalog")
