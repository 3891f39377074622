"""Envelopes of API answers that wrap tasks, and the error body (spec 4.2, 4.7, 4.8)."""

from __future__ import annotations

from pydantic import Field

from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.task import Task, TaskHeader, TaskWithComments

__all__ = [
    "ErrorResponse",
    "FormRegisterResponse",
    "InboxResponse",
    "TaskGroup",
    "TaskHeadersResponse",
    "TaskResponse",
]


class TaskResponse(PyrusModel):
    """``GET /tasks/{id}``, ``POST /tasks``, ``POST /tasks/{id}/comments``."""

    task: TaskWithComments


class FormRegisterResponse(PyrusModel):
    """``/forms/{id}/register`` (JSON form): tasks without comments."""

    tasks: list[Task] = Field(default_factory=list)


class TaskHeadersResponse(PyrusModel):
    """``/lists/{id}/tasks`` and similar listings."""

    tasks: list[TaskHeader] = Field(default_factory=list)
    has_more: bool | None = None


class TaskGroup(PyrusModel):
    """A group of the inbox."""

    id: int | None = None
    name: str | None = None
    has_more: bool | None = None
    tasks: list[TaskHeader] = Field(default_factory=list)


class InboxResponse(PyrusModel):
    """``GET /inbox``."""

    tasks: list[TaskHeader] = Field(default_factory=list)
    has_more: bool | None = None
    task_groups: list[TaskGroup] = Field(default_factory=list)


class ErrorResponse(PyrusModel):
    """An error body: ``{"error", "error_code"}`` (some clients read ``error_message``)."""

    error: str | None = None
    error_code: str | None = None
    error_message: str | None = None
