"""The filters of a list's tasks (``/lists/{id}/tasks``), as every official client sends them.

Python posts a JSON body (``include_archived: "y"``, dates ``YYYY-MM-DDThh:mm:ssZ``); TypeScript
puts the same keys in the query; C# posts a body with Newtonsoft's dates ``"\\/Date(ms)\\/"``
(also with an offset, ``"\\/Date(ms+0100)\\/"``) and ``include_archived`` ``"y"`` or ``""``.
Bounds are inclusive, as Pyrus documents them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pyrus_bots.protocol.pyrus_json import parse_filter_date
from pyrus_bots.server.api.body import parse_bool, parse_int
from pyrus_bots.server.workflow.state import TaskState

DEFAULT_LIST_ITEMS = 200
MAX_LIST_ITEMS = 20000
DATE_FILTERS = (
    "modified_before",
    "modified_after",
    "created_before",
    "created_after",
    "closed_before",
    "closed_after",
)


@dataclass(slots=True)
class ListTaskFilters:
    item_count: int = DEFAULT_LIST_ITEMS
    include_archived: bool = False
    bounds: dict[str, datetime] = field(default_factory=dict)


def list_task_filters(params: dict[str, Any]) -> ListTaskFilters:
    """The filters of a query or body; a bad value is 400 ``invalid_value_format``."""
    # C# sends ``item_count: 0`` when its caller set no count: that is the default too.
    count = params.get("item_count")
    filters = ListTaskFilters(
        item_count=DEFAULT_LIST_ITEMS
        if count in (None, "", 0, "0")
        else parse_int(count, "item_count", minimum=1, maximum=MAX_LIST_ITEMS),
        include_archived=parse_bool(params.get("include_archived", False), "include_archived"),
    )
    for key in DATE_FILTERS:
        bound = parse_filter_date(params.get(key), key)
        if bound is not None:
            filters.bounds[key] = bound
    return filters


def _within(value: datetime | None, after: datetime | None, before: datetime | None) -> bool:
    if after is None and before is None:
        return True
    if value is None:
        return False
    value = value.replace(microsecond=0)  # Pyrus dates have whole seconds, as clients see them
    return (after is None or value >= after) and (before is None or value <= before)


def keep_task(task: TaskState, filters: ListTaskFilters) -> bool:
    if task.is_closed and not filters.include_archived:
        return False
    bounds = filters.bounds
    return (
        _within(
            task.last_modified_date, bounds.get("modified_after"), bounds.get("modified_before")
        )
        and _within(task.create_date, bounds.get("created_after"), bounds.get("created_before"))
        and _within(task.close_date, bounds.get("closed_after"), bounds.get("closed_before"))
    )


def select_tasks(tasks: list[TaskState], filters: ListTaskFilters) -> list[TaskState]:
    """The tasks the filters keep, in the order given (ascending ids from the store)."""
    return [task for task in tasks if keep_task(task, filters)]
