"""Catalogs: list, read with filters, create, sync, diff, and the right they need."""

from __future__ import annotations

from api.harness import (
    ALICE,
    BOB,
    CATALOG_ID,
    RunningServer,
    assert_error,
    bot_client,
    person_client,
)


def test_read_and_filter(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    listed = bob.get("/v4/catalogs").json()["catalogs"]
    assert CATALOG_ID in [c["catalog_id"] for c in listed] and "items" not in listed[0]
    catalog = bob.get(f"/v4/catalogs/{CATALOG_ID}").json()
    assert [h["name"] for h in catalog["catalog_headers"]] == ["Code", "Name"]
    assert [i["values"][0] for i in catalog["items"]] == ["CC1", "CC2", "CC3"]
    one = bob.get(f"/v4/catalogs/{CATALOG_ID}", params={"column": "Name", "value": "sales"})
    assert [i["values"] for i in one.json()["items"]] == [["CC2", "Sales"]]
    wild = bob.get(
        f"/v4/catalogs/{CATALOG_ID}",
        params=[
            ("column", "Code"),
            ("value", "CC*"),
            ("column", "Name"),
            ("value", "*r*"),
            ("use_wildcard", "True"),
        ],
    )
    assert [i["values"][0] for i in wild.json()["items"]] == ["CC1", "CC3"]
    assert_error(
        bob.get(f"/v4/catalogs/{CATALOG_ID}", params={"column": "Nope", "value": "x"}),
        400,
        "catalog_column_not_found",
    )
    assert_error(
        bob.get(f"/v4/catalogs/{CATALOG_ID}", params={"column": "Code"}),
        400,
        "invalid_catalog_item_filter",
    )
    assert_error(bob.get("/v4/catalogs/98765"), 403, "access_denied_catalog")
    assert bot_client(shared_server).get(f"/v4/catalogs/{CATALOG_ID}").status_code == 200


def test_create_sync_diff(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    created = alice.put(
        "/v4/catalogs",
        json={
            "name": "Colors",
            "catalog_headers": ["Key", "Hex"],
            "items": [
                {"values": ["red", "f00"], "rows": [["ignored"]]},
                {"values": ["green", "0f0"]},
            ],
        },
    )
    assert created.status_code == 200, created.text
    catalog = created.json()
    catalog_id = catalog["catalog_id"]
    assert [i["values"] for i in catalog["items"]] == [["red", "f00"], ["green", "0f0"]]

    preview = alice.post(
        f"/v4/catalogs/{catalog_id}",
        json={
            "apply": False,
            "catalog_headers": ["Key", "Hex"],
            "items": [{"values": ["red", "f00"]}, {"values": ["blue", "00f"]}],
        },
    ).json()
    assert preview["apply"] is False and [i["values"] for i in preview["added"]] == [
        ["blue", "00f"]
    ]
    assert len(alice.get(f"/v4/catalogs/{catalog_id}").json()["items"]) == 2  # unchanged
    # Without "apply" at all (the official Python client drops "apply": false): a preview too.
    unsaid = alice.post(
        f"/v4/catalogs/{catalog_id}",
        json={"catalog_headers": ["Key", "Hex"], "items": [{"values": ["blue", "00f"]}]},
    ).json()
    assert unsaid["apply"] is False and [i["values"][0] for i in unsaid["deleted"]] == [
        "red",
        "green",
    ]
    assert len(alice.get(f"/v4/catalogs/{catalog_id}").json()["items"]) == 2  # unchanged

    synced = alice.post(
        f"/v4/catalogs/{catalog_id}",
        json={
            "apply": True,
            "catalog_headers": ["Key", "Hex"],
            "items": [{"values": ["red", "ff0000"]}, {"values": ["blue", "00f"]}],
        },
    ).json()
    assert [i["values"] for i in synced["updated"]] == [["red", "ff0000"]]
    assert [i["values"] for i in synced["added"]] == [["blue", "00f"]]
    assert [i["values"][0] for i in synced["deleted"]] == ["green"]
    assert [h["name"] for h in synced["catalog_headers"]] == ["Key", "Hex"]

    diffed = alice.post(
        f"/v4/catalogs/{catalog_id}/diff",
        json={"upsert": [{"values": ["white", "fff"]}], "delete": ["red"]},
    ).json()
    assert [i["values"] for i in diffed["added"]] == [["white", "fff"]]
    assert [i["values"][0] for i in diffed["deleted"]] == ["red"]
    now = alice.get(f"/v4/catalogs/{catalog_id}").json()
    assert sorted(i["values"][0] for i in now["items"]) == ["blue", "white"]
    with_deleted = alice.get(f"/v4/catalogs/{catalog_id}", params={"include_deleted": "TRUE"})
    assert len(with_deleted.json()["items"]) == 4


def test_catalog_rules(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    headers_only = {"name": "X", "catalog_headers": ["A", "B"]}
    assert_error(
        alice.put("/v4/catalogs", json={**headers_only, "items": [{"values": ["a"]}]}),
        400,
        "catalog_headers_items_mismatch",
    )
    assert_error(
        alice.put("/v4/catalogs", json={"name": "X", "catalog_headers": []}),
        400,
        "empty_catalog_headers",
    )
    assert_error(
        alice.put("/v4/catalogs", json={"name": "X", "catalog_headers": ["A", "A"]}),
        400,
        "catalog_duplicate_headers",
    )
    assert_error(
        alice.put(
            "/v4/catalogs",
            json={**headers_only, "items": [{"values": ["k", "1"]}, {"values": ["k", "2"]}]},
        ),
        400,
        "catalog_duplicate_rows",
    )
    assert_error(
        alice.put("/v4/catalogs", json={"catalog_headers": ["A"]}),
        400,
        "required_parameter_missing",
    )
    assert_error(
        alice.post("/v4/catalogs/98765", json={"catalog_headers": ["A"]}),
        403,
        "access_denied_catalog",
    )


def test_changing_catalogs_needs_the_right(shared_server: RunningServer) -> None:
    before = person_client(shared_server, ALICE).get(f"/v4/catalogs/{CATALOG_ID}").json()
    for client in (person_client(shared_server, BOB), bot_client(shared_server)):
        assert_error(
            client.put("/v4/catalogs", json={"name": "N", "catalog_headers": ["A"]}),
            403,
            "access_denied",
        )
        assert_error(
            client.post(
                f"/v4/catalogs/{CATALOG_ID}",
                json={"catalog_headers": ["Code", "Name"], "items": []},
            ),
            403,
            "access_denied",
        )
        assert_error(
            client.post(f"/v4/catalogs/{CATALOG_ID}/diff", json={"delete": ["CC1"]}),
            403,
            "access_denied",
        )
    assert person_client(shared_server, ALICE).get(f"/v4/catalogs/{CATALOG_ID}").json() == before
