"""Which bots a change must call, and with which event (DESIGN.md 3.4).

- ``comment``: the task entered a step where the bot is an approver (a new task whose first step
  has the bot counts), or a comment by someone else landed on a task in the bot's inbox: the
  bot is waiting on the current step, or is the responsible or a participant of the open task.
- ``close``: the change closed a task that was in the bot's inbox in that sense (judged on
  ``before``; without it, on the closed task: responsible, participant, or approver of the step
  it closed on).
- Never the comment's author; banned or fired bots are never called; one entry per bot (``close``
  wins when the task ends closed).
"""

from __future__ import annotations

from pyrus_bots.server.workflow.access import acts_for, is_waiting_on
from pyrus_bots.server.workflow.state import (
    CommentAdded,
    Directory,
    Event,
    StepEntered,
    TaskClosed,
    TaskState,
)

COMMENT_EVENT = "comment"
CLOSE_EVENT = "close"


def _concerns(directory: Directory, task: TaskState, bot_id: int) -> bool:
    """Whether the open task is in the bot's inbox in the trigger sense."""
    if task.is_closed:
        return False
    if task.responsible_id == bot_id or bot_id in task.participant_ids:
        return True
    return is_waiting_on(task, bot_id, directory)


def _concerned_by_close(directory: Directory, closed: TaskState, bot_id: int) -> bool:
    """Without the state before the change: the bot is responsible, a participant, or an
    approver of the step the task closed on (any step of a simple task)."""
    if closed.responsible_id == bot_id or bot_id in closed.participant_ids:
        return True
    if closed.current_step is None:
        entries = [a for step in closed.approvals for a in step]
    elif 1 <= closed.current_step <= len(closed.approvals):
        entries = closed.approvals[closed.current_step - 1]
    else:
        entries = []
    return any(acts_for(directory, bot_id, a.person_id) for a in entries)


def bots_to_call(
    directory: Directory,
    before: TaskState | None,
    after: TaskState,
    events: list[Event],
    author_id: int,
) -> list[tuple[int, str]]:
    """``(bot person id, "comment" | "close")`` for every bot these events concern."""
    bots = [
        p.id
        for p in directory.people.values()
        if p.type == "bot" and not p.banned and not p.fired and p.id != author_id
    ]
    calls: dict[int, str] = {}
    for event in events:
        for bot_id in bots:
            if isinstance(event, TaskClosed):
                if (before is not None and _concerns(directory, before, bot_id)) or (
                    before is None and _concerned_by_close(directory, after, bot_id)
                ):
                    calls[bot_id] = CLOSE_EVENT
            elif isinstance(event, StepEntered):
                named = any(
                    bot_id == a or bot_id in getattr(directory.roles.get(a), "member_ids", ())
                    for a in event.approver_ids
                )
                if named and is_waiting_on(after, bot_id, directory):
                    calls.setdefault(bot_id, COMMENT_EVENT)
            elif (
                isinstance(event, CommentAdded)
                and event.author_id != bot_id
                and _concerns(directory, after, bot_id)
            ):
                calls.setdefault(bot_id, COMMENT_EVENT)
    return sorted(calls.items())
