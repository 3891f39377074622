"""People and roles changed in the UI over real HTTP, on SQLite and PostgreSQL, read back through
``GET /v4/members`` and ``GET /v4/roles``: the UI writes what the API's own calls write."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from directory_kit import api_call, api_headers, managing_workspace, members, roles
from ui_helpers import LiveServer, csrf_of, sign_in

Start = Callable[..., LiveServer]
ALICE = {"login": "alice@demo.test", "password": "alice-demo-password"}
MARK = {"login": "mark@demo.test", "password": "mark-demo-password"}


WAS_INPUT = re.compile(r'name="(was:\w+)" value="([^"]*)"')


def _was(html: str) -> dict[str, list[str]]:
    """The ``was:`` inputs of a page: what its form drew, sent back as a browser does."""
    drawn: dict[str, list[str]] = {}
    for name, value in WAS_INPUT.findall(html):
        drawn.setdefault(name, []).append(value)
    return drawn


def _without(member: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in member.items() if k not in keys}


def test_people_are_added_changed_and_fired_as_through_the_api(
    db_url: str, ui_server: Start, tmp_path: Path
) -> None:
    server = ui_server(db_url=db_url, workspace=managing_workspace(tmp_path))
    alice = api_headers(server, "alice@demo.test", "alice-demo-key")
    with server.client() as ui:
        assert sign_in(ui, **ALICE).is_redirect
        page = ui.get("/ui/people/new")
        assert page.status_code == 200 and 'name="department_id"' in page.text
        added = ui.post(
            "/ui/people/new",
            data={
                "csrf": csrf_of(page.text),
                "first_name": "Paula",
                "last_name": "Parker",
                "email": "paula@demo.test",
                "position": "Buyer",
                "department_id": "7",
                "phone": "+1 555 0100",
                "rights": ["manage_roles", "create_announcement"],
            },
        )
        assert added.status_code == 303, added.text
        paula_id = int(added.headers["location"].split("/")[-1].split("?")[0])
        # The same person added through the API is stored alike.
        api_call(
            server,
            "POST",
            "/v4/members",
            alice,
            {
                "first_name": "Paul",
                "last_name": "Parker",
                "email": "paul@demo.test",
                "position": "Buyer",
                "department_id": 7,
                "phone": "+1 555 0100",
                "rights": ["manage_roles", "create_announcement"],
            },
        )
        listed = members(server, alice)
        paula = listed[paula_id]
        paul = next(m for m in listed.values() if m["email"] == "paul@demo.test")
        assert paula["email"] == "paula@demo.test" and paula["rights"] == 0x1 | 0x800
        assert paula["department_id"] == 7 and paula["position"] == "Buyer"
        assert _without(paula, "id", "email", "first_name") == _without(
            paul, "id", "email", "first_name"
        )

        # A refusal (an e-mail someone has) is shown at the input, with what was typed.
        page = ui.get(f"/ui/people/{paula_id}")
        form = {
            "csrf": csrf_of(page.text),
            "first_name": "Paula",
            "last_name": "Parker-Jones",
            "email": "mark@demo.test",
            "position": "Lead buyer",
            "department_id": "",
            "phone": "+1 555 0100",
            "rights": ["manage_roles"],
        }
        refused = ui.post(f"/ui/people/{paula_id}", data=form)
        assert refused.status_code == 400 and "non_unique_email" in refused.text
        assert 'id="p-email-hint"' in refused.text and 'aria-invalid="true"' in refused.text
        assert 'value="Parker-Jones"' in refused.text and 'value="Lead buyer"' in refused.text
        assert members(server, alice)[paula_id] == paula  # nothing changed

        saved = ui.post(f"/ui/people/{paula_id}", data=form | {"email": "paula.p@demo.test"})
        assert saved.status_code == 303, saved.text
        paula = members(server, alice)[paula_id]
        assert paula["email"] == "paula.p@demo.test" and paula["last_name"] == "Parker-Jones"
        assert paula["position"] == "Lead buyer" and paula["rights"] == 0x1
        assert "department_id" not in paula  # emptied: the API's drop_department

        # The form sends only what was changed on it: a change made meanwhile through the API
        # to another input stays.
        page = ui.get(f"/ui/people/{paula_id}")
        api_call(server, "PUT", f"/v4/members/{paula_id}", alice, {"position": "Head buyer"})
        typed = {**form, "email": "paula.p@demo.test", "department_id": "", "phone": "+1 555 0199"}
        answer = ui.post(f"/ui/people/{paula_id}", data={**_was(page.text), **typed})
        assert answer.status_code == 303
        paula = members(server, alice)[paula_id]
        assert paula["position"] == "Head buyer" and paula["phone"] == "+1 555 0199"

        refused = ui.post("/ui/people/1001/fire", data={"csrf": csrf_of(page.text)})
        assert refused.status_code == 400 and "cannot_be_fired" in refused.text
        fired = ui.post(
            f"/ui/people/{paula_id}/fire",
            data={"csrf": csrf_of(page.text), "task_receiver_id": "1002"},
        )
        assert fired.status_code == 303
        paula = members(server, alice)[paula_id]
        assert paula["fired"] is True and paula["task_receiver"] == 1002
        assert "Fire this person" not in ui.get(f"/ui/people/{paula_id}").text


def test_roles_are_created_renamed_staffed_and_deleted_as_through_the_api(
    db_url: str, ui_server: Start, tmp_path: Path
) -> None:
    server = ui_server(db_url=db_url, workspace=managing_workspace(tmp_path))
    alice = api_headers(server, "alice@demo.test", "alice-demo-key")
    with server.client() as ui:
        assert sign_in(ui, **ALICE).is_redirect
        page = ui.get("/ui/roles/new")
        refused = ui.post(
            "/ui/roles/new", data={"csrf": csrf_of(page.text), "name": " ", "member_add": "1002"}
        )
        assert refused.status_code == 400 and "required_parameter_missing" in refused.text
        assert 'id="r-name-hint"' in refused.text
        assert '<option value="1002" selected>' in refused.text  # the choice is kept
        before = roles(server, alice)
        created = ui.post(
            "/ui/roles/new",
            data={"csrf": csrf_of(page.text), "name": "Buyers", "member_add": ["1002", "1003"]},
        )
        assert created.status_code == 303, created.text
        role_id = int(created.headers["location"].split("/")[-1].split("?")[0])
        assert set(roles(server, alice)) - set(before) == {role_id}
        assert roles(server, alice)[role_id] == {
            "id": role_id,
            "name": "Buyers",
            "banned": False,
            "member_ids": [1002, 1003],
        }

        page = ui.get(f"/ui/roles/{role_id}")
        saved = ui.post(
            f"/ui/roles/{role_id}",
            data={
                "csrf": csrf_of(page.text),
                "name": "Purchasing",
                "member_remove": "1003",
                "member_add": "1001",
            },
        )
        assert saved.status_code == 303, saved.text
        role = roles(server, alice)[role_id]
        assert role["name"] == "Purchasing" and role["member_ids"] == [1001, 1002]
        # The same change through the API gives the same role.
        twin = api_call(
            server, "POST", "/v4/roles", alice, {"name": "Buyers", "member_add": [1002, 1003]}
        )
        twin = api_call(
            server,
            "PUT",
            f"/v4/roles/{twin['id']}",
            alice,
            {"name": "Purchasing", "member_remove": [1003], "member_add": [1001]},
        )
        assert {k: v for k, v in twin.items() if k != "id"} == {
            k: v for k, v in role.items() if k != "id"
        }

        bad = ui.post(
            f"/ui/roles/{role_id}",
            data={"csrf": csrf_of(page.text), "name": "Purchasing", "member_add": "x1"},
        )
        assert bad.status_code == 400 and "is not a person" in bad.text
        deleted = ui.post(f"/ui/roles/{role_id}/delete", data={"csrf": csrf_of(page.text)})
        assert deleted.status_code == 303
        assert roles(server, alice)[role_id]["fired"] is True
        listed = ui.get("/ui/roles").text
        assert f'/ui/roles/{role_id}"' not in listed and f'/ui/roles/{twin["id"]}"' in listed
        assert ui.get(f"/ui/roles/{role_id}").status_code == 404


def test_without_the_rights_the_directory_is_read_only(
    db_url: str, ui_server: Start, tmp_path: Path
) -> None:
    server = ui_server(db_url=db_url, workspace=managing_workspace(tmp_path))
    alice = api_headers(server, "alice@demo.test", "alice-demo-key")
    before_members, before_roles = members(server, alice), roles(server, alice)
    with server.client() as ui:
        assert sign_in(ui, **MARK).is_redirect
        people = ui.get("/ui/people")
        assert people.status_code == 200 and "Erin Engineer" in people.text
        assert "Add a person" not in people.text
        person = ui.get("/ui/people/1003")
        assert person.status_code == 200 and "Save the person" not in person.text
        assert "readonly" in person.text and "Fire this person" not in person.text
        role = ui.get("/ui/roles/3001")
        assert role.status_code == 200 and "Mark Manager" in role.text
        assert "Save the role" not in role.text
        csrf = csrf_of(people.text)
        for path, form in (
            ("/ui/people/new", {"first_name": "Eve", "email": "eve@demo.test"}),
            ("/ui/people/1003", {"first_name": "Eve", "email": "erin@demo.test"}),
            ("/ui/people/1003/fire", {}),
            ("/ui/roles/new", {"name": "Mine"}),
            ("/ui/roles/3001", {"name": "Mine"}),
            ("/ui/roles/3001/delete", {}),
        ):
            answer = ui.post(path, data={"csrf": csrf, **form})
            assert answer.status_code == 403, path
        assert ui.get("/ui/people/new").status_code == 403
    assert members(server, alice) == before_members and roles(server, alice) == before_roles


def test_a_form_from_another_session_changes_nothing(ui_server: Start, tmp_path: Path) -> None:
    server = ui_server(workspace=managing_workspace(tmp_path))
    alice = api_headers(server, "alice@demo.test", "alice-demo-key")
    with server.client() as ui:
        assert sign_in(ui, **ALICE).is_redirect
        answer = ui.post("/ui/roles/new", data={"csrf": "forged", "name": "Forged"})
        assert answer.status_code == 400 and "Form expired" in answer.text
    assert all(r["name"] != "Forged" for r in roles(server, alice).values())


def test_ui_changes_survive_a_restart_and_the_workspace_file_wins_for_what_it_names(
    db_url: str, ui_server: Start, tmp_path: Path
) -> None:
    workspace = managing_workspace(tmp_path)
    first = ui_server(db_url=db_url, workspace=workspace)
    with first.client() as ui:
        assert sign_in(ui, **ALICE).is_redirect
        page = ui.get("/ui/people/new")
        added = ui.post(
            "/ui/people/new",
            data={"csrf": csrf_of(page.text), "first_name": "Nina", "email": "nina@demo.test"},
        )
        nina = int(added.headers["location"].split("/")[-1].split("?")[0])
        created = ui.post(
            "/ui/roles/new",
            data={"csrf": csrf_of(page.text), "name": "Night shift", "member_add": str(nina)},
        )
        night = int(created.headers["location"].split("/")[-1].split("?")[0])
        # Mark and the role Managers are named by the workspace file.
        mark = ui.get("/ui/people/1002")
        changed = ui.post(
            "/ui/people/1002",
            data={
                "csrf": csrf_of(mark.text),
                "first_name": "Marcus",
                "last_name": "Manager",
                "email": "mark@demo.test",
                "position": "Head of purchasing",
                "department_id": "",
                "phone": "",
                "rights": "manage_roles",
            },
        )
        assert changed.status_code == 303, changed.text
        managers = ui.get("/ui/roles/3001")
        renamed = ui.post(
            "/ui/roles/3001",
            data={"csrf": csrf_of(managers.text), "name": "Buyers", "member_add": "1003"},
        )
        assert renamed.status_code == 303, renamed.text

    # A restart loads the same file again into the same database.
    second = ui_server(db_url=db_url, workspace=workspace)
    alice = api_headers(second, "alice@demo.test", "alice-demo-key")
    people, all_roles = members(second, alice), roles(second, alice)
    assert people[nina]["first_name"] == "Nina" and not people[nina]["fired"]
    assert all_roles[night]["name"] == "Night shift"
    assert all_roles[night]["member_ids"] == [nina]
    # A name changed at run time stays while the file keeps its own; what else the file sets
    # of a person or role it names is the file's again.
    assert people[1002]["first_name"] == "Marcus"
    assert people[1002]["position"] == "Purchasing manager"
    assert people[1002]["rights"] == 0
    assert all_roles[3001]["name"] == "Managers" and all_roles[3001]["member_ids"] == [1002]
