"""Fixtures of the delivery tests (helpers live in ``delivery_platform``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from delivery_platform import FAST, Platform, PlatformFactory, seed_workspace

from pyrus_bots.server.clock import SYSTEM_CLOCK
from pyrus_bots.server.delivery.service import DeliveryService
from pyrus_bots.server.store.db import Database


@pytest.fixture
async def platform(sqlite_database: Database) -> AsyncIterator[PlatformFactory]:
    """``await platform(hook_url, **settings)`` seeds the workspace and starts the worker."""
    started: list[DeliveryService] = []

    async def start(hook_url: str, **overrides: Any) -> Platform:
        settings = replace(FAST, **overrides)
        await seed_workspace(sqlite_database, hook_url)
        service = DeliveryService(sqlite_database, settings, SYSTEM_CLOCK)
        await service.start()
        started.append(service)
        return Platform(sqlite_database, settings, service)

    yield start
    for service in started:
        await service.stop()
