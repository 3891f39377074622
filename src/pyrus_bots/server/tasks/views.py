"""Showing a task (``GET /v4/tasks/{id}``): rendered once per change and kept with the task.

The first read after a change renders the task from a snapshot and stores the bytes in the
task's row (:mod:`pyrus_bots.server.store.task_renderings`); every later read is one statement
(the task, who it concerns and the rendering) and the stored bytes, until the next change
clears them. The access check runs on every read, never from the stored bytes.
"""

from __future__ import annotations

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.server.store import task_index, task_renderings
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.tasks import changes
from pyrus_bots.server.workflow import access
from pyrus_bots.server.workflow.render import render_task
from pyrus_bots.server.workflow.state import Directory, Person


def rendering_key(directory_version: int, files_url: str) -> str:
    """What a rendering depends on besides the task: names, forms and files of the directory,
    and the files URL written into attachments."""
    return f"{directory_version}|{files_url}"


async def rendered_task(
    database: Database,
    directory: Directory,
    directory_version: int,
    task_id: int,
    viewer: Person,
    files_url: str,
) -> bytes:
    """The task as JSON (the value of ``"task"``) if ``viewer`` may see it; 403
    ``access_denied_task`` otherwise."""
    key = rendering_key(directory_version, files_url)
    async with database.autocommit() as connection:
        view = await task_renderings.read_task_view(connection, task_id)
    if view is None:
        raise changes.access_denied(task_id)
    involved = task_index.people_ids(view.people)
    if not access.can_view_task(directory, view.task, viewer, involved):
        raise changes.access_denied(task_id)
    stored = view.rendering_for(key)
    if stored is not None:
        return stored
    # Render from one snapshot (the task and its comments agree), then keep the bytes unless
    # the task changed meanwhile.
    async with database.reading() as session:
        task = await changes.load_visible_task(session, directory, task_id, viewer)
        comments = await changes.task_comments(session, task_id)
    rendering = pyrus_json.dumps(render_task(directory, task, comments, files_url=files_url))
    async with database.autocommit() as connection:
        await task_renderings.store_rendering(connection, task, key, rendering)
    return rendering
