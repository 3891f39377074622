"""Comments of tasks: write them in one statement, edit a body, read a task's comments.

The task row's ``last_note_id`` is the task writer's business (:mod:`.task_writes`): a task's
first comment is written with the task, later ones before ``save_locked_tasks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, desc, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pyrus_bots.server.store.models import CommentRow
from pyrus_bots.server.workflow.state import Comment

_comments = cast(Table, CommentRow.__table__)
# Built once and run with parameters (named ``p_*``: column names are SQLAlchemy's own).
_INSERT_COMMENT = (
    insert(_comments)
    .values(
        {
            column: bindparam(f"p_{column}", type_=_comments.c[column].type)
            for column in ("task_id", "author_id", "create_date", "body")
        }
    )
    .returning(_comments.c.id, sort_by_parameter_order=True)
)
_COMMENT_COLUMNS = (
    _comments.c.id,
    _comments.c.task_id,
    _comments.c.author_id,
    _comments.c.create_date,
    _comments.c.body,
)


async def add_comments(session: AsyncSession, comments: Sequence[Comment]) -> None:
    """Store comments in one statement and set each one's id, in the order given."""
    params = [
        {
            "p_task_id": comment.task_id,
            "p_author_id": comment.author_id,
            "p_create_date": comment.create_date,
            "p_body": comment.body,
        }
        for comment in comments
    ]
    if not params:
        return
    ids = (await session.execute(_INSERT_COMMENT, params if len(params) > 1 else params[0])).all()
    for comment, (comment_id,) in zip(comments, ids, strict=True):
        comment.id = int(comment_id)


async def update_comment(session: AsyncSession, comment: Comment) -> None:
    """Rewrite a stored comment's body (``edit_comment_id``)."""
    if comment.id is None:
        raise ValueError("the comment has no id: store it with add_comments first")
    await session.execute(
        update(CommentRow).where(CommentRow.id == comment.id).values(body=comment.body)
    )


def _comment(row: Any) -> Comment:
    return Comment(
        id=row.id,
        task_id=row.task_id,
        author_id=row.author_id,
        create_date=row.create_date,
        body=dict(row.body),
    )


async def get_comments(
    session: AsyncSession, task_id: int, *, last_only: bool = False
) -> list[Comment]:
    """A task's comments in the order written (``last_only``: just the newest one)."""
    # Core rows, not ORM entities: the identity map costs more than the rows themselves.
    query = select(*_COMMENT_COLUMNS).where(_comments.c.task_id == task_id)
    if last_only:
        query = query.order_by(desc(_comments.c.id)).limit(1)
    else:
        query = query.order_by(_comments.c.id)
    return [_comment(row) for row in (await session.execute(query)).all()]


async def comment_counts(session: AsyncSession, task_ids: Sequence[int]) -> dict[int, int]:
    """How many comments each of these tasks has (tasks without any are left out)."""
    if not task_ids:
        return {}
    rows = await session.execute(
        select(CommentRow.task_id, func.count())
        .where(CommentRow.task_id.in_(sorted(set(task_ids))))
        .group_by(CommentRow.task_id)
    )
    return {int(task_id): int(count) for task_id, count in rows}
