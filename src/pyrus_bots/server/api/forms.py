"""Forms: templates, the register (JSON or CSV), permissions (spec 4.3).

Who sees a form (DESIGN.md 3.2, 3.5): its managers and members; every person when it lists
neither; every bot (bots look fields and choices up in the templates).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.account_requests import PermissionsRequest
from pyrus_bots.protocol.models.filters import RegisterRequest
from pyrus_bots.protocol.models.parsing import parse_body
from pyrus_bots.server.api.body import (
    json_body,
    parse_bool,
    parse_int,
    read_body,
    read_json_object,
)
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.csv_encoding import csv_encoding
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.store import forms as form_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.workflow import access, register
from pyrus_bots.server.workflow.render import render_form, render_task
from pyrus_bots.server.workflow.state import FormDef, TaskState

router = APIRouter(tags=["forms"])

PERMISSION_LEVELS = frozenset({"none", "member", "manager", "administrator"})


def visible_form(caller: Caller, form_id: PathId) -> FormDef:
    form = caller.directory.forms.get(form_id)
    if form is None or not access.can_use_form(form, caller.person):
        raise PyrusError("access_denied_form", f"form {form_id} is not accessible")
    return form


@router.get("/forms", summary="Form templates the caller may use")
async def list_forms(caller: CallerDep) -> PyrusJSONResponse:
    forms = [
        render_form(caller.directory, form)
        for form in sorted(caller.directory.forms.values(), key=lambda f: f.id)
        if access.can_use_form(form, caller.person)
    ]
    return CollectionResponse({"forms": forms}, "forms")


@router.get("/forms/{form_id}", summary="A form template")
async def get_form(form_id: PathId, caller: CallerDep) -> PyrusJSONResponse:
    return PyrusJSONResponse(render_form(caller.directory, visible_form(caller, form_id)))


async def _visible_tasks(
    request: Request, caller: Caller, form: FormDef, params: dict[str, Any]
) -> list[TaskState]:
    """The form's tasks the caller may see, narrowed in the database by what the register's
    parameters allow (open only, steps, task ids), so a large form is not loaded whole."""
    async with reading(api_state(request)) as session:
        return await task_store.register_tasks(
            session, form, caller.person, register.narrowing(params)
        )


def _field_ids(value: Any) -> list[int] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [parse_int(part, "field_ids") for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [parse_int(part, "field_ids") for part in value]
    raise PyrusError("invalid_value_format", "field_ids must be a list or a comma string")


def _project(task: dict[str, Any], field_ids: list[int] | None) -> dict[str, Any]:
    """Keep only the requested fields, in the requested order (spec 4.3 ``field_ids``)."""
    if field_ids is None or "fields" not in task:
        return task
    by_id = {f.get("id"): f for f in task["fields"]}
    task = dict(task)
    kept = [by_id[i] for i in field_ids if i in by_id]
    if kept:
        task["fields"] = kept
    else:
        task.pop("fields")
    return task


async def _register(
    request: Request, caller: Caller, form_id: PathId, params: dict[str, Any]
) -> Response:
    form = visible_form(caller, form_id)
    register.selected_field_ids(form, params)  # refuses unknown field ids
    field_ids = _field_ids(params.get("field_ids"))
    tasks = await _visible_tasks(request, caller, form, params)
    state = api_state(request)
    selected = register.filter_register(
        caller.directory, form, tasks, params, now=state.clock.now()
    )
    encoding = csv_encoding(params.get("encoding"))
    simple = parse_bool(params.get("simple_format") or False, "simple_format")
    if str(params.get("format") or "json").lower() == "csv":
        delimiter = params.get("delimiter") or ","
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise PyrusError("invalid_value_format", "delimiter must be one character")
        text = register.register_csv(
            caller.directory,
            form,
            selected,
            delimiter,
            set(field_ids) if field_ids else None,
            simple=simple,
        )
        return Response(encoding.encode(text), media_type=f"text/csv; charset={encoding.charset}")
    rendered = [
        _project(
            render_task(
                caller.directory, task, [], with_comments=False, files_url=caller.files_url
            ),
            field_ids,
        )
        for task in selected
    ]
    return CollectionResponse({"tasks": rendered}, "tasks")


@router.get("/forms/{form_id}/register", summary="Tasks of a form (filters in the query)")
async def register_get(form_id: PathId, request: Request, caller: CallerDep) -> Response:
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        # Repeated keys (steps=1&steps=2) join like the comma form (steps=1,2).
        params[key] = f"{params[key]},{value}" if key in params else value
    return await _register(request, caller, form_id, params)


@router.post(
    "/forms/{form_id}/register",
    summary="Tasks of a form (filters in the body)",
    openapi_extra=json_body(RegisterRequest, required=False),
)
async def register_post(form_id: PathId, request: Request, caller: CallerDep) -> Response:
    params = await read_json_object(request, allow_empty=True)
    # Checked by the model, read by the register as is: its filter grammar and fld<N> keys.
    parse_body(RegisterRequest, params)
    return await _register(request, caller, form_id, params)


def _permissions(form: FormDef) -> dict[str, Any]:
    permissions = {str(pid): "member" for pid in form.member_ids}
    permissions.update({str(pid): "manager" for pid in form.manager_ids})
    return {"permissions": permissions}


@router.get("/forms/{form_id}/permissions", summary="Who may use a form")
async def get_permissions(form_id: PathId, caller: CallerDep) -> PyrusJSONResponse:
    return CollectionResponse(_permissions(visible_form(caller, form_id)), "permissions")


@router.post(
    "/forms/{form_id}/permissions",
    summary="Change who may use a form (its managers only)",
    openapi_extra=json_body(PermissionsRequest),
)
async def change_permissions(
    form_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    form = visible_form(caller, form_id)
    if caller.is_bot or caller.person.id not in form.manager_ids:
        raise PyrusError("access_denied_form", f"only managers of form {form_id} change it")
    body = await read_body(request, PermissionsRequest)
    managers, members = list(form.manager_ids), list(form.member_ids)
    for key, level in body.permissions.items():
        person_id = parse_int(key, "permissions", minimum=1)
        if person_id not in caller.directory.people:
            raise PyrusError("invalid_person_id", f"there is no person {person_id}")
        if level not in PERMISSION_LEVELS:
            raise PyrusError("invalid_value_format", f"unknown permission level {level!r}")
        managers = [p for p in managers if p != person_id]
        members = [p for p in members if p != person_id]
        if level in ("manager", "administrator"):
            managers.append(person_id)
        elif level == "member":
            members.append(person_id)
    if not managers:
        raise PyrusError("invalid_value_format", "a form keeps at least one manager")
    changed = dataclasses.replace(form, manager_ids=managers, member_ids=members)
    async with writing(api_state(request)) as session:
        await form_store.save_form(session, caller.directory.organization_id, changed)
    return PyrusJSONResponse(_permissions(changed))
