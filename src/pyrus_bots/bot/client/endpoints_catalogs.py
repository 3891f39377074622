"""Catalogs in bulk (``/catalogs/bulk``) as :class:`Call` builders, registered on both clients
like :mod:`.endpoints` (which holds the single-catalog calls).

Each request is a protocol model (``protocol.models.catalog_requests``) or a plain dict sent as
it is. The server applies all of a bulk call or none of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from pyrus_bots.bot.client.core import ApiRequest, Call, json_body
from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.catalog import (
    CatalogInfo,
    CatalogsResponse,
    CatalogsSyncResponse,
    CatalogSyncResponse,
)
from pyrus_bots.protocol.models.catalog_requests import CreateCatalogRequest, SyncCatalogsItem

__all__ = ["create_catalogs", "delete_catalogs", "sync_catalogs"]


def _body(value: PyrusModel | Mapping[str, Any]) -> dict[str, Any]:
    return value.to_pyrus() if isinstance(value, PyrusModel) else dict(value)


def _created(response: httpx.Response) -> list[CatalogInfo]:
    return CatalogsResponse.from_pyrus(json_body(response)).catalogs


def _synced(response: httpx.Response) -> list[CatalogSyncResponse]:
    return CatalogsSyncResponse.from_pyrus(json_body(response)).catalogs


def create_catalogs(
    catalogs: Sequence[CreateCatalogRequest | Mapping[str, Any]],
) -> Call[list[CatalogInfo]]:
    """``PUT /catalogs/bulk``: 1 to 100 new catalogs, each like ``create_catalog``."""
    body = [_body(catalog) for catalog in catalogs]
    return Call(ApiRequest("PUT", "catalogs/bulk", json=body, idempotent=False), _created)


def sync_catalogs(
    syncs: Sequence[SyncCatalogsItem | Mapping[str, Any]],
) -> Call[list[CatalogSyncResponse]]:
    """``POST /catalogs/bulk``: 1 to 100 syncs, each with its catalog's ``id``; like
    ``sync_catalog``, only ``apply: true`` changes a catalog (else the answer is a preview)."""
    body = [_body(sync) for sync in syncs]
    return Call(ApiRequest("POST", "catalogs/bulk", json=body, idempotent=False), _synced)


def delete_catalogs(catalog_ids: Sequence[int]) -> Call[None]:
    """``DELETE /catalogs/bulk``: mark 1 to 100 catalogs deleted."""
    body = [{"id": int(catalog_id)} for catalog_id in catalog_ids]
    request = ApiRequest("DELETE", "catalogs/bulk", json=body, idempotent=False)
    return Call(request, lambda r: None)
