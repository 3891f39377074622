"""Catalogs, announcements and the profile with the exact requests each official client sends
(tests/fixtures/clients/<client>/*.json), over HTTP to a real platform on SQLite and PostgreSQL,
answers checked against the shapes the clients declare (``client_shapes``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.client_fixtures import CLIENTS, send
from api.client_shapes import (
    check_announcement,
    check_catalog,
    check_catalog_info,
    check_identity,
    check_sync,
)
from api.harness import ALICE, BOB, ORG_ID, RunningServer, assert_error, person_client
from api.people_shapes import check_person


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def _values(catalog: dict[str, Any]) -> dict[str, list[str]]:
    return {item["values"][0]: item["values"] for item in catalog.get("items", [])}


@pytest.mark.parametrize("client", CLIENTS)
def test_catalogs_as_each_client_sends_them(module_server: RunningServer, client: str) -> None:
    alice = person_client(module_server, ALICE)
    created = check_catalog(ok(send(alice, client, "catalogs_create")))
    catalog_id = created["catalog_id"]
    assert created["name"] == f"Suppliers ({client})" and created["deleted"] is False
    assert [h["name"] for h in created["catalog_headers"]] == ["Code", "Supplier", "City"]
    assert sorted(_values(created)) == ["S1", "S2", "S3"]
    assert all(item["item_id"] > 0 for item in created["items"])

    got = check_catalog(ok(send(alice, client, "catalogs_get", catalog=catalog_id)))
    # C# and Python filter on City = Berlin; TypeScript asks for the whole catalog.
    assert sorted(_values(got)) == (["S1", "S2", "S3"] if client == "typescript" else ["S1"])

    preview = check_sync(ok(send(alice, client, "catalogs_sync_preview", catalog=catalog_id)))
    assert preview["apply"] is False and preview["catalog_id"] == catalog_id
    assert [i["values"][0] for i in preview["added"]] == ["S4"]
    assert [i["values"] for i in preview["updated"]] == [["S1", "Acme", "Munich"]]
    assert [i["values"][0] for i in preview["deleted"]] == ["S3"]
    unchanged = check_catalog(ok(alice.get(f"/v4/catalogs/{catalog_id}")))
    assert unchanged == created  # a preview changes nothing, not even the version

    applied = check_sync(ok(send(alice, client, "catalogs_sync_apply", catalog=catalog_id)))
    assert applied["apply"] is True and [i["values"][0] for i in applied["added"]] == ["S4"]
    assert all(item["item_id"] > 0 for item in applied["added"])
    synced = check_catalog(ok(alice.get(f"/v4/catalogs/{catalog_id}")))
    assert _values(synced) == {
        "S1": ["S1", "Acme", "Munich"],
        "S2": ["S2", "Globex", "Paris"],
        "S4": ["S4", "Hooli", "Palo Alto"],
    }
    assert synced["version"] > created["version"]

    diffed = check_sync(ok(send(alice, client, "catalogs_diff", catalog=catalog_id)))
    assert [i["values"][0] for i in diffed["added"]] == ["S5"]
    assert [i["values"] for i in diffed["updated"]] == [["S2", "Globex", "Lyon"]]
    assert [i["values"][0] for i in diffed["deleted"]] == ["S4"]
    final = check_catalog(ok(alice.get(f"/v4/catalogs/{catalog_id}")))
    assert sorted(_values(final)) == ["S1", "S2", "S5"]
    listed = ok(alice.get("/v4/catalogs"))["catalogs"]
    info = check_catalog_info(next(c for c in listed if c["catalog_id"] == catalog_id))
    assert info["version"] == final["version"] and info["deleted"] is False


def test_catalogs_in_bulk_as_the_csharp_client_sends_them(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    created = ok(send(alice, "csharp", "catalogs_bulk_create"))
    infos = [check_catalog_info(c) for c in created["catalogs"]]
    assert [c["name"] for c in infos] == ["Warehouses", "Carriers"]
    ids = {"warehouses": infos[0]["catalog_id"], "carriers": infos[1]["catalog_id"]}
    warehouses = check_catalog(ok(alice.get(f"/v4/catalogs/{ids['warehouses']}")))
    assert sorted(_values(warehouses)) == ["W1", "W2"]

    synced = ok(send(alice, "csharp", "catalogs_bulk_sync", **ids))["catalogs"]
    answers = [check_sync(answer) for answer in synced]
    assert [a["catalog_id"] for a in answers] == [ids["warehouses"], ids["carriers"]]
    assert [i["values"][0] for i in answers[0]["added"]] == ["W3"]
    assert [i["values"][0] for i in answers[0]["deleted"]] == ["W2"]
    assert [i["values"] for i in answers[1]["updated"]] == [["C1", "FastShip Ltd"]]
    assert sorted(_values(ok(alice.get(f"/v4/catalogs/{ids['warehouses']}")))) == ["W1", "W3"]

    assert ok(send(alice, "csharp", "catalogs_bulk_delete", **ids)) == {}
    listed = {
        c["catalog_id"]: check_catalog_info(c) for c in ok(alice.get("/v4/catalogs"))["catalogs"]
    }
    assert listed[ids["warehouses"]]["deleted"] is True
    assert listed[ids["carriers"]]["deleted"] is True
    assert check_catalog(ok(alice.get(f"/v4/catalogs/{ids['carriers']}")))["deleted"] is True
    assert_error(
        send(alice, "csharp", "catalogs_bulk_sync", **ids), 400, "can_not_modify_deleted_catalog"
    )


def _catalog(alice: httpx.Client, name: str) -> dict[str, Any]:
    body = {"name": name, "catalog_headers": ["K", "V"], "items": [{"values": ["a", "1"]}]}
    return check_catalog(ok(alice.put("/v4/catalogs", json=body)))


def test_bulk_catalogs_are_all_or_nothing(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    before = ok(alice.get("/v4/catalogs"))["catalogs"]
    good = {"name": "Fine", "catalog_headers": ["K"], "items": [{"values": ["x"]}]}
    broken = {"name": "Broken", "catalog_headers": ["K", "K"]}
    assert_error(
        alice.put("/v4/catalogs/bulk", json=[good, broken]), 400, "catalog_duplicate_headers"
    )
    assert_error(
        alice.put("/v4/catalogs/bulk", json=[good, {"name": " ", "catalog_headers": ["K"]}]),
        400,
        "required_parameter_missing",
    )
    assert ok(alice.get("/v4/catalogs"))["catalogs"] == before

    kept = _catalog(alice, "Kept")
    sync = {"id": kept["catalog_id"], "apply": True, "catalog_headers": ["K", "V"], "items": []}
    unknown = {**sync, "id": 987654}
    assert_error(
        alice.post("/v4/catalogs/bulk", json=[sync, unknown]), 403, "access_denied_catalog"
    )
    mismatch = {**sync, "items": [{"values": ["only one"]}]}
    assert_error(
        alice.post("/v4/catalogs/bulk", json=[sync, mismatch]),
        400,
        "catalog_headers_items_mismatch",
    )
    assert_error(
        alice.request(
            "DELETE", "/v4/catalogs/bulk", json=[{"id": kept["catalog_id"]}, {"id": 987654}]
        ),
        403,
        "access_denied_catalog",
    )
    assert check_catalog(ok(alice.get(f"/v4/catalogs/{kept['catalog_id']}"))) == kept


def test_bulk_catalog_requests_are_checked(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    one = {"name": "X", "catalog_headers": ["K"]}
    for method in ("PUT", "POST", "DELETE"):
        assert_error(
            alice.request(method, "/v4/catalogs/bulk", json=[]), 400, "items_count_out_of_range"
        )
        too_many = [{**one, "id": 1}] * 101
        assert_error(
            alice.request(method, "/v4/catalogs/bulk", json=too_many),
            400,
            "items_count_out_of_range",
        )
        assert_error(alice.request(method, "/v4/catalogs/bulk", json=one), 400, "invalid_json")
        assert_error(alice.request(method, "/v4/catalogs/bulk", content=b"[{"), 400, "invalid_json")
        assert_error(alice.request(method, "/v4/catalogs/bulk"), 400, "empty_body")
        bob = person_client(module_server, BOB)
        assert_error(
            bob.request(method, "/v4/catalogs/bulk", json=[{**one, "id": 1}]), 403, "access_denied"
        )
    assert_error(
        alice.post("/v4/catalogs/bulk", json=[{"apply": True, "catalog_headers": ["K"]}]),
        400,
        "required_parameter_missing",
    )
    assert_error(
        alice.request("DELETE", "/v4/catalogs/bulk", json=[{"id": "7"}]),
        400,
        "invalid_value_format",
    )


def _upload(http: httpx.Client) -> str:
    files = {"file": ("notice.txt", b"closed on Friday", "text/plain")}
    guid: str = ok(http.post("/v4/files/upload", files=files))["guid"]
    return guid


@pytest.mark.parametrize("client", CLIENTS)
def test_announcements_as_each_client_sends_them(module_server: RunningServer, client: str) -> None:
    bob = person_client(module_server, BOB)
    guid = _upload(bob)
    created = ok(send(bob, client, "announcements_create", guid=guid))
    announcement = check_announcement(created["announcement"])
    assert announcement["text"] == "Office closed on Friday"
    assert [a["name"] for a in announcement["attachments"]] == ["notice.txt"]
    assert announcement["author"]["id"] == BOB["id"]
    ids = {"announcement": announcement["id"]}

    alice = person_client(module_server, ALICE)
    commented = ok(send(alice, client, "announcements_comment", **ids))["announcement"]
    comment = check_announcement(commented)["comments"][-1]
    assert comment["author"]["id"] == ALICE["id"]
    assert "thanks" in (comment.get("text") or comment.get("formatted_text") or "")

    got = check_announcement(ok(send(bob, client, "announcements_get", **ids))["announcement"])
    assert got == check_announcement(commented)
    listed = ok(send(alice, client, "announcements_list"))["announcements"]
    assert announcement["id"] in [check_announcement(a)["id"] for a in listed]


@pytest.mark.parametrize("client", CLIENTS)
def test_profile_as_each_client_asks(module_server: RunningServer, client: str) -> None:
    bob = person_client(module_server, BOB)
    profile = ok(send(bob, client, "profile_get"))
    assert profile["person_id"] == BOB["id"] and profile["organization_id"] == ORG_ID
    for person in profile["organization"]["persons"]:
        check_person(person)
    if client != "python":  # the Python client has no identity call
        identity = check_identity(ok(send(bob, client, "profile_identity")))
        assert identity == {"email": BOB["email"], "organization_id": ORG_ID}
