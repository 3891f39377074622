"""The UI's form register: a form's tasks as a filterable, sortable, paginated table, and its CSV.

The filters are the API register's (``GET /v4/forms/{id}/register``), read by the same code
(:mod:`pyrus_bots.server.workflow.register`): a field filter box takes the ``fld<ID>`` grammar
(``gt100``, ``lt5,gt1``, ``a,b``, ``empty``, ``*``), so what a person finds here an integration
finds through the API. A filter the register refuses is shown next to the filters with a 400.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin.ui_context import UIContext, int_or_none, ui_context
from pyrus_bots.server.admin.ui_views import field_display, format_time, task_title
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.workflow import access, register, render
from pyrus_bots.server.workflow.state import FieldDef, FormDef, Person

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

PAGE_SIZE = 50
# Fields that are a column and a filter box; tables, titles, files and notes are neither
# (the register cannot filter them).
_COLUMN_TYPES_LEFT_OUT = frozenset({"table", "title", "file", "note", "project"})
_FIXED_SORTS = ("id", "created", "modified", "step")
_DATE_FILTERS = ("created_after", "created_before", "modified_after", "modified_before")


def _columns(form: FormDef) -> list[FieldDef]:
    nested_in_table = {f.id for f in form.fields if f.type == "table"}
    return [
        f
        for f in form.fields
        if f.type not in _COLUMN_TYPES_LEFT_OUT and f.parent_id not in nested_in_table
    ]


def _register_params(query: Mapping[str, str], columns: list[FieldDef]) -> dict[str, Any]:
    """The page's query string as the API register's parameters."""
    params: dict[str, Any] = {"include_archived": query.get("state") == "all"}
    if query.get("state") == "closed":
        params["include_archived"] = True
        params["closed_after"] = "1970-01-01"
    if int_or_none(query.get("step")) is not None:
        params["steps"] = query["step"]
    for key in _DATE_FILTERS:
        if query.get(key):
            params[key] = query[key]
    if query.get("text", "").strip():
        params["include_text"] = query["text"].strip()
    for column in columns:
        raw = query.get(f"fld{column.id}", "").strip()
        if raw:
            params[f"fld{column.id}"] = raw
    return params


def _flat_fields(fields: Any) -> Iterator[Mapping[str, Any]]:
    """Every field of a rendered task, title sections opened."""
    for item in fields or []:
        if not isinstance(item, Mapping):
            continue
        yield item
        value = item.get("value")
        if item.get("type") == "title" and isinstance(value, Mapping):
            yield from _flat_fields(value.get("fields"))


def _sort_value(field: Mapping[str, Any] | None) -> tuple[int, float, str]:
    """Empty values last; numbers by value; everything else by its text."""
    if field is None or field.get("value") in (None, "", []):
        return (1, 0.0, "")
    value = field["value"]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (0, 0.0, field_display(field).casefold())


def _rows(ctx: UIContext, form: FormDef, tasks: list[Any], columns: list[FieldDef]) -> list[Any]:
    step_names = {s.number: s.name for s in form.steps}
    rows = []
    for task in tasks:
        rendered = render.render_task(ctx.directory, task, [], with_comments=False)
        by_id = {f.get("id"): f for f in _flat_fields(rendered.get("fields"))}
        rows.append(
            {
                "id": task.id,
                "title": task_title(rendered, form),
                "step": task.current_step,
                "step_name": step_names.get(task.current_step, ""),
                "is_closed": task.is_closed,
                "created": format_time(rendered.get("create_date"), ctx.zone),
                "modified": format_time(rendered.get("last_modified_date"), ctx.zone),
                "cells": [field_display(by_id.get(c.id) or {}, ctx.zone) for c in columns],
                "sort_keys": {
                    "id": (0, float(task.id), ""),
                    "created": (0, 0.0, str(rendered.get("create_date", ""))),
                    "modified": (0, 0.0, str(rendered.get("last_modified_date", ""))),
                    "step": (0, float(task.current_step or 0), ""),
                    **{f"fld{c.id}": _sort_value(by_id.get(c.id)) for c in columns},
                },
            }
        )
    return rows


async def _selected(
    ctx: UIContext, form: FormDef, params: dict[str, Any], viewer: Person | None
) -> list[Any]:
    async with ctx.state.database.session() as db:
        tasks = await task_store.register_tasks(db, form, viewer, register.narrowing(params))
    return register.filter_register(ctx.directory, form, tasks, params, now=ctx.state.clock.now())


def _form_for(ctx: UIContext, form_id: int) -> FormDef | None:
    form = ctx.directory.forms.get(form_id)
    if form is None or form.deleted:
        return None
    viewer = ctx.viewer
    if (
        viewer is not None
        and viewer.person is not None
        and not access.can_use_form(form, viewer.person)
    ):
        return None
    return form


@router.get("/forms/{form_id}/register")
async def register_page(ctx: Ctx, request: Request, form_id: int) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    form = _form_for(ctx, form_id)
    if form is None:
        return ctx.not_found(f"form {form_id} you may see")
    query = dict(request.query_params)
    columns = _columns(form)
    params = _register_params(query, columns)
    error = None
    try:
        tasks = await _selected(ctx, form, params, ctx.viewer.person)
    except PyrusError as refused:
        error, tasks = refused.message, []
    sort = query.get("sort", "-id")
    key = sort.removeprefix("-")
    known_sorts = set(_FIXED_SORTS) | {f"fld{c.id}" for c in columns}
    if key not in known_sorts:
        key, sort = "id", "-id"
    rows = _rows(ctx, form, tasks, columns)
    rows.sort(key=lambda r: r["sort_keys"][key], reverse=sort.startswith("-"))
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(int_or_none(query.get("page")) or 1, 1), pages)
    kept = {k: v for k, v in query.items() if v and k not in {"page", "sort"}}
    return ctx.render(
        "register.html",
        status_code=400 if error else 200,
        title=f"{form.name}: register",
        section="forms",
        form=form,
        columns=columns,
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        sort=sort,
        query=query,
        error=error,
        filter_query=urlencode(kept),
        csv_query=urlencode(kept),
    )


@router.get("/forms/{form_id}/register.csv")
async def register_csv(ctx: Ctx, request: Request, form_id: int) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    form = _form_for(ctx, form_id)
    if form is None:
        return ctx.not_found(f"form {form_id} you may see")
    params = _register_params(dict(request.query_params), _columns(form))
    try:
        tasks = await _selected(ctx, form, params, ctx.viewer.person)
    except PyrusError as refused:
        return ctx.error_page(400, "Filter refused", refused.message)
    text = register.register_csv(ctx.directory, form, tasks, ",", None)
    name = quote(f"{form.name} register.csv")
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
