"""The SDK's bulk catalog methods, on the sync and the async client, against a real platform."""

from __future__ import annotations

import asyncio

import pytest

from api.harness import ALICE, BOB, RunningServer
from pyrus_bots.bot.client import AsyncPyrusClient, PyrusAPIError, PyrusClient
from pyrus_bots.protocol.models.catalog import CatalogInfo, CatalogSyncResponse
from pyrus_bots.protocol.models.catalog_requests import CreateCatalogRequest, SyncCatalogsItem


def test_sync_client_creates_syncs_and_deletes_catalogs_in_bulk(
    shared_server: RunningServer,
) -> None:
    token = shared_server.token(ALICE["email"], ALICE["key"])
    with PyrusClient.for_platform(shared_server.base_url, token) as client:
        created = client.create_catalogs(
            [
                CreateCatalogRequest(name="Fruit", catalog_headers=["Key", "Colour"]),
                {"name": "Veg", "catalog_headers": ["Key"], "items": [{"values": ["leek"]}]},
            ]
        )
        assert all(isinstance(c, CatalogInfo) for c in created)
        assert [c.name for c in created] == ["Fruit", "Veg"]
        fruit, veg = (c.catalog_id or 0 for c in created)
        preview = client.sync_catalogs(
            [SyncCatalogsItem(id=fruit, catalog_headers=["Key", "Colour"], items=[])]
        )
        assert isinstance(preview[0], CatalogSyncResponse) and preview[0].apply is False
        answers = client.sync_catalogs(
            [
                {
                    "id": fruit,
                    "apply": True,
                    "catalog_headers": ["Key", "Colour"],
                    "items": [{"values": ["apple", "red"]}],
                },
                {"id": veg, "apply": True, "catalog_headers": ["Key"], "items": []},
            ]
        )
        assert [a.catalog_id for a in answers] == [fruit, veg]
        assert [i.values for i in answers[0].added] == [["apple", "red"]]
        assert [i.values for i in answers[1].deleted] == [["leek"]]
        assert client.get_catalog(fruit).item("apple") is not None
        assert client.delete_catalogs([fruit, veg]) is None
        assert client.get_catalog(veg).deleted is True
        with pytest.raises(PyrusAPIError) as denied:
            client.delete_catalogs([fruit])
        assert denied.value.code == "can_not_modify_deleted_catalog"


def test_async_client_bulk_catalogs_and_rights(shared_server: RunningServer) -> None:
    alice = shared_server.token(ALICE["email"], ALICE["key"])
    bob = shared_server.token(BOB["email"], BOB["key"])

    async def main() -> None:
        async with AsyncPyrusClient.for_platform(shared_server.base_url, alice) as client:
            created = await client.create_catalogs([{"name": "Async", "catalog_headers": ["K"]}])
            catalog_id = created[0].catalog_id or 0
            synced = await client.sync_catalogs(
                [
                    {
                        "id": catalog_id,
                        "apply": True,
                        "catalog_headers": ["K"],
                        "items": [{"values": ["k1"]}],
                    }
                ]
            )
            assert [i.values for i in synced[0].added] == [["k1"]]
        async with AsyncPyrusClient.for_platform(shared_server.base_url, bob) as client:
            with pytest.raises(PyrusAPIError) as denied:
                await client.delete_catalogs([catalog_id])
            assert denied.value.code == "access_denied"
            assert (await client.get_catalog(catalog_id)).deleted is False

    asyncio.run(main())
