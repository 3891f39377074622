"""Files (spec 4.5): upload (multipart part ``file``) and download by both client paths.

Uploads answer ``{guid, md5_hash}``; the guid goes into ``attachments`` or a file field. Downloads
serve the bytes with ``Content-Disposition: attachment`` at ``/v4/files/download/{id}`` (TS client)
and ``/services/attachment?Id=`` on the files host (Python and C# clients), to those who may read
the file (``tasks.file_access``; else 403 ``access_denied_file``). Both directions stream: the
bytes go to and come from the store a chunk at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.api.context import ID_MAX, ApiState, Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.tasks import file_access
from pyrus_bots.server.workflow.state import FileRef

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
        # Starlette spools each part to a temporary file past 1 MB: memory stays flat.
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
        saved = await store_upload(api_state(request), part, caller.person.id)
    finally:
        await form.close()
    return PyrusJSONResponse({"guid": saved.guid, "md5_hash": saved.md5})


async def store_upload(state: ApiState, part: UploadFile, person_id: int) -> FileRef:
    """Store one uploaded part for ``person_id`` (the file is theirs until its first use);
    400 ``max_file_name_length_exceeded`` or ``empty_file`` when it cannot be a file."""
    name = (part.filename or "file").replace("\x00", "")
    if len(name) > MAX_FILE_NAME_LENGTH:
        raise PyrusError("max_file_name_length_exceeded", "the file name is too long")
    if not part.size:
        raise PyrusError("empty_file", "the file is empty")
    async with writing(state) as session:
        return await file_store.save_file(
            session, name, _read_in_chunks(part), person_id, now=state.clock.now()
        )


async def _read_in_chunks(part: UploadFile) -> AsyncIterator[bytes]:
    await part.seek(0)
    while piece := await part.read(file_store.CHUNK_BYTES):
        yield piece


def content_disposition(name: str, kind: str = "attachment") -> str:
    """``attachment`` (or ``inline``) with the name twice: an ASCII ``filename`` (control
    characters, quotes and backslashes replaced, so no name can break the header) and the
    exact UTF-8 ``filename*`` (RFC 6266)."""
    ascii_name = "".join(
        "_" if ord(ch) < 0x20 or ord(ch) == 0x7F else "'" if ch == '"' else ch
        for ch in name.encode("ascii", "replace").decode().replace("\\", "_")
    )
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def stream_file(
    state: ApiState,
    ref: FileRef,
    chunks: int,
    *,
    media_type: str = "application/octet-stream",
    disposition: str = "attachment",
    headers: Mapping[str, str] | None = None,
) -> StreamingResponse:
    """The file's bytes, read from the store a chunk at a time as the client takes them."""

    async def stream() -> AsyncIterator[bytes]:
        # One short read per chunk: no transaction stays open while a slow client reads.
        for seq in range(chunks):
            async with reading(state) as session:
                piece = await file_store.read_chunk(session, ref.id, seq)
            yield piece

    return StreamingResponse(
        stream(),
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(ref.name, disposition),
            "Content-Length": str(ref.size),
            **(headers or {}),
        },
    )


async def _download(request: Request, caller: Caller, file_id: int) -> Response:
    state = api_state(request)
    async with reading(state) as session:
        ref = await file_access.readable_file(session, caller.directory, caller.person, file_id)
        chunks = await file_store.chunk_count(session, file_id)
    return stream_file(state, ref, chunks)


@router.get("/files/download/{file_id}", summary="Download a file (TS client path)")
async def download(file_id: PathId, request: Request, caller: CallerDep) -> Response:
    return await _download(request, caller, file_id)


@attachment_router.get("/services/attachment", summary="Download a file (Python/C# client path)")
async def attachment(
    caller: CallerDep,
    request: Request,
    file_id: Annotated[int, Query(alias="Id", ge=1, le=ID_MAX)],
) -> Response:
    return await _download(request, caller, file_id)
