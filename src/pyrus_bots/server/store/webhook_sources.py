"""What a batch of webhooks is built from, read in a few queries instead of a few per delivery.

A delivery worker's claim of many deliveries reads all their tasks, all their comments and
inserts all their webhook tokens in one statement each.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store import tasks as task_store
from pyrus_bots.server.store.models import CommentRow, TokenRow
from pyrus_bots.server.store.tokens import TOKEN_BYTES, hash_token
from pyrus_bots.server.workflow.state import Comment, TaskState

_comments = cast(Table, CommentRow.__table__)
_COMMENTS_OF_TASKS = (
    select(
        _comments.c.id,
        _comments.c.task_id,
        _comments.c.author_id,
        _comments.c.create_date,
        _comments.c.body,
    )
    .where(_comments.c.task_id.in_(bindparam("p_task_ids", expanding=True)))
    .order_by(_comments.c.id)
)
"""Built once: building a statement costs about as much CPU as running it."""


async def tasks_by_id(session: AsyncSession, task_ids: Collection[int]) -> dict[int, TaskState]:
    return {task.id: task for task in await task_store.get_tasks(session, task_ids)}


async def comments_by_task(
    session: AsyncSession, task_ids: Collection[int]
) -> dict[int, list[Comment]]:
    """Every comment of these tasks, oldest first per task."""
    found: dict[int, list[Comment]] = {task_id: [] for task_id in task_ids}
    if not task_ids:
        return found
    rows = await session.execute(_COMMENTS_OF_TASKS, {"p_task_ids": list(task_ids)})
    for comment_id, task_id, author_id, create_date, body in rows:
        # Core rows: each body is a fresh dict, no ORM identity map to copy it out of
        found[task_id].append(Comment(task_id, author_id, create_date, body, comment_id))
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
