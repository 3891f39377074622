"""The whole-file checks: references, unique ids, limits and the keys each field type takes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pyrus_bots.server.workspace import (
    parse_workspace,
)

from .samples import MINIMAL, problem


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
