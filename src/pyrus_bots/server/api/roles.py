"""Role management (spec 4.6): create, change (members, name, ban), delete, several at once.

Every call needs the ``manage_roles`` right (a person's, or a bot's), as in Pyrus. The bulk
calls take a JSON array, as the C# client sends it, and apply all of it or none. A deleted role
is kept (``fired``) for the tasks that name it; ``GET /roles`` lists it only with
``include_fired``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, TypeAdapter, ValidationError

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.parsing import as_pyrus_error, check_storable
from pyrus_bots.protocol.models.people_requests import (
    CreateRoleRequest,
    DeleteRoleRequest,
    UpdateRoleRequest,
)
from pyrus_bots.protocol.pyrus_json import loads
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.context import CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.rights import MANAGE_ROLES, require_right
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.tasks import role_changes
from pyrus_bots.server.workflow.entities import render_role
from pyrus_bots.server.workflow.state import Role

router = APIRouter(tags=["roles"])

_Model = TypeVar("_Model", bound=BaseModel)


async def _read_list(request: Request, model: type[_Model]) -> list[_Model]:
    """A bulk body: a JSON array of ``model`` objects."""
    raw = await request.body()
    if not raw.strip():
        raise PyrusError("empty_body", "the request body is empty")
    try:
        data = loads(raw)
    except ValueError:
        raise PyrusError("invalid_json", "the request body is not valid JSON") from None
    if not isinstance(data, list) or not data:
        raise PyrusError("invalid_json", "the request body must be a non-empty JSON array")
    check_storable(data, raw)
    try:
        return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
    except ValidationError as error:
        raise as_pyrus_error(error) from None


def _list_body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": model.model_json_schema()}
                }
            },
        }
    }


def _one(request: Request, role: Role) -> PyrusJSONResponse:
    api_state(request).directories.invalidate()
    return PyrusJSONResponse(render_role(role))


def _many(request: Request, roles: list[Role]) -> PyrusJSONResponse:
    api_state(request).directories.invalidate()
    return PyrusJSONResponse({"roles": [render_role(r) for r in roles]})


# The bulk routes come first: ``/roles/bulk`` must not be read as ``/roles/{role_id}``.


@router.post("/roles/bulk", summary="Create roles", openapi_extra=_list_body(CreateRoleRequest))
async def create_roles(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_ROLES)
    bodies = await _read_list(request, CreateRoleRequest)
    async with writing(api_state(request)) as session:
        roles = [await role_changes.create_role(session, caller.directory, body) for body in bodies]
    return _many(request, roles)


@router.put("/roles/bulk", summary="Change roles", openapi_extra=_list_body(UpdateRoleRequest))
async def update_roles(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_ROLES)
    bodies = await _read_list(request, UpdateRoleRequest)
    async with writing(api_state(request)) as session:
        roles = [
            await role_changes.update_role(session, caller.directory, body.id, body)
            for body in bodies
        ]
    return _many(request, roles)


@router.delete("/roles/bulk", summary="Delete roles", openapi_extra=_list_body(DeleteRoleRequest))
async def delete_roles(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_ROLES)
    bodies = await _read_list(request, DeleteRoleRequest)
    async with writing(api_state(request)) as session:
        roles = [
            await role_changes.delete_role(session, caller.directory, body.id, body)
            for body in bodies
        ]
    return _many(request, roles)


@router.post("/roles", summary="Create a role", openapi_extra=json_body(CreateRoleRequest))
async def create_role(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_ROLES)
    body = await read_body(request, CreateRoleRequest)
    async with writing(api_state(request)) as session:
        role = await role_changes.create_role(session, caller.directory, body)
    return _one(request, role)


@router.put("/roles/{role_id}", summary="Change a role", openapi_extra=json_body(UpdateRoleRequest))
async def update_role(role_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_ROLES)
    body = await read_body(request, UpdateRoleRequest)
    async with writing(api_state(request)) as session:
        role = await role_changes.update_role(session, caller.directory, role_id, body)
    return _one(request, role)


@router.delete(
    "/roles/{role_id}",
    summary="Delete a role",
    openapi_extra=json_body(DeleteRoleRequest, required=False),
)
async def delete_role(role_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_ROLES)
    body = await read_body(request, DeleteRoleRequest, allow_empty=True)
    async with writing(api_state(request)) as session:
        role = await role_changes.delete_role(session, caller.directory, role_id, body)
    return _one(request, role)
