"""Files in the UI: download links and previews, served to the signed-in person under the API's
access rules (:func:`pyrus_bots.server.tasks.file_access.readable_file`) and streamed from the
chunk store like ``GET /v4/files/download/{id}``.

``/ui/files/{id}`` answers the bytes as an attachment. ``/ui/files/{id}/preview`` answers images
(PNG, JPEG, GIF, WebP) and PDFs inline, with their own type, for an ``<img>`` or ``<iframe>`` on
the task page; anything else (HTML and SVG included, which could run script) is an attachment of
type ``application/octet-stream`` there too, so no stored file is ever rendered as a page of
this site. ``nosniff`` (on every answer) keeps browsers to the declared type.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.admin.ui_file_links import preview_type
from pyrus_bots.server.api.context import PathId
from pyrus_bots.server.api.files import stream_file
from pyrus_bots.server.api.transactions import reading
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.tasks import file_access
from pyrus_bots.server.workflow.state import FileRef

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

_PREVIEW_HEADERS = {"X-Frame-Options": "SAMEORIGIN", "Cache-Control": "private, no-cache"}
_PREVIEW_POLICY = {
    # The UI's own pages may frame a preview, nothing else may; an image runs nothing at all
    # (a PDF keeps the browser's viewer, which a sandbox would block).
    "image": "default-src 'none'; frame-ancestors 'self'; sandbox",
    "pdf": "frame-ancestors 'self'",
}
_DOWNLOAD_HEADERS = {"Cache-Control": "private, no-cache"}


async def _readable(ctx: UIContext, file_id: int) -> tuple[FileRef, int] | Response:
    """The file and its chunk count if the viewer may read it, else the error page."""
    viewer = ctx.viewer
    assert viewer is not None
    async with reading(ctx.state) as session:
        try:
            if viewer.person is not None:
                ref = await file_access.readable_file(
                    session, ctx.directory, viewer.person, file_id
                )
            else:  # the administrator sees every task, so every file
                found = await file_store.get_file_by_id(session, file_id)
                if found is None:
                    return ctx.not_found(f"file #{file_id}")
                ref = found
        except PyrusError:
            return ctx.forbidden(f"File #{file_id} does not exist or you may not read it.")
        return ref, await file_store.chunk_count(session, file_id)


@router.get("/files/{file_id}")
async def download(ctx: Ctx, file_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    found = await _readable(ctx, file_id)
    if isinstance(found, Response):
        return found
    ref, chunks = found
    return stream_file(ctx.state, ref, chunks, headers=_DOWNLOAD_HEADERS)


@router.get("/files/{file_id}/preview")
async def preview(ctx: Ctx, file_id: PathId) -> Response:
    if ctx.viewer is None:
        return ctx.to_login()
    found = await _readable(ctx, file_id)
    if isinstance(found, Response):
        return found
    ref, chunks = found
    media_type = preview_type(ref.name)
    if media_type is None:
        return stream_file(ctx.state, ref, chunks, headers=_DOWNLOAD_HEADERS)
    return stream_file(
        ctx.state,
        ref,
        chunks,
        media_type=media_type,
        disposition="inline",
        headers={
            **_PREVIEW_HEADERS,
            "Content-Security-Policy": _PREVIEW_POLICY[
                "pdf" if media_type == "application/pdf" else "image"
            ],
        },
    )
