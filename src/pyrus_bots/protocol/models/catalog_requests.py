"""Write side of catalogs (spec 4.5): create one, sync it to a full list, or apply a diff."""

from __future__ import annotations

from pyrus_bots.protocol.models.parsing import StrictBody

__all__ = [
    "CatalogDiffRequest",
    "CatalogItemIn",
    "CreateCatalogRequest",
    "DeleteCatalogRequest",
    "SyncCatalogRequest",
    "SyncCatalogsItem",
]


class CatalogItemIn(StrictBody):
    """One item: its values, one per header."""

    values: list[str]


class CreateCatalogRequest(StrictBody):
    """``PUT /catalogs``."""

    name: str
    catalog_headers: list[str]
    items: list[CatalogItemIn] | None = None
    source_type: str | None = None


class SyncCatalogRequest(StrictBody):
    """``POST /catalogs/{id}``: exactly these items remain; only with ``apply: true``, else it
    is a preview that changes nothing."""

    apply: bool | None = None
    catalog_headers: list[str]
    items: list[CatalogItemIn] | None = None
    force_update_first_column: bool | None = None


class CatalogDiffRequest(StrictBody):
    """``POST /catalogs/{id}/diff``: upsert and delete items by their first column."""

    upsert: list[CatalogItemIn] | None = None
    delete: list[str] | None = None


class SyncCatalogsItem(SyncCatalogRequest):
    """One entry of ``POST /catalogs/bulk``: a sync of the catalog ``id``."""

    id: int


class DeleteCatalogRequest(StrictBody):
    """One entry of ``DELETE /catalogs/bulk``."""

    id: int
