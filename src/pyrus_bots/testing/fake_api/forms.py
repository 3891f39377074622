"""Forms and the form register (JSON and CSV) in the fake API."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.protocol import pyrus_json
from pyrus_bots.testing.fake_api.common import JSON, found, id_list, json_response
from pyrus_bots.testing.fake_api.state import FakeState
from pyrus_bots.testing.fake_api.tasks import find_field


async def get_forms(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response({"forms": list(fake.forms.values())})


def _form(fake: FakeState, form_id: int) -> JSON:
    message = "The form does not exist or is not accessible"
    return found(fake.forms, form_id, "access_denied_form", message)


async def get_form(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response(_form(fake, request.path_params["form_id"]))


async def register(fake: FakeState, request: Request, body: Any) -> Response:
    form_id = _form(fake, request.path_params["form_id"])["id"]
    params: Mapping[str, Any] = body if isinstance(body, dict) else dict(request.query_params)
    tasks = [t for t in fake.tasks.values() if t.get("form_id") == form_id]
    steps, task_ids = id_list(params.get("steps")), id_list(params.get("task_ids"))
    if steps:
        tasks = [t for t in tasks if t.get("current_step") in steps]
    if task_ids:
        tasks = [t for t in tasks if t["id"] in task_ids]
    for key, wanted in params.items():
        if key.startswith("fld") and key[3:].isdigit():
            tasks = [t for t in tasks if _field_matches(t, int(key[3:]), wanted)]
    rows = [{k: v for k, v in t.items() if k != "comments"} for t in tasks]
    if params.get("format") == "csv":
        return Response(
            _csv(fake, form_id, rows, str(params.get("delimiter") or ",")), media_type="text/csv"
        )
    return json_response({"tasks": rows})


def _field_matches(task: JSON, field_id: int, wanted: Any) -> bool:
    field = find_field(task.get("fields") or [], {"id": field_id})
    value = None if field is None else field.get("value")
    if wanted == "empty":
        return pyrus_json.is_empty(value)
    if wanted == "*":
        return not pyrus_json.is_empty(value)
    options = [wanted] if not isinstance(wanted, str) else wanted.split(",")
    return any(str(value) == str(option) for option in options)


def _csv(fake: FakeState, form_id: int, rows: list[JSON], delimiter: str) -> str:
    form_fields = fake.forms[form_id].get("fields", [])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["Task ID", *(f.get("name", "") for f in form_fields)])
    for row in rows:
        by_id = {f.get("id"): f.get("value") for f in row.get("fields") or []}
        values = [by_id.get(f.get("id")) for f in form_fields]
        writer.writerow([row["id"], *("" if v is None else v for v in values)])
    return out.getvalue()
