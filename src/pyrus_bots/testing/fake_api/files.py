"""Files in the fake API: multipart upload, download by id and ``services/attachment``."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.testing.fake_api.common import found, json_response, pyrus_error
from pyrus_bots.testing.fake_api.state import FakeState


async def upload(fake: FakeState, request: Request, body: Any) -> Response:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise pyrus_error("no_file_in_request", "No multipart part named file")
    content = await upload.read()
    if not content:
        raise pyrus_error("empty_file", "The file is empty")
    guid = str(uuid.uuid4())
    fake._uploads[guid] = (upload.filename or "file", content)
    return json_response({"guid": guid, "md5_hash": hashlib.md5(content).hexdigest()})


async def download(fake: FakeState, request: Request, body: Any) -> Response:
    return _file_response(fake, request.path_params["file_id"])


async def attachment(fake: FakeState, request: Request, body: Any) -> Response:
    fake._caller(request)
    raw = request.query_params.get("Id") or request.query_params.get("id") or ""
    if not raw.isdigit():
        raise pyrus_error("unrecognized_attachment_id", "Id must be a file id")
    return _file_response(fake, int(raw))


def _file_response(fake: FakeState, file_id: int) -> Response:
    message = "The file does not exist or is not accessible"
    name, content = found(fake.files, file_id, "access_denied_file", message)
    return Response(
        content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
