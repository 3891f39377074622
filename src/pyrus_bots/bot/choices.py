"""What a form template and a catalog add to the fields of a delivered task.

A task, as Pyrus delivers it, carries a multiple-choice field's current value (its ids and names),
not the form's options, and a catalog field's chosen items, not the catalog. A reply that names a
choice or a catalog item therefore needs the form template (``GET /v4/forms/{id}``: the options,
the catalog id) and, for catalog items, the catalog (``GET /v4/catalogs/{id}``). This module is
the pure part: which updates need them, and how they extend a :class:`FieldIndex`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyrus_bots.bot.fields import FieldIndex, FieldSpec
from pyrus_bots.bot.reply_errors import FieldValueError
from pyrus_bots.protocol.models.catalog import Catalog
from pyrus_bots.protocol.models.form import FormTemplate

__all__ = ["apply_catalog", "apply_form", "as_form", "names_in", "needs_catalog", "needs_form"]


def as_form(form: FormTemplate | Mapping[str, Any] | Any) -> FormTemplate:
    """A form template from its model, its Pyrus JSON or anything with ``to_pyrus()``."""
    if isinstance(form, FormTemplate):
        return form
    if not isinstance(form, Mapping):
        form = form.to_pyrus()
    return FormTemplate.from_pyrus(form)


def names_in(value: Any) -> list[str]:
    """The names in a value a reply gives (a name or a list holding names); an explicit wire
    dict (``{"choice_ids": ...}``, ``{"item_name": ...}``) is sent as written."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return [item for item in value if isinstance(item, str)]
    return []


def needs_form(spec: FieldSpec, value: Any) -> bool:
    """Whether ``value`` names choices the task alone cannot tell the ids of."""
    if spec.type != "multiple_choice" or spec.all_choices_known:
        return False
    return any(name not in spec.choices for name in names_in(value))


def needs_catalog(spec: FieldSpec, value: Any) -> bool:
    """Whether ``value`` names catalog items of a catalog not read yet."""
    return spec.type == "catalog" and spec.catalog_items is None and bool(names_in(value))


def apply_form(index: FieldIndex, form: FormTemplate | Mapping[str, Any] | Any) -> None:
    """Give the fields of ``index`` what the template knows: every option of a multiple-choice
    field (deleted ones cannot be chosen), a catalog field's catalog id, single or multiple; and
    the fields the task does not list (sub-fields of options the task has not chosen), so that a
    reply may fill them along with their option."""
    template = as_form(form)
    index.extend([field.to_pyrus() for field in template.fields])
    for field in template.fields_flat():
        if field.id is None or field.info is None:
            continue
        try:
            spec = index.find(field.id)
        except FieldValueError:
            continue  # a field the task does not list
        info = field.info
        if spec.type == "multiple_choice":
            choices = {
                option.choice_value: option.choice_id
                for option in info.options
                if option.choice_id is not None
                and option.choice_value is not None
                and not option.deleted
            }
            spec.choices = choices
            spec.choice_ids = set(choices.values())
            spec.all_choices_known = True
        if spec.type == "catalog" and info.catalog_id is not None:
            spec.catalog_id = info.catalog_id
        if info.multiple_choice is not None and spec.catalog_multiple is None:
            spec.catalog_multiple = info.multiple_choice


def apply_catalog(spec: FieldSpec, catalog: Catalog) -> None:
    """Let ``spec`` turn item names (the first column, as Pyrus matches them) into item ids."""
    items: dict[str, list[int]] = {}
    for item in catalog.items:
        if item.deleted or item.item_id is None or item.key is None:
            continue
        items.setdefault(item.key, []).append(item.item_id)
    spec.catalog_items = items
