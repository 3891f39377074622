"""The web UI at ``/ui/``: server-rendered Jinja2 pages, htmx for live updates, no build step.

Every page reads without JavaScript; htmx only refreshes parts of pages (a task followed live,
the delivery log) by fetching the same page and swapping the changed region. ``router`` is what
:func:`pyrus_bots.server.app.create_app` mounts; the pages live in the ``ui_*`` modules.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response

from pyrus_bots.server.admin import (
    people_passwords,
    ui_bots,
    ui_catalog_edit,
    ui_deliveries,
    ui_delivery_export,
    ui_directory,
    ui_directory_roles,
    ui_files,
    ui_inbox,
    ui_lists,
    ui_register,
    ui_signin,
    ui_task_new,
    ui_tasks,
    ui_workspace,
)
from pyrus_bots.server.admin.ui_context import STATIC_DIR, UIContext, ui_context

router = APIRouter(prefix="/ui", include_in_schema=False)

STATIC_FILES = {
    "ui.css": "text/css; charset=utf-8",
    "htmx.min.js": "text/javascript; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
}


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(
        STATIC_DIR / name,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600"},
    )


for pages in (
    ui_signin,
    ui_task_new,
    ui_tasks,
    ui_bots,
    ui_delivery_export,  # before ui_deliveries: /deliveries/export is no delivery id
    ui_deliveries,
    ui_register,
    ui_catalog_edit,
    ui_directory,
    ui_directory_roles,
    ui_inbox,
    ui_lists,
    ui_workspace,
    ui_files,
):
    router.include_router(pages.router)
router.include_router(people_passwords.ui_router)


@router.get("/{path:path}")
async def unknown_page(ctx: Annotated[UIContext, Depends(ui_context)], path: str) -> Response:
    """Any other address under /ui/: an HTML page that says so, not a bare JSON error."""
    return ctx.not_found(f"page /ui/{path}")
