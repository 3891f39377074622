"""``GET /calendar`` and ``GET /tasksbyapprover/{id}`` with the query strings the clients build.

Python and C# write every parameter, booleans as ``True``/``False`` and dates as
``YYYY-MM-DDThh:mm:ssZ``; TypeScript builds ``URLSearchParams`` (``true``/``false``, colons
escaped) and may leave out ``start_date_utc``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx

from api.harness import ALICE, BOB, CAROL, FORM_ID, RunningServer, assert_error, person_client
from pyrus_bots.protocol.models.calendar import CalendarResponse
from pyrus_bots.protocol.models.responses import TaskHeadersResponse


def _calendar(client: httpx.Client, query: str) -> list[int]:
    response = client.get(f"/v4/calendar?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    parsed = CalendarResponse.from_pyrus(body)
    assert "tasks" in body and "has_more" in body and "meetings" not in body
    for task in parsed.tasks:
        assert len(task.comments) == 1  # the last comment only
    return [task.id for task in parsed.tasks if task.id is not None]


def _query(start: str, end: str, count: int = 50, all_tasks: str = "False", mask: int = 7) -> str:
    return (
        f"start_date_utc={start}&end_date_utc={end}&item_count={count}"
        f"&all_accessed_tasks={all_tasks}&filter_mask={mask}&include_meetings=False"
    )


def test_calendar_selects_tasks_by_deadline(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    bob = person_client(module_server, BOB)
    carol = person_client(module_server, CAROL)
    by_date = bob.post(
        "/v4/tasks",
        json={"text": "by date", "responsible": {"id": CAROL["id"]}, "due_date": "2030-03-10"},
    ).json()["task"]
    by_time = bob.post(
        "/v4/tasks",
        json={
            "text": "by time",
            "responsible": {"id": CAROL["id"]},
            "due": "2030-03-11T09:00:00Z",
            "duration": 30,
        },
    ).json()["task"]
    later = bob.post(
        "/v4/tasks",
        json={"text": "later", "responsible": {"id": CAROL["id"]}, "due_date": "2030-05-01"},
    ).json()["task"]
    march = ("2030-03-01T00:00:00Z", "2030-03-31T23:59:59Z")
    # Python get_calendar_tasks / C# GetCalendarTasks: every parameter, the default mask 7.
    assert _calendar(carol, _query(*march)) == [by_date["id"], by_time["id"]]
    assert _calendar(carol, _query(*march, mask=1)) == [by_time["id"]]
    assert _calendar(carol, _query(*march, mask=2)) == [by_date["id"]]
    assert _calendar(carol, _query(*march, mask=12)) == []  # no step deadlines, no reminders
    page = carol.get(f"/v4/calendar?{_query(*march, count=1)}").json()
    assert [t["id"] for t in page["tasks"]] == [by_date["id"]] and page["has_more"] is True
    # TS: URLSearchParams, lower-case booleans, no start date.
    ts = urlencode({"end_date_utc": "2030-12-31T00:00:00Z", "all_accessed_tasks": "false"})
    assert _calendar(carol, ts) == [by_date["id"], by_time["id"], later["id"]]
    # Not in Bob's inbox (he is the author); all_accessed_tasks widens to what he sees.
    assert _calendar(bob, _query(*march)) == []
    assert _calendar(bob, _query(*march, all_tasks="True")) == [by_date["id"], by_time["id"]]
    assert _calendar(alice, _query(*march, all_tasks="True")) == []
    # C# writes item_count= for a null count.
    assert (
        carol.get(
            f"/v4/calendar?{_query(*march)}".replace("item_count=50", "item_count=")
        ).status_code
        == 200
    )
    # An empty answer still has its collection.
    assert carol.get(
        f"/v4/calendar?{_query('2001-01-01T00:00:00Z', '2001-01-02T00:00:00Z')}"
    ).json() == {
        "tasks": [],
        "has_more": False,
    }
    for bad in (
        "start_date_utc=2030-01-01T00:00:00Z",
        _query("soon", "2030-01-01T00:00:00Z"),
        _query("2030-02-01T00:00:00Z", "2030-01-01T00:00:00Z"),
        _query(*march, all_tasks="perhaps"),
        _query(*march, mask=99),
        _query(*march, count=0),
    ):
        response = carol.get(f"/v4/calendar?{bad}")
        assert response.status_code == 400 and response.json()["error_code"] in {
            "required_parameter_missing",
            "invalid_value_format",
        }, (bad, response.text)


def test_tasks_by_approver(module_server: RunningServer) -> None:
    alice = person_client(module_server, ALICE)
    bob = person_client(module_server, BOB)
    task = bob.post("/v4/tasks", json={"form_id": FORM_ID, "fields": [{"id": 1, "value": "Pen"}]})
    task_id = task.json()["task"]["id"]
    # C# GetTasksByApproverAsync: GET /tasksbyapprover/{id}, a TaskListResponse.
    response = alice.get(f"/v4/tasksbyapprover/{CAROL['id']}")
    assert response.status_code == 200, response.text
    assert task_id in [t.id for t in TaskHeadersResponse.from_pyrus(response.json()).tasks]
    assert response.json()["has_more"] is False
    # Carol, an approver of a later step, finds it too; Bob (the author) approves nothing.
    carol = person_client(module_server, CAROL)
    mine = carol.get(f"/v4/tasksbyapprover/{CAROL['id']}").json()["tasks"]
    assert task_id in [t["id"] for t in mine]
    assert bob.get(f"/v4/tasksbyapprover/{BOB['id']}").json() == {"tasks": [], "has_more": False}
    assert_error(alice.get("/v4/tasksbyapprover/987654"), 400, "invalid_person_id")
