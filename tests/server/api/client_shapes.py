"""The catalog, announcement and identity shapes the official clients declare, for checking
answers (people are in ``people_shapes``).

Keys and JSON types transcribed from pyrusapi-csharp (``Responses/CatalogResponse.cs``,
``Entities/CatalogInfo.cs``, ``Entities/CatalogItem.cs``, ``Responses/SyncCatalogResponse.cs``,
``Entities/AnnouncementWithComments.cs``, ``Entities/AnnouncementComment.cs``,
``Responses/ProfileIdentityResponse.cs``: dates are ``DateTime``, read from ISO text) and the
required keys from pyrusapi-typescript (``src/responses/catalogResponse.ts``,
``src/entities/catalogInfo.ts``, ``src/responses/syncCatalogResponse.ts``,
``src/responses/catalogItemResponse.ts``, ``src/entities/announcementWithComments.ts``,
``src/entities/announcementComment.ts``, ``src/responses/profileIdentityResponse.ts``).
"""

from __future__ import annotations

from typing import Any

from api.people_shapes import PERSON_KEYS, check_shape

CATALOG_HEADER = {"name": str, "type": str}
CATALOG_ITEM = {"item_id": int, "external_id": int, "values": list, "deleted": bool, "links": list}
CATALOG = {
    "catalog_id": int,
    "name": str,
    "external_id": str,
    "version": int,
    "external_version": int,
    "deleted": bool,
    "supervisors": list,
    "catalog_headers": list,
    "column_settings": list,
    "items": list,
    "source_type": str,
    "last_sync_date": str,
    "last_change_date": str,
}
CATALOG_INFO = {
    "catalog_id": int,
    "name": str,  # the TypeScript type says number, C# string: names are text
    "source_type": str,
    "external_id": str,
    "version": int,
    "external_version": int,
    "deleted": bool,
    "supervisors": list,
    "column_settings": list,
    "links": list,
    "last_sync_date": str,
    "last_change_date": str,
}
SYNC = {
    "catalog_id": int,
    "apply": bool,
    "added": list,
    "deleted": list,
    "updated": list,
    "catalog_headers": list,
}
ANNOUNCEMENT = {
    "id": int,
    "text": str,
    "formatted_text": str,
    "create_date": str,
    "last_modified_date": str,
    "author": dict,
    "attachments": list,
    "comments": list,
}
ANNOUNCEMENT_COMMENT = {
    "id": int,
    "text": str,
    "formatted_text": str,
    "create_date": str,
    "author": dict,
    "attachments": list,
    "comments": list,
}
IDENTITY = {"email": str, "organization_id": int}


def check_person_ref(person: Any, where: str) -> dict[str, Any]:
    """A person as tasks and announcements name one (author, approver): the Person keys and
    types, ``banned`` left out while false like every empty value (as on tasks)."""
    return check_shape(person, PERSON_KEYS, ("id", "first_name", "type"), where)


def _headers(headers: list[Any], where: str) -> None:
    for header in headers:
        check_shape(header, CATALOG_HEADER, ("name", "type"), f"{where}.catalog_headers")
        assert header["type"] in ("text", "workflow")


def _items(items: list[Any], where: str) -> None:
    for item in items:
        check_shape(item, CATALOG_ITEM, ("item_id", "values"), where)
        assert all(isinstance(value, str) for value in item["values"]), where


def check_catalog(catalog: Any) -> dict[str, Any]:
    """``CatalogResponse`` (C#, TypeScript)."""
    required = ("catalog_id", "name", "version", "deleted", "catalog_headers", "source_type")
    checked = check_shape(catalog, CATALOG, required, "catalog")
    _headers(checked["catalog_headers"], "catalog")
    _items(checked.get("items", []), "catalog.items")
    return checked


def check_catalog_info(info: Any) -> dict[str, Any]:
    """An entry of ``CatalogsResponse.catalogs`` (``CatalogInfo``)."""
    required = ("catalog_id", "name", "source_type", "version", "deleted")
    return check_shape(info, CATALOG_INFO, required, "catalog_info")


def check_sync(answer: Any) -> dict[str, Any]:
    """``SyncCatalogResponse`` (also the diff's ``UpdateCatalogResponse``)."""
    checked = check_shape(answer, SYNC, ("apply", "catalog_headers"), "sync")
    _headers(checked["catalog_headers"], "sync")
    for key in ("added", "deleted", "updated"):
        _items(checked.get(key, []), f"sync.{key}")
    return checked


def check_announcement(announcement: Any) -> dict[str, Any]:
    """``AnnouncementWithComments``."""
    required = ("id", "text", "formatted_text", "create_date", "last_modified_date", "author")
    checked = check_shape(announcement, ANNOUNCEMENT, required, "announcement")
    check_person_ref(checked["author"], "announcement.author")
    for comment in checked.get("comments", []):
        required = ("id", "create_date", "author")
        check_shape(comment, ANNOUNCEMENT_COMMENT, required, "announcement.comments")
        check_person_ref(comment["author"], "announcement.comments.author")
    return checked


def check_identity(identity: Any) -> dict[str, Any]:
    """``ProfileIdentityResponse``."""
    return check_shape(identity, IDENTITY, ("email", "organization_id"), "identity")
