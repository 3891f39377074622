"""Who is who in the fake API: auth, contacts, members, roles, profile and bots."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.testing.fake_api.common import JSON, found, json_response, pyrus_error, truthy
from pyrus_bots.testing.fake_api.state import FakeState


async def auth(fake: FakeState, request: Request, body: Any) -> Response:
    data = body if isinstance(body, dict) else dict(request.query_params)
    login, key = data.get("login"), data.get("security_key")
    account = fake._accounts.get(str(login))
    if account is None or not key or not secrets.compare_digest(account[0], str(key)):
        raise pyrus_error("invalid_credentials", "Wrong login or security key")
    token = fake.issue_token(account[1])
    base = str(request.base_url).rstrip("/")
    return json_response({"access_token": token, "api_url": f"{base}/v4/", "files_url": f"{base}/"})


async def contacts(fake: FakeState, request: Request, body: Any) -> Response:
    include_inactive = truthy(request.query_params.get("include_inactive", "false"))
    persons = [p for p in fake.persons.values() if include_inactive or not p.get("fired")]
    organization = {**fake.organization, "persons": persons, "roles": list(fake.roles.values())}
    return json_response({"organizations": [organization]})


async def members(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response({"members": [p for p in fake.persons.values() if p.get("type") != "bot"]})


async def member(fake: FakeState, request: Request, body: Any) -> Response:
    person_id = request.path_params["person_id"]
    return json_response(found(fake.persons, person_id, "access_denied_person", "No such person"))


async def roles(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response({"roles": list(fake.roles.values())})


async def profile(fake: FakeState, request: Request, body: Any) -> Response:
    me: JSON = request.state.person
    return json_response(
        {
            "person_id": me.get("id"),
            "first_name": me.get("first_name"),
            "last_name": me.get("last_name"),
            "email": me.get("email"),
            "organization_id": fake.organization.get("organization_id"),
            "organization": {
                "organization_id": fake.organization.get("organization_id"),
                "name": fake.organization.get("name"),
            },
        }
    )


async def bots(fake: FakeState, request: Request, body: Any) -> Response:
    bots = [
        {
            "id": p["id"],
            "name": " ".join(filter(None, [p.get("first_name"), p.get("last_name")])),
            "login": p.get("email"),
            "is_enabled": True,
        }
        for p in fake.persons.values()
        if p.get("type") == "bot"
    ]
    return json_response({"bots": bots})
