"""NewFiles given by URL (``{"url", "name"?}``): find them in a request, store what was fetched.

A request names files in ``attachments`` and in the values of file fields (also inside table
rows); a ``{url}`` NewFile anywhere there is fetched by the caller of this module (the HTTP
side, ``delivery.url_fetch``) before the change's transaction opens. Inside it,
:func:`store_fetched` writes each fetched file into the file store and answers the request with
those NewFiles turned into ``{guid}`` ones (``root_id`` kept) and a directory that knows them,
so the rest of the change treats them exactly like uploads. The change's transaction holds the
stored files: a refused change leaves none behind.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.workflow.state import Directory, FileRef

MAX_FILE_NAME_LENGTH = 255
"""As for uploads: a longer ``name`` is refused, a longer name taken from the URL is cut."""

FILE_LISTS = ("attachments",)
"""Request attributes that are lists of NewFiles."""
FIELD_LISTS = ("field_updates", "fields")
"""Request attributes that are lists of field updates, whose values may hold NewFiles."""

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class UrlRef:
    """One file to fetch: the URL and the name the request gave it (if any)."""

    url: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """A fetched body ready to store: its name, size and a reader of its pieces."""

    name: str
    size: int
    pieces: Callable[[], AsyncIterator[bytes]]


def _as_wire(ref: Any) -> Any:
    return ref.to_pyrus() if isinstance(ref, NewFile) else ref


def url_ref_of(ref: Any) -> UrlRef | None:
    """The URL a NewFile names, when it names its file by URL only (a guid or id wins)."""
    ref = _as_wire(ref)
    if not isinstance(ref, Mapping) or not isinstance(ref.get("url"), str):
        return None
    if ref.get("guid") is not None or ref.get("attachment_id", ref.get("id")) is not None:
        return None
    name = ref.get("name")
    if not isinstance(name, str) or not name:
        return UrlRef(ref["url"])
    if len(name) > MAX_FILE_NAME_LENGTH:
        raise PyrusError("max_file_name_length_exceeded", "the attachment name is too long")
    return UrlRef(ref["url"], name)


def _walk(value: Any, visit: Callable[[Any], Any]) -> Any:
    """``value`` with ``visit`` applied to every dict and NewFile inside it, outermost first
    (``visit`` answers a replacement, or None to go on inside)."""
    if isinstance(value, NewFile | Mapping):
        replaced = visit(value)
        if replaced is not None:
            return replaced
        if isinstance(value, NewFile):
            return value
        return {key: _walk(inner, visit) for key, inner in value.items()}
    if isinstance(value, list):
        return [_walk(inner, visit) for inner in value]
    return value


def _places(request: BaseModel) -> list[tuple[str, list[Any]]]:
    places: list[tuple[str, list[Any]]] = []
    for attr in FILE_LISTS + FIELD_LISTS:
        items = getattr(request, attr, None)
        if isinstance(items, list) and items:
            places.append((attr, items))
    return places


def file_refs(request: BaseModel) -> list[Any]:
    """Every NewFile-like value of a request: attachments, and dicts inside field values."""
    found: list[Any] = []

    def collect(ref: Any) -> None:
        found.append(ref)

    for attr, items in _places(request):
        for item in items:
            if attr in FILE_LISTS:
                found.append(item)
            else:
                _walk(getattr(item, "value", None), collect)
    return found


def url_refs(request: BaseModel) -> list[UrlRef]:
    """The files a request gives by URL, each once, in order."""
    refs = (url_ref_of(ref) for ref in file_refs(request))
    return list(dict.fromkeys(ref for ref in refs if ref is not None))


def rewrite_refs(request: R, replace: Callable[[Any], Any]) -> R:
    """``request`` with every NewFile for which ``replace`` answers non-None replaced by it."""
    update: dict[str, Any] = {}
    for attr, items in _places(request):
        if attr in FILE_LISTS:
            update[attr] = [replace(item) or item for item in items]
        else:
            update[attr] = [
                item.model_copy(update={"value": _walk(item.value, replace)})
                if hasattr(item, "value")
                else item
                for item in items
            ]
    return request.model_copy(update=update) if update else request


def with_files(directory: Directory, refs: list[FileRef]) -> Directory:
    """A copy of ``directory`` that knows these files too (the shared snapshot is untouched)."""
    by_id = dict(directory.files_by_id)
    by_guid = dict(directory.files_by_guid)
    for ref in refs:
        by_id[ref.id] = ref
        by_guid[ref.guid] = ref
    return dataclasses.replace(directory, files_by_id=by_id, files_by_guid=by_guid)


async def store_fetched(
    session: AsyncSession,
    directory: Directory,
    request: R,
    fetched: Mapping[UrlRef, FetchedFile],
    uploader_id: int,
    now: datetime,
) -> tuple[Directory, R]:
    """Store the fetched files ``request`` gives by URL (as uploads of ``uploader_id``; each
    request its own copy, when several share ``fetched``) and answer the directory that knows
    them and the request that names them by guid."""
    wanted = [ref for ref in url_refs(request) if ref in fetched] if fetched else []
    if not wanted:
        return directory, request
    saved: dict[UrlRef, FileRef] = {}
    for ref in wanted:
        body = fetched[ref]
        saved[ref] = await file_store.save_file(
            session, body.name, body.pieces(), uploader_id, now=now
        )

    def by_guid(ref: Any) -> Any:
        url = url_ref_of(ref)
        if url is None or url not in saved:
            return None
        wire = _as_wire(ref)
        root_id = wire.get("root_id")
        if isinstance(ref, NewFile):
            return NewFile(guid=saved[url].guid, root_id=root_id)
        return {"guid": saved[url].guid} | ({} if root_id is None else {"root_id": root_id})

    return with_files(directory, list(saved.values())), rewrite_refs(request, by_guid)
