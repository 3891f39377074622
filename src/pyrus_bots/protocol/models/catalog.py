"""Catalogs (spec 3.10, API 4.4): lookup tables that catalog fields choose from."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from pyrus_bots.protocol.models.base import PyrusDateTime, PyrusModel

__all__ = [
    "Catalog",
    "CatalogCreateRequest",
    "CatalogDiffRequest",
    "CatalogHeader",
    "CatalogInfo",
    "CatalogItem",
    "CatalogSyncRequest",
    "CatalogSyncResponse",
    "CatalogsResponse",
    "CatalogsSyncResponse",
]


class CatalogHeader(PyrusModel):
    """A catalog column; ``type`` is ``text`` or ``workflow``."""

    name: str | None = None
    type: str | None = None


class CatalogItem(PyrusModel):
    """A catalog row; the first column is its key for sync and diff."""

    item_id: int | None = None
    values: list[str] = Field(default_factory=list)
    deleted: bool | None = None
    external_id: str | None = None
    links: list[Any] = Field(default_factory=list)

    @property
    def key(self) -> str | None:
        return self.values[0] if self.values else None


class Catalog(PyrusModel):
    """``GET /catalogs/{id}``: the headers and items of one catalog."""

    catalog_id: int | None = None
    name: str | None = None
    external_id: str | None = None
    version: int | None = None
    external_version: int | None = None
    deleted: bool | None = None
    supervisors: list[int] = Field(default_factory=list)
    catalog_headers: list[CatalogHeader] = Field(default_factory=list)
    column_settings: list[Any] = Field(default_factory=list)
    items: list[CatalogItem] = Field(default_factory=list)
    source_type: str | None = None
    last_sync_date: PyrusDateTime | None = None
    last_change_date: PyrusDateTime | None = None

    def item(self, key: int | str) -> CatalogItem | None:
        """An item by id (int) or by its first column (str)."""
        if isinstance(key, int):
            return next((item for item in self.items if item.item_id == key), None)
        return next((item for item in self.items if item.key == key), None)

    def header_names(self) -> list[str]:
        return [header.name or "" for header in self.catalog_headers]


class CatalogInfo(PyrusModel):
    """An entry of ``GET /catalogs`` (no items)."""

    catalog_id: int | None = None
    name: str | None = None
    source_type: str | None = None
    external_id: str | None = None
    version: int | None = None
    external_version: int | None = None
    deleted: bool | None = None
    supervisors: list[int] = Field(default_factory=list)
    column_settings: list[Any] = Field(default_factory=list)
    links: list[Any] = Field(default_factory=list)


class CatalogsResponse(PyrusModel):
    """``GET /catalogs``."""

    catalogs: list[CatalogInfo] = Field(default_factory=list)


class CatalogSyncResponse(PyrusModel):
    """What catalog sync and diff answer: the items added, deleted and updated."""

    catalog_id: int | None = None
    apply: bool | None = None
    added: list[CatalogItem] = Field(default_factory=list)
    deleted: list[CatalogItem] = Field(default_factory=list)
    updated: list[CatalogItem] = Field(default_factory=list)
    catalog_headers: list[CatalogHeader] = Field(default_factory=list)


class CatalogsSyncResponse(PyrusModel):
    """``POST /catalogs/bulk``: one sync answer per catalog, in the order of the request."""

    catalogs: list[CatalogSyncResponse] = Field(default_factory=list)


class CatalogCreateRequest(PyrusModel):
    """``PUT /catalogs``: a new catalog from header names and rows of values."""

    name: str | None = None
    catalog_headers: list[str | CatalogHeader] = Field(default_factory=list)
    items: list[CatalogItem] = Field(default_factory=list)
    source_type: str | None = None

    def header_names(self) -> list[str]:
        return _header_names(self.catalog_headers)


class CatalogSyncRequest(PyrusModel):
    """``POST /catalogs/{id}``: replace the whole catalog (items left out are deleted);
    ``apply: false`` only reports what would change."""

    apply: bool | None = None
    catalog_headers: list[str | CatalogHeader] = Field(default_factory=list)
    items: list[CatalogItem] = Field(default_factory=list)
    force_update_first_column: bool | None = None

    def header_names(self) -> list[str]:
        return _header_names(self.catalog_headers)


class CatalogDiffRequest(PyrusModel):
    """``POST /catalogs/{id}/diff``: upsert rows and delete rows by their first column."""

    upsert: list[CatalogItem] = Field(default_factory=list)
    delete: list[str] = Field(default_factory=list)


def _header_names(headers: list[str | CatalogHeader]) -> list[str]:
    return [h if isinstance(h, str) else (h.name or "") for h in headers]
