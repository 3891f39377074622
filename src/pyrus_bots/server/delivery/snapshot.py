"""Read what a batch of webhooks is built from in a few queries instead of a few per delivery.

The task store reads one task's comments at a time and issues one token at a time; a claim of
many deliveries reads all their tasks, all their comments and inserts all their tokens in one
statement each. (Private adapters over the store's tables: the store offers no batch reads.)
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.store.models import CommentRow, TokenRow
from pyrus_bots.server.store.tokens import TOKEN_BYTES, hash_token
from pyrus_bots.server.workflow.state import Comment, TaskState


async def tasks_by_id(session: AsyncSession, task_ids: Collection[int]) -> dict[int, TaskState]:
    return {task.id: task for task in await task_store.get_tasks(session, task_ids)}


async def comments_by_task(
    session: AsyncSession, task_ids: Collection[int]
) -> dict[int, list[Comment]]:
    """Every comment of these tasks, oldest first per task."""
    found: dict[int, list[Comment]] = {task_id: [] for task_id in task_ids}
    if not task_ids:
        return found
    rows = await session.scalars(
        select(CommentRow).where(CommentRow.task_id.in_(list(task_ids))).order_by(CommentRow.id)
    )
    for row in rows:
        found[row.task_id].append(
            Comment(
                id=row.id,
                task_id=row.task_id,
                author_id=row.author_id,
                create_date=row.create_date,
                body=dict(row.body),
            )
        )
    return found


async def issue_tokens(
    session: AsyncSession, person_ids: Sequence[int], *, ttl: float, now: datetime
) -> list[str]:
    """One new token per entry of ``person_ids`` (in order), stored like ``issue_token`` does."""
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in person_ids]
    if tokens:
        expires = now + timedelta(seconds=ttl)
        await session.execute(
            insert(TokenRow),
            [
                {
                    "token_hash": hash_token(token),
                    "person_id": person_id,
                    "created": now,
                    "expires": expires,
                    "revoked": False,
                }
                for token, person_id in zip(tokens, person_ids, strict=True)
            ],
        )
    return tokens
