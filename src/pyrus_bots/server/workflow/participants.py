"""Who a task involves: the responsible, participants and subscribers a comment changes."""

from __future__ import annotations

from pyrus_bots.protocol.models.requests import CommentRequest
from pyrus_bots.server.workflow.change import Change
from pyrus_bots.server.workflow.state import Approval


def change_people(change: Change, request: CommentRequest) -> None:
    """``reassign_to``, ``participants_added/removed``, ``subscribers_added/removed/
    rerequested`` (a re-requested subscriber is asked to acknowledge again)."""
    task = change.task
    if request.reassign_to is not None:
        task.responsible_id = change.person_id(request.reassign_to)
        change.body["reassigned_to"] = task.responsible_id
    added = change.person_ids(request.participants_added)
    removed = change.person_ids(request.participants_removed)
    task.participant_ids = [p for p in task.participant_ids if p not in removed]
    task.participant_ids += [p for p in added if p not in task.participant_ids]
    change.record("participants_added", added)
    change.record("participants_removed", removed)

    sub_added = change.person_ids(request.subscribers_added)
    sub_removed = change.person_ids(request.subscribers_removed)
    sub_again = change.person_ids(request.subscribers_rerequested)
    task.subscribers = [s for s in task.subscribers if s.person_id not in sub_removed]
    present = {s.person_id for s in task.subscribers}
    task.subscribers += [Approval(p) for p in sub_added if p not in present]
    for sub in task.subscribers:
        if sub.person_id in sub_again:
            sub.choice = "waiting"
    change.record("subscribers_added", sub_added)
    change.record("subscribers_removed", sub_removed)
    change.record("subscribers_rerequested", sub_again)
