"""Files sent with the UI's task forms (new task, comment) as the API's ``attachments`` and file
field values.

The forms are ``multipart/form-data``: ``attachments`` (the task's or the comment's) and
``f<ID>`` of each file field take several files. Each file is stored as
``POST /v4/files/upload`` stores it (:func:`pyrus_bots.server.api.files.store_upload`: the
chunk store, the person as uploader) and then referred to by its guid, so the task-change layer
checks it exactly as for an API call. A file over the size limit, or one that cannot be a file,
is refused next to its input. When the form is refused for any reason, the files it did upload
come back as ``kept:<input>`` check boxes (their guids), so nothing has to be chosen again; a
kept guid counts only for a file its person uploaded and nothing holds yet.
On a comment, ``delfile:f<ID>`` (a file id, repeated) removes a file from a file field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin.ui_context import UIContext
from pyrus_bots.server.admin.ui_fields import Submitted
from pyrus_bots.server.admin.ui_file_links import size_text
from pyrus_bots.server.api.context import ApiState
from pyrus_bots.server.api.files import store_upload
from pyrus_bots.server.api.transactions import reading
from pyrus_bots.server.store import files as file_store
from pyrus_bots.server.workflow.state import FormDef, TaskState

ATTACHMENTS = "attachments"
KEPT = "kept:"
REMOVED = "delfile:"
_FILE_FIELD_INPUT = re.compile(r"^f(\d+)$")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class Uploaded:
    guid: str
    name: str
    size: str


@dataclass(slots=True)
class Uploads:
    """The files of one submitted form by input name, and the inputs' errors."""

    files: dict[str, list[Uploaded]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def guids(self, name: str) -> list[dict[str, str]]:
        return [{"guid": u.guid} for u in self.files.get(name, [])]


def _is_file_input(name: str, form: FormDef | None) -> bool:
    if name == ATTACHMENTS:
        return True
    found = _FILE_FIELD_INPUT.match(name)
    fdef = form.field_by_id(int(found.group(1))) if found and form is not None else None
    return fdef is not None and fdef.type == "file"


async def read_uploads(
    ctx: UIContext, request: Request, form: FormDef | None, person_id: int
) -> Uploads:
    """Store the files of the submitted form for ``person_id`` and gather the kept ones. The
    context's directory is read again when files were stored: the task layer finds uploads by
    guid in it, as the next API call after an upload would."""
    state = ctx.state
    uploads = Uploads()
    stored = False
    submitted = await request.form()  # parsed once per request; parts spool to disk
    limit = state.limits.upload_bytes
    for name in dict.fromkeys(submitted.keys()):
        if not _is_file_input(name, form):
            continue
        for part in submitted.getlist(name):
            if not isinstance(part, UploadFile) or not (part.filename or part.size):
                continue  # an input left empty still sends an empty part
            label = part.filename or "file"
            if (part.size or 0) > limit:
                uploads.errors[name] = f"{label} is larger than {size_text(limit)}."
                continue
            try:
                ref = await store_upload(state, part, person_id)
            except PyrusError as exc:
                uploads.errors[name] = f"{label}: {exc.message} ({exc.code})."
                continue
            uploads.files.setdefault(name, []).append(
                Uploaded(ref.guid, ref.name, size_text(ref.size))
            )
            stored = True
    await _add_kept(state, submitted_kept(submitted), person_id, uploads)
    if stored:
        async with state.database.session() as db:
            ctx.directory = await state.directories.get(db)
    return uploads


def submitted_kept(submitted: FormData) -> dict[str, list[str]]:
    """The guids of the ``kept:<input>`` check boxes still ticked, by input name."""
    kept: dict[str, list[str]] = {}
    for name in dict.fromkeys(submitted.keys()):
        if name.startswith(KEPT):
            values = [v for v in submitted.getlist(name) if isinstance(v, str)]
            kept.setdefault(name.removeprefix(KEPT), []).extend(values)
    return kept


async def _add_kept(
    state: ApiState, kept: dict[str, list[str]], person_id: int, uploads: Uploads
) -> None:
    async with reading(state) as session:
        for name, guids in kept.items():
            for guid in dict.fromkeys(g.strip().lower() for g in guids):
                if not _GUID.match(guid):
                    continue
                ref = await file_store.get_file_by_guid(session, guid)
                if ref is None:
                    continue
                facts = (await file_store.access_facts(session, [ref.id])).get(ref.id)
                if facts is None or facts.uploader != person_id or facts.holders:
                    continue  # not this person's, or already on a task: nothing to keep
                uploads.files.setdefault(name, []).insert(
                    0, Uploaded(ref.guid, ref.name, size_text(ref.size))
                )


def upload_inputs(ctx: UIContext, uploads: Uploads | None) -> dict[str, Any]:
    """What the templates need to draw file inputs: files already uploaded, errors, the limit."""
    limit = ctx.state.limits.upload_bytes
    return {
        "uploaded": uploads.files if uploads else {},
        "upload_errors": uploads.errors if uploads else {},
        "max_upload_bytes": limit,
        "max_upload": size_text(limit),
    }


def _file_fields(form: FormDef | None) -> Iterable[int]:
    if form is None:
        return []
    return [f.id for f in form.fields if f.type == "file"]


def add_to_new_task(body: dict[str, Any], form: FormDef | None, uploads: Uploads) -> None:
    """Put the uploaded files in a ``POST /v4/tasks`` body."""
    if uploads.files.get(ATTACHMENTS):
        body["attachments"] = uploads.guids(ATTACHMENTS)
    for field_id in _file_fields(form):
        if uploads.files.get(f"f{field_id}"):
            body.setdefault("fields", []).append(
                {"id": field_id, "value": uploads.guids(f"f{field_id}")}
            )


def add_to_comment(
    body: dict[str, Any],
    form: FormDef | None,
    task: TaskState,
    submitted: Submitted,
    uploads: Uploads,
) -> None:
    """Put the uploaded files (and removed file field values) in a comment body. A file field
    is sent whole (its files kept, then the new ones) and only when it changed."""
    if uploads.files.get(ATTACHMENTS):
        body["attachments"] = uploads.guids(ATTACHMENTS)
    for field_id in _file_fields(form):
        name = f"f{field_id}"
        current = [i for i in task.fields.get(field_id) or [] if isinstance(i, int)]
        removed = {v.strip() for v in submitted.get(REMOVED + name, [])}
        kept = [i for i in current if str(i) not in removed]
        added = uploads.guids(name)
        if added or len(kept) != len(current):
            value: list[dict[str, Any]] = [{"attachment_id": i} for i in kept]
            body.setdefault("field_updates", []).append({"id": field_id, "value": value + added})
