"""Task lists in the fake API: the inbox, lists and the tasks of a list (task headers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pyrus_bots.testing.fake_api.common import JSON, found, json_response
from pyrus_bots.testing.fake_api.state import FakeState


async def inbox(fake: FakeState, request: Request, body: Any) -> Response:
    me_id = request.state.person.get("id")
    item_count = int(request.query_params.get("item_count", "50"))
    waiting = []
    for task in fake.tasks.values():
        if task.get("is_closed"):
            continue
        step = int(task.get("current_step") or 1)
        approvals = task.get("approvals") or []
        on_step = approvals[step - 1] if len(approvals) >= step else []
        if any(
            (a.get("person") or {}).get("id") == me_id
            and a.get("approval_choice", "waiting") == "waiting"
            for a in on_step
        ) or ((task.get("responsible") or {}).get("id") == me_id):
            waiting.append(header(task))
    return json_response({"tasks": waiting[:item_count], "has_more": len(waiting) > item_count})


async def lists(fake: FakeState, request: Request, body: Any) -> Response:
    return json_response({"lists": list(fake.lists.values())})


async def list_tasks(fake: FakeState, request: Request, body: Any) -> Response:
    list_id = request.path_params["list_id"]
    found(fake.lists, list_id, "access_denied", "No such list")
    params: Mapping[str, Any] = body if isinstance(body, dict) else dict(request.query_params)
    item_count = int(params.get("item_count") or 200)
    tasks = [header(t) for t in fake.tasks.values() if list_id in (t.get("list_ids") or [])]
    return json_response({"tasks": tasks[:item_count], "has_more": len(tasks) > item_count})


def header(task: JSON) -> JSON:
    keys = (
        "id",
        "text",
        "subject",
        "create_date",
        "last_modified_date",
        "close_date",
        "author",
        "responsible",
        "due_date",
        "due",
        "duration",
    )
    return {k: task[k] for k in keys if k in task}
