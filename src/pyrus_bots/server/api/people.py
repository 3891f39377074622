"""People: contacts, members, roles and the caller's profile (spec 4.6).

Everything here reads the directory snapshot; a bot's profile describes the bot (DESIGN.md 3.5).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.body import parse_bool
from pyrus_bots.server.api.context import CallerDep, PathId
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.workflow.entities import render_member
from pyrus_bots.server.workflow.render import render_role
from pyrus_bots.server.workflow.state import Directory

router = APIRouter(tags=["people"])

DEFAULT_LOCALE = "en-US"

# A boolean query flag, spelt as clients send it (parsed by parse_bool).
_Flag = Annotated[str, Query(description="true/false in any case")]


def _people(directory: Directory, include_inactive: bool) -> list[dict[str, Any]]:
    return [
        render_member(p)
        for p in sorted(directory.people.values(), key=lambda p: p.id)
        if include_inactive or not (p.fired or p.banned)
    ]


def _roles(directory: Directory, include_inactive: bool) -> list[dict[str, Any]]:
    return [
        render_role(r)
        for r in sorted(directory.roles.values(), key=lambda r: r.id)
        if include_inactive or not (r.banned or r.fired)
    ]


def _organization(directory: Directory, include_inactive: bool) -> dict[str, Any]:
    return {
        "organization_id": directory.organization_id,
        "name": directory.organization_name,
        "persons": _people(directory, include_inactive),
        "roles": _roles(directory, include_inactive),
    }


@router.get("/contacts", summary="People and roles of the organisation")
async def contacts(caller: CallerDep, include_inactive: _Flag = "false") -> PyrusJSONResponse:
    inactive = parse_bool(include_inactive, "include_inactive")
    return CollectionResponse(
        {"organizations": [_organization(caller.directory, inactive)]}, "organizations"
    )


@router.get("/members", summary="Members of the organisation")
async def members(caller: CallerDep, include_fired: _Flag = "false") -> PyrusJSONResponse:
    fired = parse_bool(include_fired, "include_fired")
    return CollectionResponse({"members": _people(caller.directory, fired)}, "members")


@router.get("/members/{member_id}", summary="One member")
async def member(member_id: PathId, caller: CallerDep) -> PyrusJSONResponse:
    person = caller.directory.people.get(member_id)
    if person is None:
        raise PyrusError("invalid_person_id", f"there is no person {member_id}")
    return PyrusJSONResponse(render_member(person))


@router.get("/roles", summary="Roles of the organisation")
async def roles(caller: CallerDep, include_fired: _Flag = "false") -> PyrusJSONResponse:
    banned = parse_bool(include_fired, "include_fired")
    return CollectionResponse({"roles": _roles(caller.directory, banned)}, "roles")


@router.get("/roles/{role_id}", summary="One role")
async def role(role_id: PathId, caller: CallerDep) -> PyrusJSONResponse:
    found = caller.directory.roles.get(role_id)
    if found is None:
        raise PyrusError("invalid_person_id", f"there is no role {role_id}")
    return PyrusJSONResponse(render_role(found))


@router.get("/profile", summary="The caller (a person, or the bot of a bot token)")
async def profile(
    caller: CallerDep,
    withinactive: Annotated[str, Query(description="PY client spelling")] = "false",
    include_inactive: Annotated[str, Query(description="C#/TS spelling")] = "false",
) -> PyrusJSONResponse:
    inactive = parse_bool(withinactive, "withinactive") or parse_bool(
        include_inactive, "include_inactive"
    )
    person = caller.person
    return PyrusJSONResponse(
        {
            "person_id": person.id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "type": person.type,
            "locale": DEFAULT_LOCALE,
            "organization_id": caller.directory.organization_id,
            "organization": _organization(caller.directory, inactive),
        }
    )


@router.get("/profile/identity", summary="The caller's e-mail and organisation")
async def profile_identity(caller: CallerDep) -> PyrusJSONResponse:
    return PyrusJSONResponse(
        {"email": caller.person.email, "organization_id": caller.directory.organization_id}
    )
