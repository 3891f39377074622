"""Tasks: read, create, comment, bulk comment (spec 4.2)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.models.requests import (
    BulkCommentsRequest,
    CommentRequest,
    CreateTaskRequest,
)
from pyrus_bots.server.api.body import json_body, read_body
from pyrus_bots.server.api.context import CallerDep, PathId, api_state
from pyrus_bots.server.api.responses import PyrusJSONResponse
from pyrus_bots.server.api.transactions import writing
from pyrus_bots.server.delivery.url_fetch import fetch_urls
from pyrus_bots.server.tasks import changes as task_changes
from pyrus_bots.server.tasks import views as task_views
from pyrus_bots.server.tasks.attachments import prepare_attachments
from pyrus_bots.server.tasks.url_attachments import url_refs
from pyrus_bots.server.workflow.render import render_task

router = APIRouter(tags=["tasks"])

MAX_BULK_COMMENTS = 100


@router.get("/tasks/{task_id}", summary="A task with its comments")
async def get_task(task_id: PathId, request: Request, caller: CallerDep) -> Response:
    state = api_state(request)
    rendering = await task_views.rendered_task(
        state.database,
        caller.directory,
        caller.directory_version,
        task_id,
        caller.person,
        caller.files_url,
    )
    # The stored bytes are already Pyrus JSON: no parse and no second serialisation.
    return Response(b'{"task":' + rendering + b"}", media_type="application/json")


@router.post("/tasks", summary="Create a task", openapi_extra=json_body(CreateTaskRequest))
async def create_task(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    state = api_state(request)
    body = await read_body(request, CreateTaskRequest)
    # Files given by URL are fetched before the transaction opens (it holds no lock meanwhile).
    async with fetch_urls(state.settings, url_refs(body)) as fetched, writing(state) as session:
        now = state.clock.now()
        directory, body = await prepare_attachments(
            session, caller.directory, caller.person, body, fetched, now
        )
        task, first_comment = await task_changes.create_task(
            session, directory, caller.person, body, now
        )
    # A new task has exactly its first comment: rather than read it back, take it as the store
    # would return it (its body through the same JSON round trip as the database column).
    first_comment.body = orjson.loads(orjson.dumps(first_comment.body))
    comments = [first_comment]
    state.on_deliveries()
    return PyrusJSONResponse(
        {"task": render_task(directory, task, comments, files_url=caller.files_url)}
    )


@router.post(
    "/tasks/comments",
    summary="Comment several tasks at once (all or nothing)",
    openapi_extra=json_body(BulkCommentsRequest),
)
async def comment_tasks(request: Request, caller: CallerDep) -> PyrusJSONResponse:
    state = api_state(request)
    body = await read_body(request, BulkCommentsRequest)
    if len(body.comments) > MAX_BULK_COMMENTS:
        raise PyrusError("items_count_out_of_range", f"at most {MAX_BULK_COMMENTS} comments")
    rendered: list[dict[str, Any]] = []
    refs = [ref for entry in body.comments for ref in url_refs(entry)]
    async with fetch_urls(state.settings, refs) as fetched, writing(state) as session:
        now = state.clock.now()
        directory = caller.directory
        for entry in body.comments:
            directory, prepared = await prepare_attachments(
                session, directory, caller.person, entry, fetched, now
            )
            task, _ = await task_changes.comment_task(
                session, directory, entry.task_id, caller.person, prepared, now
            )
            if not body.no_tasks_in_response:
                comments = await task_changes.task_comments(session, task.id)
                rendered.append(render_task(directory, task, comments, files_url=caller.files_url))
    state.on_deliveries()
    return PyrusJSONResponse({"tasks": rendered})


@router.post(
    "/tasks/{task_id}/comments",
    summary="Comment a task; answers the task with the new comment",
    openapi_extra=json_body(CommentRequest),
)
async def comment_task(task_id: PathId, request: Request, caller: CallerDep) -> PyrusJSONResponse:
    state = api_state(request)
    body = await read_body(request, CommentRequest)
    async with fetch_urls(state.settings, url_refs(body)) as fetched, writing(state) as session:
        now = state.clock.now()
        directory, body = await prepare_attachments(
            session, caller.directory, caller.person, body, fetched, now
        )
        task, _ = await task_changes.comment_task(
            session, directory, task_id, caller.person, body, now
        )
        comments = await task_changes.task_comments(session, task_id)
    state.on_deliveries()
    return PyrusJSONResponse(
        {"task": render_task(directory, task, comments, files_url=caller.files_url)}
    )
