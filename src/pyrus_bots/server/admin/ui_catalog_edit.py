"""The UI's catalog editor, for people with the right to manage integrations and catalogs.

A catalog is edited as text: the header row, then one item per row, separated by commas,
semicolons or tabs (a range pasted from a spreadsheet works). Saving makes the catalog hold
exactly these items, by the store's sync that ``POST /v4/catalogs/{id}`` uses (items keep their
ids by first column); a new catalog is created as ``PUT /v4/catalogs`` creates it. Pyrus's
catalog rules (headers, duplicates, sizes) are the store's, shown as the API's error codes.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.server.admin.ui_context import UIContext, ui_context
from pyrus_bots.server.store import catalogs as catalog_store

router = APIRouter()
Ctx = Annotated[UIContext, Depends(ui_context)]

REFUSED = "Only people with the right to manage integrations and catalogs may change catalogs."


class ContentsError(ValueError):
    """The text is no table of a header row and items."""


def parse_contents(text: str) -> tuple[list[str], list[list[str]]]:
    """Headers and item rows from the editor's text; blank lines are skipped."""
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        raise ContentsError("Write the header row first, then one item per row.")
    # The header row says the separator: a tab (a spreadsheet's copy), else the commoner of
    # semicolon and comma.
    header = lines[0]
    delimiter = "\t" if "\t" in header else ";" if header.count(";") > header.count(",") else ","
    rows = [[cell.strip() for cell in row] for row in csv.reader(lines, delimiter=delimiter)]
    return rows[0], rows[1:]


def contents_text(headers: list[str], rows: list[list[str]]) -> str:
    """A catalog as the editor's text (comma-separated, quoted where needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def _refusal(ctx: UIContext, csrf: str | None = None) -> Response | None:
    if ctx.viewer is None:
        return ctx.to_login()
    if not ctx.viewer.can_manage_bots:
        return ctx.forbidden(REFUSED)
    if csrf is not None and not ctx.csrf_ok(csrf):
        return ctx.bad_csrf()
    return None


def _editor(
    ctx: UIContext,
    *,
    catalog_id: int | None,
    name: str,
    contents: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return ctx.render(
        "catalog_edit.html",
        status_code=status_code,
        title=f"Edit {name}" if catalog_id else "New catalog",
        section="catalogs",
        catalog_id=catalog_id,
        name=name,
        contents=contents,
        error=error,
    )


@router.get("/catalogs/new")
async def new_catalog_page(ctx: Ctx) -> Response:
    return _refusal(ctx) or _editor(ctx, catalog_id=None, name="", contents="")


@router.post("/catalogs/new")
async def create_catalog(
    ctx: Ctx,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    contents: Annotated[str, Form()] = "",
) -> Response:
    refusal = _refusal(ctx, csrf)
    if refusal is not None:
        return refusal
    try:
        if not name.strip():
            raise ContentsError("Give the catalog a name.")
        headers, rows = parse_contents(contents)
        async with ctx.state.database.session() as db, db.begin():
            await catalog_store.create_catalog(
                db, ctx.directory.organization_id, name.strip(), headers, rows
            )
    except (ContentsError, PyrusError) as exc:
        message = f"{exc.message} ({exc.code})" if isinstance(exc, PyrusError) else str(exc)
        return _editor(
            ctx, catalog_id=None, name=name, contents=contents, error=message, status_code=400
        )
    ctx.state.directories.invalidate()
    return ctx.redirect("/catalogs", done="catalog-saved")


@router.get("/catalogs/{catalog_id}/edit")
async def edit_catalog_page(ctx: Ctx, catalog_id: int) -> Response:
    refusal = _refusal(ctx)
    if refusal is not None:
        return refusal
    catalog = ctx.directory.catalogs.get(catalog_id)
    if catalog is None or catalog.deleted:
        return ctx.not_found(f"catalog {catalog_id}")
    rows = [item.values for item in catalog.items if not item.deleted]
    return _editor(
        ctx, catalog_id=catalog.id, name=catalog.name, contents=contents_text(catalog.headers, rows)
    )


@router.post("/catalogs/{catalog_id}/edit")
async def save_catalog(
    ctx: Ctx,
    catalog_id: int,
    csrf: Annotated[str, Form()] = "",
    contents: Annotated[str, Form()] = "",
) -> Response:
    refusal = _refusal(ctx, csrf)
    if refusal is not None:
        return refusal
    catalog = ctx.directory.catalogs.get(catalog_id)
    if catalog is None or catalog.deleted:
        return ctx.not_found(f"catalog {catalog_id}")
    try:
        headers, rows = parse_contents(contents)
        async with ctx.state.database.session() as db, db.begin():
            await catalog_store.sync_catalog(db, catalog_id, headers, rows, apply=True)
    except (ContentsError, PyrusError) as exc:
        message = f"{exc.message} ({exc.code})" if isinstance(exc, PyrusError) else str(exc)
        return _editor(
            ctx,
            catalog_id=catalog_id,
            name=catalog.name,
            contents=contents,
            error=message,
            status_code=400,
        )
    ctx.state.directories.invalidate()
    return ctx.redirect("/catalogs", done="catalog-saved")
