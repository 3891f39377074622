"""Writing task lists (spec 4.7): the bodies of ``PUT /lists``, ``POST /lists/{id}``, the bulk
calls, and their answers. The list itself is :class:`~.directory.TaskList`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from pyrus_bots.protocol.models.base import PyrusModel
from pyrus_bots.protocol.models.directory import TaskList
from pyrus_bots.protocol.models.parsing import StrictBody

__all__ = [
    "CreateListRequest",
    "DeleteListRequest",
    "ListType",
    "PlainListsResponse",
    "UpdateListRequest",
]

ListType = Literal["private", "org_wide"]


class CreateListRequest(StrictBody):
    """``PUT /lists`` (one list) and each item of ``PUT /lists/bulk``."""

    name: StrictStr | None = None
    parent_id: StrictInt | None = None
    color: StrictStr | None = None
    list_type: ListType | None = None
    added_managers: list[StrictInt] = Field(default_factory=list)
    added_members: list[StrictInt] = Field(default_factory=list)
    external_version: StrictInt | None = None
    external_id: StrictInt | None = None
    is_private: StrictBool | None = None


class UpdateListRequest(StrictBody):
    """``POST /lists/{id}`` and each item of ``POST /lists/bulk`` (which needs ``id``)."""

    id: StrictInt | None = None
    name: StrictStr | None = None
    color: StrictStr | None = None
    list_type: ListType | None = None
    added_managers: list[StrictInt] = Field(default_factory=list)
    removed_managers: list[StrictInt] = Field(default_factory=list)
    added_members: list[StrictInt] = Field(default_factory=list)
    removed_members: list[StrictInt] = Field(default_factory=list)
    external_version: StrictInt | None = None
    external_id: StrictInt | None = None
    is_private: StrictBool | None = None


class DeleteListRequest(StrictBody):
    """Each item of ``DELETE /lists/bulk``."""

    id: StrictInt


class PlainListsResponse(PyrusModel):
    """The bulk calls' answer: the lists as written, without children."""

    lists: list[TaskList] = Field(default_factory=list)
