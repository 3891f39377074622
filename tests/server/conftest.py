"""Fixtures for tests that run the platform over real HTTP; see ``api/harness.py``.

- ``api_workspace``: the API test workspace (dict; ids in ``api.harness``).
- ``server``: the platform on a free loopback port over ``db_url`` (SQLite and PostgreSQL),
  migrated and loaded with ``api_workspace``; a ``RunningServer``.
- ``start_server(workspace=None, **settings)``: start more, or with other settings.
- ``shared_server``: one platform per backend for the whole session, for tests that only add
  their own objects (tasks, catalogs, bots) and leave the clock, limiter and settings as they
  found them: far cheaper than ``server`` (a PostgreSQL start costs ~2 s).
- ``module_server``: the same, one per test module (for tests that change shared objects, such
  as the schemathesis fuzzing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api.harness import (
    POSTGRES_ENV,
    RunningServer,
    StartServer,
    create_postgres_database,
    make_api_workspace,
    serve_in_thread,
)

from pyrus_bots.server.settings import Settings


@pytest.fixture
def api_workspace() -> dict[str, Any]:
    return make_api_workspace()


@pytest.fixture
def start_server(
    db_url: str, tmp_path: Path, api_workspace: dict[str, Any]
) -> Iterator[StartServer]:
    started: list[RunningServer] = []

    def start(workspace: dict[str, Any] | None = None, **overrides: Any) -> RunningServer:
        path = tmp_path / f"workspace-{len(started)}.json"
        path.write_text(json.dumps(workspace if workspace is not None else api_workspace))
        options = _server_options(db_url, path)
        options.update(overrides)
        running = serve_in_thread(Settings(**options))
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def server(start_server: StartServer) -> RunningServer:
    return start_server()


def _server_options(db: str, workspace: Path) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": 0,
        "db": db,
        "workspace": str(workspace),
        "retry_schedule": (0.0, 0.5, 1.0),
        "bot_timeout": 5.0,
    }


_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _run_wide_server(backend: str, directory: Path, **overrides: Any) -> Iterator[RunningServer]:
    """A platform on its own database for a fixture wider than one test."""
    workspace = directory / "workspace.json"
    workspace.write_text(json.dumps(make_api_workspace()))
    drop = None
    if backend == "sqlite":
        db = f"sqlite:///{directory / 'platform.db'}"
    else:
        server_url = os.environ.get(POSTGRES_ENV)
        if not server_url:
            pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
        db, drop = create_postgres_database(server_url)
    running = serve_in_thread(Settings(**(_server_options(db, workspace) | overrides)))
    try:
        yield running
    finally:
        running.stop()
        if drop is not None:
            drop()


@pytest.fixture(scope="session", params=_BACKENDS)
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    yield from _run_wide_server(request.param, tmp_path_factory.mktemp("shared-server"))


@pytest.fixture(scope="module", params=_BACKENDS)
def module_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    yield from _run_wide_server(request.param, tmp_path_factory.mktemp("module-server"))


@pytest.fixture(scope="module", params=_BACKENDS)
def tuned_module_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """Like ``module_server``, with the settings the test module lists in ``SERVER_SETTINGS``."""
    overrides: dict[str, Any] = getattr(request.module, "SERVER_SETTINGS", {})
    yield from _run_wide_server(request.param, tmp_path_factory.mktemp("tuned-server"), **overrides)
