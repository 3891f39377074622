"""Malformed input against every endpoint: each answer is a 4XX with a Pyrus error code, and
nothing in the store changes. Also the framework-level errors: unknown paths, wrong methods,
oversize bodies, the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.harness import (
    ALICE,
    BOT_ID,
    CATALOG_ID,
    FORM_ID,
    RunningServer,
    assert_error,
    person_client,
)
from pyrus_bots.server.store import models, people, tokens
from pyrus_bots.server.store.db import Database

OTHER_ORG_ID = 99
OTHER_PERSON_ID = 990001

BAD_BODIES: list[tuple[str, bytes]] = [
    ("not json", b"{not json"),
    ("array", b"[1, 2]"),
    ("string", b'"text"'),
    (
        "wrong types",
        b'{"text": 5, "form_id": "x", "name": 1, "catalog_headers": "A",'
        b' "comments": {}, "upsert": 3, "steps": {"a": 1}, "item_count": "many",'
        b' "login": 1, "security_key": [], "apply": "maybe", "permissions": 1}',
    ),
]


def _operations(server: RunningServer) -> Iterator[tuple[str, str, bool, bool]]:
    """(method, path template, has a JSON body, body required) per documented /v4 operation."""
    document = server.client().get("/openapi.json").json()
    for path, methods in document["paths"].items():
        if not path.startswith("/v4/") and path != "/services/attachment":
            continue
        for method, operation in methods.items():
            body = operation.get("requestBody", {})
            has_json = "application/json" in body.get("content", {})
            yield method.upper(), path, has_json, bool(body.get("required"))


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


async def _fingerprint(database: Database) -> dict[str, Any]:
    """Row counts and versions of everything a request could change (tokens excepted)."""
    out: dict[str, Any] = {}
    async with database.session() as session:
        for model in (
            models.TaskRow,
            models.CommentRow,
            models.CatalogRow,
            models.CatalogItemRow,
            models.FileRow,
            models.PersonRow,
            models.BotRow,
            models.TaskPerson,
        ):
            out[model.__tablename__] = await session.scalar(select(func.count()).select_from(model))
        out["bot_versions"] = await session.scalar(select(func.sum(models.BotRow.version)))
        out["catalog_versions"] = await session.scalar(select(func.sum(models.CatalogRow.version)))
        out["last_modified"] = str(
            await session.scalar(select(func.max(models.TaskRow.last_modified_date)))
        )
        out["counters"] = sorted(
            (name, value)
            for name, value in (
                await session.execute(select(models.Counter.name, models.Counter.value))
            ).all()
            if not name.startswith("lock:")
        )
    return out


@pytest.fixture
def fingerprint(shared_server: RunningServer) -> Iterator[None]:
    before = shared_server.call(_fingerprint)
    yield
    assert shared_server.call(_fingerprint) == before


def _is_pyrus_error(response: httpx.Response) -> bool:
    if not 400 <= response.status_code < 500:
        return False
    body = response.json()
    return isinstance(body.get("error_code"), str) and isinstance(body.get("error"), str)


def test_every_endpoint_refuses_malformed_input(
    shared_server: RunningServer, fingerprint: None
) -> None:
    alice = person_client(shared_server, ALICE)
    # A task to comment on, created before the fingerprint? No: the fingerprint fixture already
    # ran, so every id below is either an existing object or an unknown one.
    known = {
        "task_id": "1",
        "form_id": str(FORM_ID),
        "catalog_id": str(CATALOG_ID),
        "bot_id": str(BOT_ID),
        "member_id": str(ALICE["id"]),
        "role_id": "3001",
        "list_id": "1",
        "file_id": "1",
    }
    failures: list[str] = []
    operations = list(_operations(shared_server))
    assert len(operations) >= 30
    for method, template, has_body, body_required in operations:
        concrete = template
        for name, value in known.items():
            concrete = concrete.replace("{" + name + "}", value)
        attempts: list[tuple[str, httpx.Response]] = []
        # No token, an unknown token.
        if not template.endswith("/auth"):
            attempts.append(("no token", shared_server.client().request(method, concrete)))
            attempts.append(
                ("unknown token", shared_server.client("x" * 43).request(method, concrete))
            )
        # Path ids that are not numbers, and numbers that name nothing.
        if "{" in template:
            attempts.append(("text id", alice.request(method, _fill(template, "abc"))))
            unknown = alice.request(method, _fill(template, "987654321"), json={})
            attempts.append(("unknown id", unknown))
        if has_body:
            for label, body in BAD_BODIES:
                attempts.append((label, alice.request(method, concrete, content=body)))
            if body_required:
                attempts.append(("empty body", alice.request(method, concrete, content=b"")))
        for label, response in attempts:
            if not _is_pyrus_error(response):
                failures.append(
                    f"{method} {concrete} [{label}] -> {response.status_code} {response.text[:120]}"
                )
    assert not failures, "\n".join(failures)


def test_unknown_paths_and_methods_are_json_errors(shared_server: RunningServer) -> None:
    client = shared_server.client()
    assert_error(client.get("/v4/no-such-thing"), 404, "not_found")
    assert_error(client.get("/nothing"), 404, "not_found")
    assert_error(client.delete("/v4/forms"), 405, "method_not_allowed")
    assert_error(client.patch("/v4/auth"), 405, "method_not_allowed")


def test_oversize_bodies(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    before = shared_server.call(_fingerprint)
    limits = shared_server.app.state.api.limits
    saved = (limits.json_bytes, limits.upload_bytes)
    limits.json_bytes, limits.upload_bytes = 1000, 2000
    try:
        big = b'{"text": "' + b"x" * 2000 + b'"}'
        assert_error(alice.post("/v4/tasks", content=big), 413, "too_large_request_length")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(20):
                yield b"y" * 200
            yield b'"}'

        assert_error(alice.post("/v4/tasks", content=chunks()), 413, "too_large_request_length")
        upload = alice.post("/v4/files/upload", files={"file": ("big.bin", b"z" * 5000)})
        assert_error(upload, 413, "too_large_request_length")
        assert shared_server.call(_fingerprint) == before
        small = alice.post("/v4/files/upload", files={"file": ("small.bin", b"z" * 1500)})
        assert small.status_code == 200  # the upload limit is its own
    finally:
        limits.json_bytes, limits.upload_bytes = saved


def test_openapi_document_is_served(shared_server: RunningServer) -> None:
    document = shared_server.client().get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert "/v4/tasks/{task_id}/comments" in document["paths"]
    comment = document["paths"]["/v4/tasks/{task_id}/comments"]["post"]
    schema = comment["requestBody"]["content"]["application/json"]["schema"]
    assert "field_updates" in schema["properties"]


def test_nul_characters_are_refused(shared_server: RunningServer, fingerprint: None) -> None:
    alice = person_client(shared_server, ALICE)
    body = b'{"name": "Bot", "external_id": "a\\u0000b"}'
    assert_error(alice.post("/v4/bots", content=body), 400, "invalid_value_format")
    assert_error(alice.post("/v4/tasks", json={"text": "x\x00y"}), 400, "invalid_value_format")
    assert_error(
        shared_server.client().get("/v4/auth?login=a%00b&security_key=k"),
        400,
        "invalid_value_format",
    )


def test_deeply_nested_json_is_refused(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    deep = b'{"text": "x", "extra": ' + b"[" * 65 + b"]" * 65 + b"}"
    assert_error(alice.post("/v4/tasks", content=deep), 400, "invalid_value_format")
    shallow = b'{"text": "x", "extra": ' + b"[" * 60 + b"]" * 60 + b"}"
    assert alice.post("/v4/tasks", content=shallow).status_code == 200


def test_escaped_backslash_u0000_is_ordinary_text(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    literal = alice.post("/v4/tasks", content=b'{"text": "\\\\u0000"}')
    assert literal.status_code == 200 and literal.json()["task"]["text"] == "\\u0000"


def test_token_of_another_organisation(shared_server: RunningServer) -> None:
    """A valid token of a person outside the served organisation opens nothing."""

    async def outsider_token(database: Database) -> str:
        async with database.session() as session, session.begin():
            if await people.get_organization(session, OTHER_ORG_ID) is None:
                await people.save_organization(session, OTHER_ORG_ID, "Other Inc")
                await people.create_person(
                    session, OTHER_ORG_ID, email="eve@other.test", person_id=OTHER_PERSON_ID
                )
            return await tokens.issue_token(
                session, OTHER_PERSON_ID, ttl=3600, now=shared_server.clock.now()
            )

    outsider = shared_server.client(shared_server.call(outsider_token))
    for path in ("/v4/forms", f"/v4/forms/{FORM_ID}", "/v4/tasks/1", "/v4/contacts"):
        assert_error(outsider.get(path), 401, "invalid_token")
    assert_error(outsider.post("/v4/tasks", json={"text": "x"}), 401, "invalid_token")
