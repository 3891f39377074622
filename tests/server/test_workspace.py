"""The workspace file: validation messages (file, path, problem) and idempotent loading."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select, text

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import bots, people, tokens
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.models import Base
from pyrus_bots.server.workspace import (
    FIELD_TYPES,
    PERSON_RIGHTS,
    WorkspaceError,
    apply_workspace,
    load_workspace_file,
    parse_workspace,
)

WORKSPACES = Path(__file__).parents[1] / "fixtures" / "workspaces"
MINIMAL = yaml.safe_load((WORKSPACES / "minimal.yaml").read_text())


def problem(tmp_path: Path, change: Any, name: str = "acme.yaml") -> str:
    """Write the minimal workspace changed by ``change`` and return the error message."""
    data = copy.deepcopy(MINIMAL)
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(path)
    message = str(error.value)
    assert re.match(rf"{re.escape(str(path))}(:\d+)?: ", message), message
    return message


def test_the_fixture_files_are_valid() -> None:
    for name in ("minimal.yaml", "full.yaml", "minimal.json"):
        workspace = load_workspace_file(WORKSPACES / name)
        assert workspace.forms and workspace.source.endswith(name)
    assert len(FIELD_TYPES) == 24 and len(PERSON_RIGHTS) == 12


def test_messages_carry_the_line_of_the_problem(tmp_path: Path) -> None:
    source = (WORKSPACES / "minimal.yaml").read_text()
    path = tmp_path / "lines.yaml"
    path.write_text(source.replace("approvers: [1001]", "approvers: [1001, 99]"))
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(path)
    line = next(n for n, text in enumerate(source.splitlines(), 1) if "approvers: [1001]" in text)
    assert str(error.value) == (
        f"{path}:{line}: forms[0].steps[1].approvers[1]: no person, bot or role with id 99 "
        "in this file"
    )
    assert error.value.problems == [
        ("forms[0].steps[1].approvers[1]", "no person, bot or role with id 99 in this file")
    ]


def test_unknown_field_type(tmp_path: Path) -> None:
    message = problem(
        tmp_path, lambda d: d["forms"][0]["fields"].append({"id": 9, "name": "X", "type": "txt"})
    )
    assert "forms[0].fields[4].type: unknown field type 'txt'" in message
    assert "due_date_time" in message  # lists the valid types


def test_approver_that_does_not_exist(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["forms"][0]["steps"][1]["approvers"].append(9999))
    assert "forms[0].steps[1].approvers[1]: no person, bot or role with id 9999" in message
    message = problem(
        tmp_path, lambda d: d["forms"][0]["steps"][0]["approvers"].append("eve@acme.test")
    )
    assert "forms[0].steps[0].approvers[1]: no person with e-mail or bot with login " in message
    assert "'eve@acme.test'" in message


def test_approvers_by_email_and_bot_login_resolve() -> None:
    data = copy.deepcopy(MINIMAL)
    data["forms"][0]["steps"][0]["approvers"] = ["BOT@892ccfa1c8360e2e8309"]
    data["forms"][0]["steps"][1]["approvers"] = ["alice@acme.test", 3001]
    workspace = parse_workspace(data, "acme.yaml")
    assert [s.approver_ids for s in workspace.forms[0].steps] == [[2001], [1001, 3001]]


def test_duplicate_ids(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["bots"][0].update(id=1001))
    assert "bots[0].id: duplicate id 1001 (already used at people[0].id)" in message
    message = problem(tmp_path, lambda d: d["roles"][0].update(id=2001))
    assert "roles[0].id: duplicate id 2001 (already used at bots[0].id)" in message
    message = problem(tmp_path, lambda d: d["forms"].append(copy.deepcopy(d["forms"][0])))
    assert "forms[1].id: duplicate form id 321 (already used at forms[0].id)" in message
    message = problem(tmp_path, lambda d: d["catalogs"].append(copy.deepcopy(d["catalogs"][0])))
    assert "catalogs[1].id: duplicate catalog id 4001" in message


def test_duplicate_field_ids_include_nested_fields(tmp_path: Path) -> None:
    def nested(d: dict[str, Any]) -> None:
        d["forms"][0]["fields"].append(
            {
                "id": 5,
                "name": "Group",
                "type": "title",
                "fields": [{"id": 2, "name": "Dup", "type": "text"}],
            }
        )

    message = problem(tmp_path, nested)
    assert (
        "forms[0].fields[4].fields[0].id: duplicate field id 2 "
        "(already used at forms[0].fields[1].id)" in message
    )
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][1].update(code="u_item"))
    assert "forms[0].fields[1].code: duplicate field code 'u_item'" in message


def test_field_ids_may_repeat_across_forms() -> None:
    data = copy.deepcopy(MINIMAL)
    second = copy.deepcopy(data["forms"][0])
    second["id"] = 322
    data["forms"].append(second)
    assert len(parse_workspace(data, "acme.yaml").forms) == 2


def test_a_step_with_two_bots(tmp_path: Path) -> None:
    def two_bots(d: dict[str, Any]) -> None:
        d["bots"].append({"id": 2002, "name": "Second", "hook_url": "http://127.0.0.1:5002/"})
        d["forms"][0]["steps"][0]["approvers"] = [2001, 2002]

    message = problem(tmp_path, two_bots)
    assert "forms[0].steps[0].approvers: a step may have at most one bot approver" in message
    assert "2001, 2002" in message


def test_more_than_100_bots(tmp_path: Path) -> None:
    def many(d: dict[str, Any]) -> None:
        d["bots"] = [{"id": 5000 + n, "name": f"Bot {n}"} for n in range(101)]
        d["forms"][0]["steps"][0]["approvers"] = [5000]

    message = problem(tmp_path, many)
    assert "bots: an organization has at most 100 bots; this file declares 101" in message


def test_more_than_20_steps(tmp_path: Path) -> None:
    def many(d: dict[str, Any]) -> None:
        d["forms"][0]["steps"] = [{"name": f"Step {n}", "approvers": [1001]} for n in range(21)]

    message = problem(tmp_path, many)
    assert "forms[0].steps: a form has at most 20 steps; this one has 21" in message


def test_catalog_field_needs_an_existing_catalog(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][3].update(catalog_id=4999))
    assert "forms[0].fields[3].catalog_id: no catalog with id 4999 in this file" in message
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][3].pop("catalog_id"))
    assert "forms[0].fields[3].catalog_id: a catalog field needs catalog_id" in message


def test_multiple_choice_without_options(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][2].pop("options"))
    assert "forms[0].fields[2].options: a multiple_choice field needs options" in message


def test_bot_settings_must_be_a_string(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["bots"][0].update(settings={"limit": 1000}))
    assert "bots[0].settings: bot settings must be a string" in message


def test_unknown_right(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["people"][0].update(rights=["manage_bots"]))
    assert "people[0].rights[0]: unknown right 'manage_bots'" in message
    assert "manage_integrations_and_catalogs" in message


def test_unknown_and_missing_keys(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["people"][0].update(mail="x"))
    assert "people[0].mail: unknown key" in message
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][0].pop("name"))
    assert "forms[0].fields[0].name: required but missing" in message
    message = problem(tmp_path, lambda d: d.pop("organization"))
    assert "organization: required but missing" in message
    message = problem(tmp_path, lambda d: d["people"][0].update(id="1001"))
    assert "people[0].id: input should be a valid integer" in message


def test_references_of_the_wrong_kind(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["roles"][0]["members"].append(3001))
    assert "roles[0].members[1]: 3001 is a role; only people and bots belong here" in message
    message = problem(tmp_path, lambda d: d["roles"][0]["members"].append({"id": 1}))
    assert "roles[0].members[1]: a person reference is an id, an e-mail or a bot login" in message
    message = problem(tmp_path, lambda d: d["forms"][0]["steps"][1]["approvers"].append(1001))
    assert "forms[0].steps[1].approvers[1]: 1001 is listed twice" in message


def test_field_shape_problems(tmp_path: Path) -> None:
    message = problem(
        tmp_path, lambda d: d["forms"][0]["fields"].append({"id": 9, "name": "T", "type": "table"})
    )
    assert "forms[0].fields[4].columns: a table field needs columns" in message
    message = problem(
        tmp_path,
        lambda d: d["forms"][0]["fields"][0].update(
            fields=[{"id": 9, "name": "x", "type": "text"}]
        ),
    )
    assert "forms[0].fields[0].fields: only title fields hold fields, not text" in message
    message = problem(tmp_path, lambda d: d["forms"][0]["fields"][0].update(required_step=3))
    assert "forms[0].fields[0].required_step: step 3 does not exist: the form has 2" in message
    message = problem(
        tmp_path, lambda d: d["forms"][0]["fields"][0].update(options=[{"id": 1, "value": "a"}])
    )
    assert "forms[0].fields[0].options: options apply to multiple_choice fields" in message


def test_people_and_bot_login_problems(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["bots"][0].update(login="approver"))
    assert "bots[0].login: 'approver' is not a bot login" in message
    message = problem(
        tmp_path,
        lambda d: d["people"].append({"id": 1002, "email": "ALICE@acme.test"}),
    )
    assert "people[1].email: duplicate e-mail or login 'alice@acme.test'" in message
    message = problem(tmp_path, lambda d: d["people"][0].update(email="alice"))
    assert "people[0].email: 'alice' is not an e-mail address" in message


def test_catalog_problems(tmp_path: Path) -> None:
    message = problem(tmp_path, lambda d: d["catalogs"][0]["items"].append(["CC3"]))
    assert "catalogs[0].items[2]: an item needs 2 values, one per header (found 1)" in message
    message = problem(tmp_path, lambda d: d["catalogs"][0]["items"].append(["CC1", "Again"]))
    assert "catalogs[0].items[2][0]: duplicate item (first column) 'CC1'" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def two(d: dict[str, Any]) -> None:
        d["forms"][0]["steps"][1]["approvers"] = [9999]
        d["forms"][0]["fields"][2].pop("options")

    message = problem(tmp_path, two)
    assert len(message.splitlines()) == 2


def test_syntax_errors_name_the_line(tmp_path: Path) -> None:
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("organization: {id: 1, name: Acme\npeople: []\n")
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(bad_yaml)
    assert str(error.value).startswith(f"{bad_yaml}: invalid YAML at line ")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"organization": {"id": 1,}}')
    with pytest.raises(WorkspaceError) as error:
        load_workspace_file(bad_json)
    assert str(error.value).startswith(f"{bad_json}: invalid JSON at line 1, column ")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(WorkspaceError, match="cannot read the file"):
        load_workspace_file(missing)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(WorkspaceError, match="must hold a mapping"):
        load_workspace_file(listed)


def test_json_workspace_without_extension_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "workspace"
    path.write_text(json.dumps(MINIMAL))
    assert load_workspace_file(path).spec.organization.name == "Acme"


# --- applying -------------------------------------------------------------------------------


async def row_counts(database: Database) -> dict[str, int]:
    counts = {}
    async with database.session() as s:
        for name, table in Base.metadata.tables.items():
            counts[name] = int(
                (await s.execute(select(func.count()).select_from(table))).scalar_one()
            )
    return counts


async def snapshot(database: Database) -> dict[str, Any]:
    async with database.session() as s:
        listed = await bots.list_bots(s, include_fired=True)
        everyone = await people.list_people(s)
        roles = await people.list_roles(s)
    return {
        "bots": [(b.person_id, b.login, b.security_key, b.version) for b in listed],
        "people": [(p.id, p.email, p.first_name, sorted(p.rights)) for p in everyone],
        "roles": [(r.id, r.name, r.member_ids) for r in roles],
    }


async def apply_file(database: Database, path: Path) -> list[str]:
    workspace = load_workspace_file(path)
    async with database.session() as s, s.begin():
        return list(await apply_workspace(s, workspace))


async def test_loading_twice_changes_nothing(database: Database) -> None:
    full = WORKSPACES / "full.yaml"
    first = await apply_file(database, full)
    assert "bot 2001 created" in first and "form 321" in first
    counts, state = await row_counts(database), await snapshot(database)
    async with database.session() as s:
        version = int(
            (
                await s.execute(text("SELECT value FROM counters WHERE name = 'directory_version'"))
            ).scalar_one()
        )
    assert await apply_file(database, full) == []
    assert await row_counts(database) == counts
    assert await snapshot(database) == state  # generated login and key of bot 2001 kept
    async with database.session() as s:
        again = int(
            (
                await s.execute(text("SELECT value FROM counters WHERE name = 'directory_version'"))
            ).scalar_one()
        )
    assert again == version
    assert counts["people"] == 5 and counts["bots"] == 2 and counts["catalog_items"] == 5


async def test_a_changed_file_updates_in_place(database: Database, tmp_path: Path) -> None:
    await apply_file(database, WORKSPACES / "minimal.yaml")
    before = await snapshot(database)
    async with database.session() as s, s.begin():
        token = await tokens.issue_token(s, 1001, ttl=600, now=_now())
    data = copy.deepcopy(MINIMAL)
    data["people"][0]["first_name"] = "Alicia"
    data["people"][0]["security_key"] = "new-key"
    data["catalogs"][0]["items"].append(["CC3", "Research"])
    data["forms"][0]["steps"][1]["approvers"] = ["alice@acme.test", 3001]
    changed = tmp_path / "acme.yaml"
    changed.write_text(yaml.safe_dump(data))
    lines = await apply_file(database, changed)
    assert sorted(lines) == ["form 321", "items of catalog 4001", "person 1001 updated"]
    after = await snapshot(database)
    assert after["bots"] == before["bots"]
    assert after["people"][0][2] == "Alicia"
    async with database.session() as s:
        with pytest.raises(PyrusError) as error:  # a key change revokes tokens, as in Pyrus
            await tokens.resolve_token(s, token, _now())
        assert error.value.code == "revoked_token"
        found = await people.find_credentials(s, "alice@acme.test")
        assert found is not None and found[1] == "new-key"


def _now() -> datetime:
    return datetime.now(UTC)


async def test_bots_created_through_the_api_survive_a_reload(database: Database) -> None:
    await apply_file(database, WORKSPACES / "minimal.yaml")
    async with database.session() as s, s.begin():
        extra = await bots.create_bot(s, None, "Made by API")
    assert await apply_file(database, WORKSPACES / "minimal.yaml") == []
    async with database.session() as s:
        assert await bots.get_bot(s, extra.person_id) == extra


async def test_a_file_conflicting_with_the_database_is_refused(
    database: Database, tmp_path: Path
) -> None:
    await apply_file(database, WORKSPACES / "minimal.yaml")
    data = copy.deepcopy(MINIMAL)
    data["people"].append({"id": 1002, "email": "bob@acme.test"})
    data["people"][0]["id"] = 1003  # alice's e-mail now under another id
    data["roles"][0]["members"] = [1003]
    data["forms"][0]["steps"][1]["approvers"] = [1003]
    path = tmp_path / "conflict.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(WorkspaceError) as error:
        await apply_file(database, path)
    assert (
        str(error.value) == f"{path}: people[0].email: already used by person 1001 in the database"
    )


async def test_concurrent_starts_in_one_process(database: Database) -> None:
    """Several servers starting at once: migrate and apply in parallel, one result."""
    others = [Database(database.url) for _ in range(3)]
    workspace = load_workspace_file(WORKSPACES / "full.yaml")

    async def start(db: Database) -> None:
        await db.migrate()
        async with db.session() as s, s.begin():
            await apply_workspace(s, workspace)

    try:
        await asyncio.gather(*(start(db) for db in others))
    finally:
        for db in others:
            await db.dispose()
    counts = await row_counts(database)
    assert counts["people"] == 5 and counts["bots"] == 2 and counts["forms"] == 2
    assert await apply_file(database, WORKSPACES / "full.yaml") == []


START_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pyrus_bots.server.store.db import Database
    from pyrus_bots.server.workspace import apply_workspace, load_workspace_file

    async def main() -> None:
        db = Database(sys.argv[1])
        await db.migrate()
        workspace = load_workspace_file(sys.argv[2])
        async with db.session() as s, s.begin():
            await apply_workspace(s, workspace)
        await db.dispose()

    asyncio.run(main())
    """
)


def test_concurrent_starts_in_separate_processes(db_url: str) -> None:
    """Two processes migrate an empty database and load the workspace at the same moment."""
    full = str(WORKSPACES / "full.yaml")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START_SCRIPT, db_url, full],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=90)
        assert process.returncode == 0, err.decode()

    async def check() -> None:
        database = Database(db_url)
        try:
            counts = await row_counts(database)
            assert counts["people"] == 5 and counts["bots"] == 2 and counts["catalog_items"] == 5
            assert await apply_file(database, WORKSPACES / "full.yaml") == []
        finally:
            await database.dispose()

    asyncio.run(check())
