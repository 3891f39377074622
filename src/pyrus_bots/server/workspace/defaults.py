"""A field's ``default`` in the workspace file: the value ``fill_defaults`` writes, checked at load.

A default is written as a ``field_updates`` value of the API (spec 3.8), so the file reads like a
request: ``default: 5``, ``default: {choice_names: [New]}``, ``default: {email: a@b.c}``. It is
checked here against the rest of the file, so that a task created with ``fill_defaults: true``
never fails on a default: its shape by the type's write rule, choices against the field's
options, people against the file's people, catalog items by their first column against the
file's catalog (item ids are given at load, so a file cannot know them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyrus_bots.protocol.field_values import (
    READ_ONLY_TYPES,
    WireValueError,
    wire_number,
    wire_value,
)
from pyrus_bots.server.workspace.references import PersonSpace
from pyrus_bots.server.workspace.schema import CatalogSpec, FieldSpec

NO_DEFAULT_TYPES = READ_ONLY_TYPES | {"title", "table", "file"}
"""Types a default does not apply to: computed ones, containers and files (files belong to the
task or comment that holds them)."""


def check_default(
    path: str,
    spec: FieldSpec,
    in_table: bool,
    people: PersonSpace,
    catalogs: Mapping[int, CatalogSpec],
) -> None:
    """Record at ``path`` why ``spec.default`` cannot be written to its field, if it cannot."""
    if spec.default is None:
        return
    problems = people.problems
    if spec.type in NO_DEFAULT_TYPES:
        problems.add(path, f"a default does not apply to {spec.type} fields")
        return
    if in_table:
        problems.add(path, "a table column takes no default")
        return
    canonical: Any
    try:
        if spec.type in ("money", "number"):
            canonical = wire_number(spec.default, spec.type, spec.decimal_places)
        else:
            canonical = wire_value(spec.type, spec.default)
    except WireValueError as error:
        problems.add(path, f"not a {spec.type} value: {error.why}")
        return
    if canonical is None:
        problems.add(path, "a default must not be empty")
    elif spec.type == "multiple_choice":
        _check_choices(path, spec, canonical, people)
    elif spec.type == "catalog":
        _check_items(path, spec, canonical, people, catalogs)
    elif spec.type == "person":
        people.resolve(path, canonical.get("id", canonical.get("email")), allow_roles=False)


def _check_choices(path: str, spec: FieldSpec, canonical: Any, people: PersonSpace) -> None:
    live = {o.id: o.value.casefold() for o in spec.options or [] if not o.deleted}
    names = [n.casefold() for n in canonical.get("choice_names", [])]
    chosen = [i for i in canonical.get("choice_ids", []) if i in live]
    chosen += [i for i, text in live.items() if text in names]
    for choice_id in canonical.get("choice_ids", []):
        if choice_id not in live:
            people.problems.add(path, f"no option with id {choice_id}")
    for name in canonical.get("choice_names", []):
        if name.casefold() not in live.values():
            people.problems.add(path, f"no option named {name!r}")
    if len(set(chosen)) > 1 and not spec.multiple_choice:
        people.problems.add(path, "the field takes one option (multiple_choice is not set)")


def _check_items(
    path: str,
    spec: FieldSpec,
    canonical: Any,
    people: PersonSpace,
    catalogs: Mapping[int, CatalogSpec],
) -> None:
    if canonical["item_ids"]:
        people.problems.add(
            path, "name catalog items by their first column (item_names): ids are given at load"
        )
        return
    catalog = catalogs.get(spec.catalog_id) if spec.catalog_id is not None else None
    if catalog is None:
        return  # the field's catalog_id is reported by the form check
    keys = {item[0].strip().casefold() for item in catalog.items if item}
    for name in canonical["item_names"]:
        if name.strip().casefold() not in keys:
            people.problems.add(path, f"no item {name!r} in catalog {catalog.id}")
    if len(canonical["item_names"]) > 1 and not spec.multiple_choice:
        people.problems.add(path, "the field takes one item (multiple_choice is not set)")
