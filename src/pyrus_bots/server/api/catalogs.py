"""Catalogs (spec 4.4): list, read with filters, create, sync (full replace), diff.

Reading is open to every member of the organisation (bots included); creating and changing
catalogs needs the ``manage_integrations_and_catalogs`` right. Items match by first column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.catalog_requests import (
    CatalogDiffRequest,
    CatalogItemIn,
    CreateCatalogRequest,
    SyncCatalogRequest,
)
from pyrus_bots.server.api.body import json_body, parse_bool, read_body
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.rights import MANAGE_INTEGRATIONS_AND_CATALOGS, require_right
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.store import catalogs as catalog_store
from pyrus_bots.server.store.catalogs import CatalogChange
from pyrus_bots.server.workflow.render import render_catalog, render_catalog_info
from pyrus_bots.server.workflow.state import Catalog, CatalogItem

router = APIRouter(tags=["catalogs"])


def item_rows(items: Sequence[CatalogItemIn] | None) -> list[list[str]]:
    # Extra item keys (the Python client adds "rows") are ignored (spec 4.4).
    return [list(item.values) for item in items or []]


def _item(item: CatalogItem) -> dict[str, Any]:
    # A previewed new item has no id yet: 0, as the TypeScript client declares item_id required.
    return {"item_id": item.item_id, "values": item.values, "deleted": item.deleted}


def render_change(change: CatalogChange, catalog_id: int) -> dict[str, Any]:
    """The answer of a sync or diff (``SyncCatalogResponse`` of the clients)."""
    return {
        "catalog_id": catalog_id,
        "apply": change.applied,
        "added": [_item(i) for i in change.added],
        "updated": [_item(i) for i in change.updated],
        "deleted": [_item(i) for i in change.deleted],
        "catalog_headers": [{"name": h, "type": "text"} for h in change.headers],
    }


def check_known(caller: Caller, catalog_id: int) -> None:
    """403 ``access_denied_catalog`` for a catalog the organisation does not have."""
    if catalog_id not in caller.directory.catalogs:
        raise PyrusError("access_denied_catalog", f"catalog {catalog_id} is not accessible")


def check_name(body: CreateCatalogRequest) -> None:
    if not body.name.strip():
        raise PyrusError("required_parameter_missing", "name must not be empty")


async def create_one(session: AsyncSession, caller: Caller, body: CreateCatalogRequest) -> Catalog:
    """A new catalog from a checked ``PUT /catalogs`` body (also each of ``PUT /catalogs/bulk``)."""
    return await catalog_store.create_catalog(
        session,
        caller.directory.organization_id,
        body.name.strip(),
        body.catalog_headers,
        item_rows(body.items),
    )


async def sync_one(
    session: AsyncSession, catalog_id: int, body: SyncCatalogRequest
) -> dict[str, Any]:
    """A sync of ``POST /catalogs/{id}`` (also each of ``POST /catalogs/bulk``), rendered."""
    change = await catalog_store.sync_catalog(
        session,
        catalog_id,
        body.catalog_headers,
        item_rows(body.items),
        # Only "apply": true changes the catalog: without it a sync is a preview, so a
        # client that leaves out "apply": false (the official Python one) deletes nothing.
        apply=body.apply is True,
    )
    return render_change(change, catalog_id)


@router.get("/catalogs", summary="Catalogs of the organisation (without items)")
async def list_catalogs(caller: CallerDep) -> PyrusJSONResponse:
    catalogs = sorted(caller.directory.catalogs.values(), key=lambda c: c.id)
    return CollectionResponse({"catalogs": [render_catalog_info(c) for c in catalogs]}, "catalogs")


@router.get("/catalogs/{catalog_id}", summary="A catalog with its items")
async def get_catalog(
    caller: CallerDep,
    catalog_id: PathId,
    request: Request,
    include_deleted: Annotated[str, Query(description="true/false in any case")] = "false",
    use_wildcard: Annotated[str, Query(description="'*' and '?' in filter values")] = "false",
    column: Annotated[list[str] | None, Query(description="column name, paired with value")] = None,
    value: Annotated[list[str] | None, Query(description="value for the column")] = None,
) -> PyrusJSONResponse:
    check_known(caller, catalog_id)
    column, value = column or [], value or []
    if len(column) != len(value):
        raise PyrusError("invalid_catalog_item_filter", "each column needs one value")
    deleted = parse_bool(include_deleted, "include_deleted")
    wildcard = parse_bool(use_wildcard, "use_wildcard")
    async with reading(api_state(request)) as session:
        catalog = await catalog_store.get_catalog(session, catalog_id)
    if catalog is None:
        raise PyrusError("access_denied_catalog", f"catalog {catalog_id} is not accessible")
    filters = list(zip(column, value, strict=True))
    return PyrusJSONResponse(render_catalog(catalog, deleted, filters, use_wildcard=wildcard))


@router.put("/catalogs", summary="Create a catalog", openapi_extra=json_body(CreateCatalogRequest))
async def create_catalog(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    body = await read_body(request, CreateCatalogRequest)
    check_name(body)
    async with writing(api_state(request)) as session:
        catalog = await create_one(session, caller, body)
    return PyrusJSONResponse(render_catalog(catalog))


@router.post(
    "/catalogs/{catalog_id}",
    summary="Sync a catalog: exactly these items remain",
    openapi_extra=json_body(SyncCatalogRequest),
)
async def sync_catalog(
    catalog_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    check_known(caller, catalog_id)
    body = await read_body(request, SyncCatalogRequest)
    async with writing(api_state(request)) as session:
        answer = await sync_one(session, catalog_id, body)
    return PyrusJSONResponse(answer)


@router.post(
    "/catalogs/{catalog_id}/diff",
    summary="Upsert and delete catalog items by first column",
    openapi_extra=json_body(CatalogDiffRequest),
)
async def diff_catalog(
    catalog_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    check_known(caller, catalog_id)
    body = await read_body(request, CatalogDiffRequest)
    # Not a declared key of the diff, but sent by clients: read as leniently as ever.
    apply = parse_bool((body.model_extra or {}).get("apply", True), "apply")
    async with writing(api_state(request)) as session:
        change = await catalog_store.diff_catalog(
            session, catalog_id, item_rows(body.upsert), body.delete or [], apply=apply
        )
    return PyrusJSONResponse(render_change(change, catalog_id))
