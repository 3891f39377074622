"""Files (spec 4.5): upload (multipart part ``file``) and download by both client paths.

Uploads answer ``{guid, md5_hash}``; the guid goes into ``attachments`` or a file field. Downloads
serve the bytes with ``Content-Disposition: attachment`` at ``/v4/files/download/{id}`` (TS client)
and ``/services/attachment?Id=`` on the files host (Python and C# clients).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.context import ID_MAX, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.store import files as file_store

router = APIRouter(tags=["files"])
attachment_router = APIRouter(tags=["files"])

MAX_FILE_NAME_LENGTH = 255

_UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


@router.post("/files/upload", summary="Upload a file", openapi_extra=_UPLOAD_DOC)
async def upload(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise PyrusError("bad_multipart_content", "send the file as multipart/form-data")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException as exc:
        if exc.status_code == 413:
            raise
        raise PyrusError("bad_multipart_content", "the multipart body cannot be read") from None
    try:
        part = form.get("file")
        if part is None:
            # The TS client names the part after the file: take the first file part.
            part = next((v for v in form.values() if isinstance(v, UploadFile)), None)
        if not isinstance(part, UploadFile):
            raise PyrusError("no_file_in_request", "the request has no file part")
        name = (part.filename or "file").replace("\x00", "")
        if len(name) > MAX_FILE_NAME_LENGTH:
            raise PyrusError("max_file_name_length_exceeded", "the file name is too long")
        content = await part.read()
    finally:
        await form.close()
    if not content:
        raise PyrusError("empty_file", "the file is empty")
    state = api_state(request)
    async with writing(state) as session:
        saved = await file_store.save_file(
            session, name, content, caller.person.id, now=state.clock.now()
        )
    return PyrusJSONResponse({"guid": saved.guid, "md5_hash": saved.md5})


async def _download(request: Request, file_id: PathId) -> Response:
    async with reading(api_state(request)) as session:
        ref = await file_store.get_file_by_id(session, file_id)
        content = await file_store.read_content(session, file_id) if ref else None
    if ref is None or content is None:
        raise PyrusError("file_is_missing", f"there is no file {file_id}", 404)
    ascii_name = ref.name.encode("ascii", "replace").decode().replace('"', "'")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(ref.name)}"
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": disposition},
    )


@router.get("/files/download/{file_id}", summary="Download a file (TS client path)")
async def download(file_id: PathId, request: Request, caller: CallerDep) -> Response:
    return await _download(request, file_id)


@attachment_router.get("/services/attachment", summary="Download a file (Python/C# client path)")
async def attachment(
    caller: CallerDep,
    request: Request,
    file_id: Annotated[int, Query(alias="Id", ge=1, le=ID_MAX)],
) -> Response:
    return await _download(request, file_id)
