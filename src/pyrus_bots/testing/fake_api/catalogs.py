"""Catalogs in the fake API: list, read with filters, create, sync and diff."""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.testing.fake_api.common import JSON, json_response, pyrus_error, truthy
from pyrus_bots.testing.fake_api.state import FakeState


async def get_catalogs(fake: FakeState, request: Request, body: Any) -> Response:
    infos = [
        {k: v for k, v in c.items() if k not in ("items", "catalog_headers")}
        for c in fake.catalogs.values()
    ]
    return json_response({"catalogs": infos})


async def get_catalog(fake: FakeState, request: Request, body: Any) -> Response:
    catalog = copy.deepcopy(fake._catalog_or_403(request.path_params["catalog_id"]))
    include_deleted = truthy(request.query_params.get("include_deleted", "false"))
    headers = [h["name"] for h in catalog.get("catalog_headers", [])]
    columns = request.query_params.getlist("column")
    values = request.query_params.getlist("value")
    items = [i for i in catalog["items"] if include_deleted or not i.get("deleted")]
    for column, value in zip(columns, values, strict=False):
        if column in headers:
            index = headers.index(column)
            items = [i for i in items if i["values"][index] == value]
    catalog["items"] = items
    return json_response(catalog)


async def create_catalog(fake: FakeState, request: Request, body: Any) -> Response:
    data = body if isinstance(body, dict) else {}
    headers = data.get("catalog_headers") or []
    if not headers:
        raise pyrus_error("empty_catalog_headers", "A catalog needs headers")
    catalog = fake.add_catalog(
        {
            "name": data.get("name", ""),
            "catalog_headers": [{"name": h, "type": "text"} for h in headers],
            "items": [{"values": list(item.get("values", []))} for item in data.get("items") or []],
            "source_type": data.get("source_type", "default"),
        }
    )
    return json_response(catalog)


async def sync_catalog(fake: FakeState, request: Request, body: Any) -> Response:
    catalog = fake._catalog_or_403(request.path_params["catalog_id"])
    data = body if isinstance(body, dict) else {}
    wanted = {item["values"][0]: list(item["values"]) for item in data.get("items") or []}
    current = {i["values"][0]: i for i in catalog["items"] if not i.get("deleted")}
    upsert = [
        values for key, values in wanted.items() if current.get(key, {}).get("values") != values
    ]
    delete = [key for key in current if key not in wanted]
    # A sync changes the catalog only with "apply": true; without it, it is a preview.
    apply = data.get("apply") is True
    result = _change_catalog(fake, catalog, upsert, delete, apply=apply)
    headers = data.get("catalog_headers")
    if headers and apply:
        catalog["catalog_headers"] = [{"name": h, "type": "text"} for h in headers]
    return json_response(result)


async def diff_catalog(fake: FakeState, request: Request, body: Any) -> Response:
    catalog = fake._catalog_or_403(request.path_params["catalog_id"])
    data = body if isinstance(body, dict) else {}
    upsert = [list(item["values"]) for item in data.get("upsert") or []]
    result = _change_catalog(
        fake,
        catalog,
        upsert,
        [str(k) for k in data.get("delete") or []],
        apply=data.get("apply", True) is not False,
    )
    return json_response(result)


def _change_catalog(
    fake: FakeState, catalog: JSON, upsert: list[list[Any]], delete: list[str], *, apply: bool
) -> JSON:
    current = {i["values"][0]: i for i in catalog["items"] if not i.get("deleted")}
    added, updated, deleted = [], [], []
    for values in upsert:
        item = current.get(values[0])
        if item is None:
            item = {"item_id": fake._next_id(), "values": values}
            added.append(item)
            if apply:
                catalog["items"].append(item)
        elif item["values"] != values:
            updated.append({"item_id": item["item_id"], "values": values})
            if apply:
                item["values"] = values
    for key in delete:
        if key in current:
            deleted.append(copy.deepcopy(current[key]))
            if apply:
                current[key]["deleted"] = True
    if apply and (added or updated or deleted):
        catalog["version"] = int(catalog.get("version", 1)) + 1
    return {
        "apply": apply,
        "added": added,
        "updated": updated,
        "deleted": deleted,
        "catalog_headers": catalog.get("catalog_headers", []),
    }
