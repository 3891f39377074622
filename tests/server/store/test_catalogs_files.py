"""Catalogs (create, sync, diff, versions, Pyrus validation) and files."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.store import catalogs, files
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import directory_version


async def test_workspace_catalogs_are_stored_in_order(seeded: Database) -> None:
    async with seeded.session() as s:
        centers = await catalogs.get_catalog(s, 4001)
        assert centers is not None and centers.headers == ["Code", "Name"]
        assert [i.values for i in centers.items] == [
            ["CC1", "Marketing"],
            ["CC2", "Sales"],
            ["CC3", "Research"],
        ]
        assert len({i.item_id for i in centers.items}) == 3
        assert [c.id for c in await catalogs.list_catalogs(s)] == [4001, 4002]
        assert await catalogs.get_catalog(s, 9999) is None


async def test_create_sync_and_diff(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        created = await catalogs.create_catalog(s, None, "Colors", ["Key", "Hex"], [["red", "f00"]])
        assert created.id > 4002 and created.version == 1
        red_id = created.items[0].item_id
        dry = await catalogs.sync_catalog(
            s, created.id, ["Key", "Hex"], [["red", "e00"], ["blue", "00f"]], apply=False
        )
        assert not dry.applied and [i.values for i in dry.added] == [["blue", "00f"]]
        unchanged = await catalogs.get_catalog(s, created.id)
        assert unchanged is not None and unchanged.version == 1
        assert [i.values for i in unchanged.items] == [["red", "f00"]]

        synced = await catalogs.sync_catalog(
            s, created.id, ["Key", "Hex"], [["red", "e00"], ["blue", "00f"]]
        )
        assert [(i.item_id, i.values) for i in synced.updated] == [(red_id, ["red", "e00"])]
        assert [i.values for i in synced.added] == [["blue", "00f"]]
        blue_id = synced.added[0].item_id

        gone = await catalogs.sync_catalog(s, created.id, ["Key", "Hex"], [["blue", "00f"]])
        assert [i.item_id for i in gone.deleted] == [red_id] and not gone.added

        version = await directory_version(s)
        diff = await catalogs.diff_catalog(
            s, created.id, upsert=[["red", "f00"], ["green", "0f0"]], delete=["blue"]
        )
        # red comes back with its old id
        assert (diff.added[0].item_id, diff.added[0].values) == (red_id, ["red", "f00"])
        assert [i.item_id for i in diff.deleted] == [blue_id]
        assert await directory_version(s) > version
        nothing = await catalogs.diff_catalog(s, created.id, upsert=[["red", "f00"]])
        assert not nothing.changed
        final = await catalogs.get_catalog(s, created.id)
        assert final is not None and final.version == 4
        live = [i.values for i in final.items if not i.deleted]
        assert live == [["red", "f00"], ["green", "0f0"]]
        only_live = await catalogs.get_catalog(s, created.id, include_deleted_items=False)
        assert only_live is not None and len(only_live.items) == 2


@pytest.mark.parametrize(
    ("headers", "items", "code"),
    [
        ([], [], "empty_catalog_headers"),
        (["A", "A"], [], "catalog_duplicate_headers"),
        (["A", "B"], [["x"]], "catalog_headers_items_mismatch"),
        (["A"], [["x"], ["x"]], "catalog_duplicate_rows"),
        (["A"], [["x" * 501]], "catalog_item_max_length_exceeded"),
    ],
)
async def test_catalog_validation(
    sqlite_database: Database, headers: list[str], items: list[list[str]], code: str
) -> None:
    with pytest.raises(PyrusError) as error:
        catalogs.validate_catalog(headers, items)
    assert error.value.code == code


async def test_diff_of_unknown_catalog(seeded: Database) -> None:
    async with seeded.session() as s:
        with pytest.raises(PyrusError) as error:
            await catalogs.diff_catalog(s, 123456, upsert=[["x", "y"]])
    assert error.value.code == "invalid_catalog_id"


async def test_rename_catalog_bumps_versions_only_on_a_change(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        before = await catalogs.get_catalog(s, 4001)
        start = await directory_version(s)
        assert await catalogs.rename_catalog(s, 4001, "Cost centres")
        assert not await catalogs.rename_catalog(s, 4001, "Cost centres")  # same name
        assert not await catalogs.rename_catalog(s, 9999, "Nothing")
        assert await directory_version(s) == start + 1
    async with seeded.session() as s:
        renamed = await catalogs.get_catalog(s, 4001)
    assert before is not None and renamed is not None
    assert renamed.name == "Cost centres" and renamed.version == before.version + 1
    assert renamed.items == before.items


async def test_files_round_trip(seeded: Database) -> None:
    content = bytes(range(256)) * 100
    async with seeded.session() as s, s.begin():
        ref = await files.save_file(s, "report.bin", content, 1001)
        empty = await files.save_file(s, "empty.txt", b"", None)
    assert ref.md5 == hashlib.md5(content).hexdigest() and ref.size == len(content)
    assert len(ref.guid) == 36 and ref.guid != empty.guid and ref.id != empty.id
    async with seeded.session() as s:
        assert await files.get_file_by_id(s, ref.id) == ref
        assert await files.get_file_by_guid(s, ref.guid) == ref
        assert await files.read_content(s, ref.id) == content
        assert await files.read_content(s, empty.id) == b""
        assert await files.read_content(s, 999999) is None
        assert await files.get_file_by_guid(s, "nope") is None
        assert await files.file_owner(s, ref.id) == 1001
        assert await files.file_owner(s, empty.id) is None
        assert await files.file_owner(s, 999999) is None


async def test_concurrent_diffs_do_not_collide(seeded: Database) -> None:
    async def add(key: str) -> None:
        async with seeded.session() as s, s.begin():
            await catalogs.diff_catalog(s, 4002, upsert=[[key], ["Shared"]])

    await asyncio.gather(*(add(f"Vendor {n}") for n in range(6)))
    async with seeded.session() as s:
        vendors = await catalogs.get_catalog(s, 4002)
    assert vendors is not None
    keys = sorted(i.values[0] for i in vendors.items)
    assert keys == sorted(["Initech", "Globex", "Shared", *(f"Vendor {n}" for n in range(6))])
    assert vendors.version == 7  # one bump per diff that changed something
