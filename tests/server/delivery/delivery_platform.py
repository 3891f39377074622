"""The platform side of the delivery tests: a migrated database with one organisation, a user, a bot
on step 1 of a form, and a running DeliveryService with short schedules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyrus_bots.protocol.models import CommentRequest, CreateTaskRequest
from pyrus_bots.server.delivery.service import DeliveryService
from pyrus_bots.server.settings import Settings
from pyrus_bots.server.store import bots as bot_store
from pyrus_bots.server.store import comments as comment_store
from pyrus_bots.server.store import delivery_log
from pyrus_bots.server.store import forms as form_store
from pyrus_bots.server.store import people as people_store
from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import load_directory
from pyrus_bots.server.store.outbox import Delivery, DeliveryAttempt
from pyrus_bots.server.tasks import changes as task_service
from pyrus_bots.server.workflow.state import ChoiceOption, Comment, FieldDef, FormDef, StepDef

ORG_ID = 1
HUMAN_ID = 1001
BOT_ID = 2001
FORM_ID = 321
BOT_SECRET = "bot-secret-key"

FAST = Settings(
    retry_schedule=(0.0, 0.3, 0.6),
    bot_timeout=0.5,
    worker_lease=5.0,
    bot_call_limit=(500, 600.0),
)


@dataclass
class Platform:
    database: Database
    settings: Settings
    service: DeliveryService

    async def create_task(self, text: str = "Printer") -> int:
        async with self.database.session() as session, session.begin():
            directory = await load_directory(session)
            task, _ = await task_service.create_task(
                session,
                directory,
                directory.people[HUMAN_ID],
                CreateTaskRequest.model_validate(
                    {"form_id": FORM_ID, "fields": [{"id": 1, "value": text}]}
                ),
                datetime.now(UTC),
            )
        return task.id

    async def comment(self, task_id: int, text: str, author_id: int = HUMAN_ID) -> None:
        async with self.database.session() as session, session.begin():
            directory = await load_directory(session)
            await task_service.comment_task(
                session,
                directory,
                task_id,
                directory.people[author_id],
                CommentRequest(text=text),
                datetime.now(UTC),
            )

    async def set_bot(self, **changes: Any) -> None:
        async with self.database.session() as session, session.begin():
            await bot_store.update_bot(session, BOT_ID, **changes)
        self.service.forget_bot_states()

    async def task(self, task_id: int) -> tuple[Any, list[Comment]]:
        async with self.database.session() as session:
            task = await task_store.get_task(session, task_id)
            comments = await comment_store.get_comments(session, task_id)
        return task, comments

    async def deliveries(self, task_id: int | None = None) -> list[Delivery]:
        async with self.database.session() as session:
            rows = await delivery_log.list_deliveries(
                session, delivery_log.DeliveryFilter(task_id=task_id, limit=1000)
            )
        return sorted(rows, key=lambda r: r.id)

    async def attempts(self, task_id: int) -> list[DeliveryAttempt]:
        found: list[DeliveryAttempt] = []
        async with self.database.session() as session:
            for row in await self.deliveries(task_id):
                found += await delivery_log.attempts_of(session, row.id)
        return sorted(found, key=lambda a: a.id)

    async def wait_for(
        self, check: Callable[[], Awaitable[bool]], within: float = 20.0, what: str = ""
    ) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await check():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what or check}")

    async def wait_settled(self, task_id: int, within: float = 20.0) -> list[Delivery]:
        """Wait until no delivery of the task is pending; return them."""

        async def settled() -> bool:
            rows = await self.deliveries(task_id)
            return bool(rows) and all(r.state != "pending" for r in rows)

        await self.wait_for(settled, within, f"deliveries of task {task_id} to settle")
        return await self.deliveries(task_id)


async def seed_workspace(database: Database, hook_url: str) -> None:
    async with database.session() as session, session.begin():
        await people_store.save_organization(session, ORG_ID, "Acme")
        await people_store.create_person(
            session, ORG_ID, email="alice@acme.test", first_name="Alice", person_id=HUMAN_ID
        )
        await bot_store.create_bot(
            session,
            ORG_ID,
            "Approver",
            hook_url=hook_url,
            settings='{"limit": 1000}',
            security_key=BOT_SECRET,
            person_id=BOT_ID,
        )
        await form_store.save_form(
            session,
            ORG_ID,
            FormDef(
                id=FORM_ID,
                name="Purchase request",
                fields=[
                    FieldDef(id=1, type="text", name="Item", code="u_item"),
                    FieldDef(
                        id=3,
                        type="multiple_choice",
                        name="Status",
                        code="u_status",
                        options=[ChoiceOption(1, "New"), ChoiceOption(2, "Approved")],
                    ),
                ],
                steps=[
                    StepDef(1, "Automatic check", [BOT_ID]),
                    StepDef(2, "Manager", [HUMAN_ID]),
                ],
            ),
        )


PlatformFactory = Callable[..., Awaitable[Platform]]
