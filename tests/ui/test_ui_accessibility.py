"""Every input of every UI page has a label (the pages a phone shows are checked in
test_ui_browser_layout.py)."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser

from ui_helpers import UI_PAGES, LiveServer, demo_task_path

Start = Callable[..., LiveServer]


class _Inputs(HTMLParser):
    """Collects form controls and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label" and found.get("for"):
            self.labelled.add(str(found["for"]))
        if tag in {"input", "select", "textarea"} and found.get("type") not in {
            "hidden",
            "submit",
        }:
            self.controls.append(found)


def _unlabelled(html: str) -> list[str]:
    parser = _Inputs()
    parser.feed(html)
    return [
        str(c.get("name"))
        for c in parser.controls
        if not c.get("aria-label") and (c.get("id") or "") not in parser.labelled
    ]


def test_every_input_has_a_label(ui_server: Start) -> None:
    server = ui_server()
    with server.client() as ui:
        for path in (*UI_PAGES, demo_task_path(server)):
            page = ui.get(path)
            assert page.status_code == 200, path
            assert _unlabelled(page.text) == [], path
