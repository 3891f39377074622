"""A bot's API comment that sends the task to another bot is refused and changes nothing."""

from __future__ import annotations

from api.harness import ALICE, BOB, RunningServer, assert_error, bot_client, person_client


def test_a_bot_cannot_send_a_task_to_another_bot(shared_server: RunningServer) -> None:
    alice = person_client(shared_server, ALICE)
    other = alice.post("/v4/bots", json={"name": "Other bot"}).json()
    bot = bot_client(shared_server)
    created = bot.post("/v4/tasks", json={"text": "Bot's own task", "participants": [BOB]})
    assert created.status_code == 200, created.text
    task = created.json()["task"]
    path = f"/v4/tasks/{task['id']}/comments"
    for change in (
        {"reassign_to": {"id": other["id"]}},
        {"reassign_to": {"email": other["login"]}},
        {"participants_added": [{"id": BOB["id"]}, {"id": other["id"]}]},
        {"subscribers_added": [{"id": other["id"]}]},
        {"approvals_added": [[{"id": other["id"]}]]},
    ):
        refused = bot.post(path, json={"text": "yours now", **change})
        assert_error(refused, 400, "invalid_person_id")
    after = bot.get(f"/v4/tasks/{task['id']}").json()["task"]
    assert after["comments"] == task["comments"] and after.get("participants") == task.get(
        "participants"
    )
    assert_error(
        bot.post(
            "/v4/tasks", json={"text": "For the other bot", "responsible": {"id": other["id"]}}
        ),
        400,
        "invalid_person_id",
    )
    # People may route to any bot; a bot may still name people.
    ok = bot.post(path, json={"text": "Bob, please", "participants_added": [{"id": ALICE["id"]}]})
    assert ok.status_code == 200, ok.text
    by_person = person_client(shared_server, BOB).post(
        path, json={"text": "to the other bot", "participants_added": [{"id": other["id"]}]}
    )
    assert by_person.status_code == 200, by_person.text
