"""Inputs that once made the platform answer 500: each gets a 4XX now (or is served), on
SQLite and PostgreSQL."""

from __future__ import annotations

from api.harness import BOB, FORM_ID, RunningServer, person_client

HUGE = "9" * 30  # beyond 64 bits


def test_huge_integers_in_register_filters(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    for query in (
        f"fld1=gt{HUGE}",
        f"fld2={HUGE}",
        f"fld2=lt{HUGE}",
        f"task_ids={HUGE}",
        f"item_count={HUGE}",
        f"fld{HUGE}=1",
        f"fld3={HUGE},1",
    ):
        response = bob.get(f"/v4/forms/{FORM_ID}/register?{query}")
        assert response.status_code < 500, (query, response.text)
    response = bob.post(f"/v4/forms/{FORM_ID}/register", json={"fld2": f"gt{HUGE}"})
    assert response.status_code < 500, response.text
    response = bob.post(f"/v4/forms/{FORM_ID}/register", json={"task_ids": [int(HUGE)]})
    assert response.status_code < 500, response.text


def test_huge_ids_in_the_admin_api(shared_server: RunningServer) -> None:
    admin = shared_server.admin_client()
    for path in (
        f"/admin/api/deliveries/{HUGE}",
        f"/admin/api/deliveries?bot_id={HUGE}",
        f"/admin/api/deliveries?task_id={HUGE}",
        f"/admin/api/deliveries?before_id={HUGE}",
        f"/admin/api/bots/{HUGE}",
        f"/admin/api/people/{HUGE}",
    ):
        response = admin.get(path)
        assert response.status_code < 500, (path, response.text)
    response = admin.post(f"/admin/api/deliveries/{HUGE}/resend")
    assert response.status_code < 500, response.text


def test_huge_ids_in_ui_paths(shared_server: RunningServer) -> None:
    ui = shared_server.client()  # loopback without an admin token: the UI needs no sign-in
    assert "administrator" in ui.get("/ui/").text
    for path in (
        f"/ui/tasks/{HUGE}",
        f"/ui/bots/{HUGE}",
        f"/ui/deliveries/{HUGE}",
        f"/ui/bots/{HUGE}/deliveries",
        f"/ui/forms/{HUGE}",
        f"/ui/tasks?form={HUGE}",
        f"/ui/deliveries?task={HUGE}",
        f"/ui/tasks/new?form={HUGE}",
    ):
        response = ui.get(path)
        assert response.status_code < 500, (path, response.status_code)


def test_deep_channel(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    task = bob.post("/v4/tasks", json={"text": "t"}).json()["task"]
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    for channel in (
        {"type": "email", "to": deep},
        {"type": deep},
        {"type": "email", "from": [deep]},
    ):
        response = bob.post(
            f"/v4/tasks/{task['id']}/comments", json={"text": "x", "channel": channel}
        )
        assert response.status_code < 500, response.text
    nul = bob.post(
        f"/v4/tasks/{task['id']}/comments", json={"text": "x", "channel": {"type": "e\u0000"}}
    )
    assert nul.status_code < 500, nul.text


def test_deep_channel_below_the_depth_limit_reads_back(shared_server: RunningServer) -> None:
    bob = person_client(shared_server, BOB)
    task = bob.post("/v4/tasks", json={"text": "t"}).json()["task"]
    for depth in (10, 40, 58):
        deep: object = "x"
        for _ in range(depth):
            deep = {"a": deep}
        response = bob.post(
            f"/v4/tasks/{task['id']}/comments",
            json={"text": "x", "channel": {"type": "email", "to": deep}},
        )
        assert response.status_code < 500, (depth, response.text)
        assert bob.get(f"/v4/tasks/{task['id']}").status_code == 200
