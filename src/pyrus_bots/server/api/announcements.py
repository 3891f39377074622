"""Announcements (spec 4.7): posts to the whole organisation, with comments and attachments.

Every person and bot of the organisation reads them and may post or comment (Pyrus gives the
right to create announcements to every new member). Attachments are files uploaded through
``/files/upload``, named by ``guid`` or ``attachment_id``, or files the platform fetches from
a ``url`` (as for tasks).
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.announcement import (
    AnnouncementCommentRequest,
    CreateAnnouncementRequest,
)
from pyrus_bots.protocol.models.files import NewFile
from pyrus_bots.server.api.body import json_body, parse_int, read_body
from pyrus_bots.server.api.context import Caller, CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import CollectionResponse, PyrusJSONResponse
from pyrus_bots.server.api.transactions import reading, writing
from pyrus_bots.server.delivery.url_fetch import fetch_urls
from pyrus_bots.server.store import announcements as announcement_store
from pyrus_bots.server.store.announcements import StoredNote
from pyrus_bots.server.tasks import file_access
from pyrus_bots.server.tasks.attachments import prepare_attachments
from pyrus_bots.server.tasks.url_attachments import url_refs
from pyrus_bots.server.workflow.entities import render_file, render_person_ref
from pyrus_bots.server.workflow.state import Directory, Person

router = APIRouter(tags=["announcements"])

DEFAULT_ANNOUNCEMENTS = 100
MAX_ANNOUNCEMENTS = 10_000
MAX_TEXT_LENGTH = 100_000


ANNOUNCEMENT_HOLDER = "announcement"


async def _can_see_announcement(
    session: AsyncSession, directory: Directory, person: Person, announcement_id: int
) -> bool:
    """Every person and bot of the organisation reads every announcement."""
    return await announcement_store.get_announcement(session, announcement_id) is not None


# Files attached to an announcement or its comments are readable by whoever reads it.
file_access.register_holder_kind(ANNOUNCEMENT_HOLDER, _can_see_announcement)


def _file_id(directory: Directory, attachment: NewFile | str) -> int:
    if isinstance(attachment, str):
        attachment = NewFile(guid=attachment)
    if attachment.guid is not None and attachment.guid in directory.files_by_guid:
        return directory.files_by_guid[attachment.guid].id
    if attachment.attachment_id is not None and attachment.attachment_id in directory.files_by_id:
        return attachment.attachment_id
    raise PyrusError(
        "unrecognized_attachment_id", "attach files uploaded through /files/upload (guid)"
    )


def _body(directory: Directory, request: CreateAnnouncementRequest) -> dict[str, Any]:
    if not (request.text or request.formatted_text) and not request.attachments:
        raise PyrusError("text_missing", "an announcement needs text or attachments")
    for text in (request.text, request.formatted_text):
        if text is not None and len(text) > MAX_TEXT_LENGTH:
            raise PyrusError("max_text_length_exceeded", "the text is too long")
    return {
        "text": request.text,
        "formatted_text": request.formatted_text,
        "attachments": [_file_id(directory, a) for a in request.attachments],
    }


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _texts(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """``text`` and ``formatted_text``, each made from the other when only one was posted:
    the TypeScript client declares both required on an announcement."""
    text, formatted = body.get("text"), body.get("formatted_text")
    if formatted is None and text:
        formatted = html.escape(text).replace("\n", "<br>")
    if text is None and formatted:
        parser = _TextOfHtml()
        parser.feed(formatted)
        parser.close()
        text = "".join(parser.parts)
    return text, formatted


def _render(
    caller: Caller, note: StoredNote, *, top: bool = True, directory: Directory | None = None
) -> dict[str, Any]:
    directory = directory or caller.directory
    body = note.body
    text, formatted = _texts(body) if top else (body.get("text"), body.get("formatted_text"))
    rendered: dict[str, Any] = {
        "id": note.id,
        "text": text,
        "formatted_text": formatted,
        "create_date": note.create_date,
        "author": render_person_ref(directory, note.author_id),
        "attachments": [
            render_file(directory.files_by_id[i], caller.files_url)
            for i in note.body.get("attachments", [])
            if i in directory.files_by_id
        ],
    }
    if top:
        rendered["last_modified_date"] = note.last_modified_date
        rendered["comments"] = [
            _render(caller, c, top=False, directory=directory) for c in note.comments
        ]
    return rendered


async def _answer(
    request: Request, caller: Caller, announcement_id: int, directory: Directory | None = None
) -> PyrusJSONResponse:
    async with reading(api_state(request)) as session:
        note = await announcement_store.get_announcement(session, announcement_id)
    if note is None:
        raise PyrusError("access_denied", f"announcement {announcement_id} is not accessible")
    return PyrusJSONResponse({"announcement": _render(caller, note, directory=directory)})


@router.get("/announcements", summary="The newest announcements with their comments")
async def announcements(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    count = request.query_params.get("item_count") or DEFAULT_ANNOUNCEMENTS
    limit = parse_int(count, "item_count", minimum=1, maximum=MAX_ANNOUNCEMENTS)
    async with reading(api_state(request)) as session:
        notes = await announcement_store.latest_announcements(
            session, caller.directory.organization_id, limit
        )
    rendered = [_render(caller, note) for note in notes]
    return CollectionResponse({"announcements": rendered}, "announcements")


@router.get("/announcements/{announcement_id}", summary="An announcement with its comments")
async def announcement(
    announcement_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    return await _answer(request, caller, announcement_id)


@router.post(
    "/announcements",
    summary="Post an announcement",
    openapi_extra=json_body(CreateAnnouncementRequest),
)
async def create_announcement(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    parsed = await read_body(request, CreateAnnouncementRequest)
    state = api_state(request)
    async with fetch_urls(state.settings, url_refs(parsed)) as fetched, writing(state) as session:
        directory, parsed = await prepare_attachments(
            session, caller.directory, caller.person, parsed, fetched, state.clock.now()
        )
        body = _body(directory, parsed)
        # 0 holds nothing: only files the caller may attach anew pass.
        await file_access.check_attachable(
            session, directory, caller.person, body["attachments"], (ANNOUNCEMENT_HOLDER, 0)
        )
        new_id = await announcement_store.add_announcement(
            session, caller.directory.organization_id, caller.person.id, body, state.clock.now()
        )
        await file_access.record_holder(session, (ANNOUNCEMENT_HOLDER, new_id), body["attachments"])
    return await _answer(request, caller, new_id, directory)


@router.post(
    "/announcements/{announcement_id}/comments",
    summary="Comment an announcement",
    openapi_extra=json_body(AnnouncementCommentRequest),
)
async def comment_announcement(
    announcement_id: PathId, request: Request, caller: CallerDep
) -> PyrusJSONResponse:
    parsed = await read_body(request, AnnouncementCommentRequest)
    state = api_state(request)
    async with fetch_urls(state.settings, url_refs(parsed)) as fetched, writing(state) as session:
        if await announcement_store.get_announcement(session, announcement_id) is None:
            raise PyrusError("access_denied", f"announcement {announcement_id} is not accessible")
        directory, parsed = await prepare_attachments(
            session, caller.directory, caller.person, parsed, fetched, state.clock.now()
        )
        body = _body(directory, parsed)
        holder = (ANNOUNCEMENT_HOLDER, announcement_id)
        await file_access.check_attachable(
            session, directory, caller.person, body["attachments"], holder
        )
        await announcement_store.add_comment(
            session, announcement_id, caller.person.id, body, state.clock.now()
        )
        await file_access.record_holder(session, holder, body["attachments"])
    return await _answer(request, caller, announcement_id, directory)
