"""How large a task may grow: every change is checked before it is written, so a task (and the
webhook that carries it with its comments) stays bounded. Errors use Pyrus's codes.

- a comment's or the task's text: 100,000 characters (``max_text_length_exceeded``);
- one comment, as stored: 256 KiB (``too_large_request_length``);
- comments on one task: 1,000 (``too_many_comments``);
- attachments on one task: 500 (``too_many_attachments``);
- the task itself (fields, people, steps), as stored: 4 MiB (``too_large_request_length``).

The worst case webhook is then about comments x comment size + task size (~260 MB); the
defaults are far above what people write by hand and far below what a database row can take.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyrus_bots.protocol.errors import PyrusError
from pyrus_bots.protocol.pyrus_json import dumps
from pyrus_bots.server.store.codec import to_document
from pyrus_bots.server.workflow.state import Comment, TaskState


@dataclass(frozen=True, slots=True)
class TaskLimits:
    comment_text_chars: int = 100_000
    comment_bytes: int = 256 * 1024
    comments_per_task: int = 1_000
    attachments_per_task: int = 500
    task_bytes: int = 4 * 1024 * 1024


TASK_LIMITS = TaskLimits()


def check_change(
    task: TaskState, comment: Comment, comments_before: int, limits: TaskLimits | None = None
) -> None:
    """Refuse a change that leaves ``task`` (with ``comment`` added to the ``comments_before``
    it had) over a limit."""
    limits = limits or TASK_LIMITS
    texts = (comment.body.get("text"), comment.body.get("formatted_text"), task.text)
    for text in (*texts, task.formatted_text):
        if isinstance(text, str) and len(text) > limits.comment_text_chars:
            raise PyrusError(
                "max_text_length_exceeded",
                f"a text may have at most {limits.comment_text_chars} characters",
            )
    if len(dumps(comment.body)) > limits.comment_bytes:
        raise PyrusError(
            "too_large_request_length", f"a comment may take at most {limits.comment_bytes} bytes"
        )
    if comments_before + 1 > limits.comments_per_task:
        raise PyrusError(
            "too_many_comments", f"a task may have at most {limits.comments_per_task} comments"
        )
    if len(task.attachment_ids) > limits.attachments_per_task:
        raise PyrusError(
            "too_many_attachments",
            f"a task may have at most {limits.attachments_per_task} attachments",
        )
    if len(dumps(to_document(task))) > limits.task_bytes:
        raise PyrusError(
            "too_large_request_length", f"a task may take at most {limits.task_bytes} bytes"
        )
