"""Form templates as Pyrus JSON (spec 3.6): ``GET /v4/forms/{id}`` and ``GET /v4/forms``.

A template field carries ``info`` with its settings: options (each with the template of its
sub-fields under ``fields``), columns of a table, children of a title. A field with a default
(the workspace file's ``default``, what ``fill_defaults`` writes) shows it as its ``value``, in
the read format of its type, as Pyrus shows a template's defaults.
"""

from __future__ import annotations

from typing import Any

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import omit_empty
from pyrus_bots.server.workflow.addressing import table_columns, title_children
from pyrus_bots.server.workflow.option_fields import option_fields
from pyrus_bots.server.workflow.state import Directory, FieldDef, FormDef
from pyrus_bots.server.workflow.values import read_value, store_value

__all__ = ["render_field_template", "render_form"]


def _default_value(directory: Directory | None, form: FormDef, fdef: FieldDef) -> Any:
    """The default in the read format; None without one (or without the directory to read it)."""
    if fdef.default is None or directory is None:
        return None
    try:
        stored = store_value(directory, form, fdef, {"value": fdef.default})
    except PyrusError:
        return None  # the directory changed since load (a catalog item went away)
    return read_value(directory, form, fdef, stored)


def render_field_template(
    form: FormDef, fdef: FieldDef, directory: Directory | None = None
) -> dict[str, Any]:
    """A template field (spec 3.6): id, type, name, code and ``info`` with its settings."""
    info: dict[str, Any] = {
        "code": fdef.code,
        "required_step": fdef.required_step,
        "immutable_step": fdef.immutable_step,
        "catalog_id": fdef.catalog_id,
        "form_id": fdef.form_id,
        "decimal_places": fdef.decimal_places,
        "multiline": fdef.multiline or None,
        "text": fdef.text,
    }
    if fdef.type in ("catalog", "multiple_choice"):
        info["multiple_choice"] = fdef.multiple_choice
    if fdef.type == "multiple_choice":
        info["options"] = [
            {
                "choice_id": o.id,
                "choice_value": o.value,
                "deleted": o.deleted or None,
                "fields": [
                    render_field_template(form, c, directory)
                    for c in option_fields(form, fdef, {o.id})
                ],
            }
            for o in fdef.options
        ]
    if fdef.type == "table":
        info["columns"] = [
            render_field_template(form, c, directory) for c in table_columns(form, fdef)
        ]
    if fdef.type == "title":
        info["fields"] = [
            render_field_template(form, c, directory) for c in title_children(form, fdef)
        ]
    out: dict[str, Any] = omit_empty(
        {
            "id": fdef.id,
            "type": fdef.type,
            "name": fdef.name,
            "code": fdef.code,
            "value": _default_value(directory, form, fdef),
            "parent_id": fdef.parent_id,
            "info": info,
        }
    )
    return out


def render_form(directory: Directory, form: FormDef) -> dict[str, Any]:
    """``GET /v4/forms/{id}``: id, name, steps as ``{"1": name}``, top-level template fields."""
    out: dict[str, Any] = omit_empty(
        {
            "id": form.id,
            "name": form.name,
            "steps": {str(s.number): s.name for s in form.steps},
            "fields": [
                render_field_template(form, f, directory)
                for f in form.fields
                if f.parent_id is None
            ],
            "deleted_or_closed": form.deleted,
        }
    )
    return out
