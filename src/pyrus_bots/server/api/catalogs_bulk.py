"""Catalogs in bulk (the C# client's ``CreateCatalogs``, ``SyncCatalogs``, ``DeleteCatalogs``).

The body is a JSON array of 1 to 100 of the single call's bodies; each entry follows the rules
of ``PUT /catalogs`` or ``POST /catalogs/{id}`` and all of them apply in one transaction, or none
(the first broken rule answers its error). Like the single calls they need the
``manage_integrations_and_catalogs`` right; an unknown catalog is 403 ``access_denied_catalog``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from pyrus_bots.protocol.models.catalog_requests import (
    CreateCatalogRequest,
    DeleteCatalogRequest,
    SyncCatalogsItem,
)
from pyrus_bots.server.api.body import json_array_body, read_array
from pyrus_bots.server.api.catalogs import check_known, check_name, create_one, sync_one
from pyrus_bots.server.api.context import CallerDep, api_state
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.rights import MANAGE_INTEGRATIONS_AND_CATALOGS, require_right
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.store import catalogs as catalog_store
from pyrus_bots.server.workflow.render import render_catalog_info

router = APIRouter(tags=["catalogs"])

MAX_BULK_CATALOGS = 100


@router.put(
    "/catalogs/bulk",
    summary="Create several catalogs (a JSON array)",
    openapi_extra=json_array_body(CreateCatalogRequest),
)
async def create_catalogs(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    bodies = await read_array(request, CreateCatalogRequest, maximum=MAX_BULK_CATALOGS)
    for body in bodies:
        check_name(body)
    async with writing(api_state(request)) as session:
        created = [await create_one(session, caller, body) for body in bodies]
    return CollectionResponse({"catalogs": [render_catalog_info(c) for c in created]}, "catalogs")


@router.post(
    "/catalogs/bulk",
    summary="Sync several catalogs (a JSON array, each with its id)",
    openapi_extra=json_array_body(SyncCatalogsItem),
)
async def sync_catalogs(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    bodies = await read_array(request, SyncCatalogsItem, maximum=MAX_BULK_CATALOGS)
    for body in bodies:
        check_known(caller, body.id)
    async with writing(api_state(request)) as session:
        answers = [await sync_one(session, body.id, body) for body in bodies]
    return CollectionResponse({"catalogs": answers}, "catalogs")


@router.delete(
    "/catalogs/bulk",
    summary="Delete several catalogs (a JSON array of {id})",
    openapi_extra=json_array_body(DeleteCatalogRequest),
)
async def delete_catalogs(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    require_right(caller, MANAGE_INTEGRATIONS_AND_CATALOGS)
    bodies = await read_array(request, DeleteCatalogRequest, maximum=MAX_BULK_CATALOGS)
    for body in bodies:
        check_known(caller, body.id)
    async with writing(api_state(request)) as session:
        for body in bodies:
            await catalog_store.delete_catalog(session, body.id)
    return PyrusJSONResponse({})
