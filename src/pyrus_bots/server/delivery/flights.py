"""What the worker carries from a claim to the bot and back: one type per stage of a delivery.

A claim leases :class:`Flight` rows and reads their :class:`Source`; the sender builds a
:class:`Prepared` webhook and calls the bot; the finisher records the :class:`Finished` attempt.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from pyrus_bots.server.delivery.dispatcher import HttpResult
from pyrus_bots.server.delivery.limits import Permit
from pyrus_bots.server.delivery.payload import Webhook
from pyrus_bots.server.store.bots import BotRecord
from pyrus_bots.server.workflow.state import Comment, Directory, TaskState

if TYPE_CHECKING:
    from pyrus_bots.protocol.errors import PyrusError
    from pyrus_bots.protocol.models.requests import CommentRequest
    from pyrus_bots.server.delivery.reply import ReplyOutcome
    from pyrus_bots.server.tasks.url_attachments import FetchedFile, UrlRef


@dataclass(slots=True)
class Flight:
    """A leased delivery this worker is working on."""

    delivery_id: int
    bot_id: int
    task_id: int
    token: str
    event: str
    number: int
    series: int
    due_at: datetime
    sending: bool = False
    waiting_for_limit: bool = False
    permit: Permit | None = None
    """The bot call permit this delivery holds, once it has one."""
    source: Source | None = field(default=None, repr=False)
    task: asyncio.Task[None] | None = field(default=None, repr=False)


@dataclass(slots=True)
class Source:
    """What one webhook is built from, read in the claim's transaction."""

    bot: BotRecord
    task: TaskState
    comments: list[Comment]
    token: str
    directory: Directory
    read_at: datetime


@dataclass(slots=True)
class Prepared:
    webhook: Webhook
    directory: Directory


@dataclass(slots=True)
class Finished:
    """An attempt made, to be recorded (and its reply applied) in the database."""

    flight: Flight
    prepared: Prepared
    result: HttpResult
    started_at: datetime
    waited: float
    reply: CommentRequest | ReplyOutcome | None = None
    """The answer parsed (by the finisher, once)."""
    fetched: dict[UrlRef, FetchedFile] = field(default_factory=dict)
    """Files the reply gives by URL, fetched before its transaction."""
    fetch_error: PyrusError | None = None
    """Why a file the reply gives by URL could not be fetched (the reply is then invalid)."""


class Skip(Exception):
    """The delivery cannot go now (bot disabled, deleted, no hook URL): give the row back."""
