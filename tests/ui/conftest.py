"""Fixtures of the UI tests (helpers live in ui_helpers.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from ui_helpers import DEMO_WORKSPACE, LiveServer, free_port, prepare_database

from pyrus_bots.server.app import create_app
from pyrus_bots.server.settings import Settings


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(
        admin_token: str | None = None,
        workspace: Path = DEMO_WORKSPACE,
        db_url: str | None = None,
        retry_schedule: tuple[float, ...] = (0.0, 61.0, 122.0),
        **overrides: Any,
    ) -> LiveServer:
        url = db_url or f"sqlite:///{tmp_path / f'ui-{len(servers)}.db'}"
        asyncio.run(prepare_database(url, workspace))
        port = free_port()
        settings = Settings(
            host="127.0.0.1",
            port=port,
            db=url,
            admin_token=admin_token,
            retry_schedule=retry_schedule,
            bot_timeout=2.0,
            **overrides,
        )
        app = create_app(settings)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        servers.append((server, thread))
        return LiveServer(f"http://127.0.0.1:{port}", settings, app)

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)
