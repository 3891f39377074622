"""A NUL character in a UI form (PostgreSQL cannot store one) is refused with 400 and
changes nothing, on both databases."""

from __future__ import annotations

from collections.abc import Callable

from ui_helpers import LiveServer, post_form

Start = Callable[..., LiveServer]
BOT_ID = 2001


def test_nul_in_ui_forms_is_a_400(db_url: str, ui_server: Start) -> None:
    server = ui_server(db_url=db_url)
    with server.client() as client:
        before = client.get(f"/ui/bots/{BOT_ID}").text
        for form in (
            {"name": "Evil\x00bot", "hook_url": "http://127.0.0.1:5001/"},
            {"name": "Bot", "hook_url": "http://127.0.0.1:5001/", "settings": "{\x00}"},
        ):
            answer = post_form(client, f"/ui/bots/{BOT_ID}", f"/ui/bots/{BOT_ID}", **form)
            assert answer.status_code == 400, answer.text
        assert client.get(f"/ui/bots/{BOT_ID}").text.count("Evil") == before.count("Evil")
        answer = post_form(
            client, "/ui/tasks/new?form=321", "/ui/tasks/new", form="321", f1="a\x00b"
        )
        assert answer.status_code == 400, answer.text
        assert client.get("/ui/tasks?q=a%00").status_code == 400
