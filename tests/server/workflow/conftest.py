"""A small organisation for the workflow tests: a purchase-request form with every field type,
three steps (a bot on step 1, Alice on 2, Bob on 3), a catalog, two files and a role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pyrus_bots.protocol.models.requests import parse_comment_request, parse_create_task_request
from pyrus_bots.server.workflow import engine
from pyrus_bots.server.workflow.state import (
    Catalog,
    CatalogItem,
    ChoiceOption,
    Comment,
    Directory,
    FieldDef,
    FileRef,
    FormDef,
    Person,
    Role,
    StepDef,
    TaskState,
)

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)

ALICE = 1001
BOB = 1002
CAROL = 1003  # takes part in nothing unless a test adds her
BOT = 2001
OTHER_BOT = 2002
ROLE = 3001  # members: Carol
FORM = 321
ROLE_FORM = 322
CATALOG = 4001


def purchase_form() -> FormDef:
    f = FieldDef
    fields = [
        f(1, "text", "Item", code="u_item", required_step=2),
        f(2, "money", "Amount", code="u_amount"),
        f(3, "number", "Quantity", decimal_places=2),
        f(4, "date", "Needed by"),
        f(5, "time", "Delivery time"),
        f(6, "checkmark", "Urgent"),
        f(
            7,
            "multiple_choice",
            "Status",
            code="u_status",
            options=[
                ChoiceOption(1, "New"),
                ChoiceOption(2, "Approved"),
                ChoiceOption(3, "Old", deleted=True),
            ],
        ),
        f(
            8,
            "multiple_choice",
            "Tags",
            multiple_choice=True,
            options=[ChoiceOption(11, "Office"), ChoiceOption(12, "IT")],
        ),
        f(9, "due_date", "Due"),
        f(10, "email", "Contact e-mail"),
        f(11, "phone", "Phone"),
        f(12, "flag", "Flag"),
        f(13, "step", "Step"),
        f(14, "status", "Task status"),
        f(15, "creation_date", "Created"),
        f(16, "note", "Hint", text="Fill everything in"),
        f(17, "catalog", "Cost center", code="u_cc", catalog_id=CATALOG),
        f(18, "catalog", "Cost centers", catalog_id=CATALOG, multiple_choice=True),
        f(19, "file", "Quote"),
        f(20, "person", "Buyer"),
        f(21, "author", "Requester"),
        f(22, "table", "Lines", code="u_lines"),
        f(23, "text", "Line item", parent_id=22),
        f(24, "money", "Line amount", parent_id=22, required_step=3),
        f(25, "title", "Delivery"),
        f(26, "text", "Address", code="u_address", parent_id=25),
        f(27, "date", "Delivery date", parent_id=25),
        f(28, "project", "Project"),
        f(29, "form_link", "Related request", form_id=FORM),
        f(30, "due_date_time", "Deadline"),
        f(31, "text", "Decision", immutable_step=2),
    ]
    steps = [
        StepDef(1, "Automatic check", [BOT]),
        StepDef(2, "Manager", [ALICE]),
        StepDef(3, "Finance", [BOB]),
    ]
    return FormDef(FORM, "Purchase request", fields=fields, steps=steps, manager_ids=[ALICE])


def make_directory() -> Directory:
    people = {
        ALICE: Person(ALICE, "alice@acme.test", "Alice", "Smith"),
        BOB: Person(BOB, "bob@acme.test", "Bob", "Jones"),
        CAROL: Person(CAROL, "carol@acme.test", "Carol", "White"),
        BOT: Person(BOT, "bot@892ccfa1c8360e2e8309", "Approver", type="bot"),
        OTHER_BOT: Person(OTHER_BOT, "bot@00000000000000000001", "Helper", type="bot"),
    }
    role_form = FormDef(
        ROLE_FORM,
        "Leave request",
        fields=[FieldDef(1, "text", "Reason")],
        steps=[StepDef(1, "Managers", [ROLE]), StepDef(2, "Two people", [ALICE, BOB])],
    )
    catalog = Catalog(
        CATALOG,
        "Cost centers",
        ["Code", "Name"],
        items=[
            CatalogItem(1, ["CC1", "Marketing"]),
            CatalogItem(2, ["CC2", "Sales"]),
            CatalogItem(3, ["CC3", "Closed"], deleted=True),
        ],
    )
    files = [FileRef(501, "G-1", "quote.pdf", 10, "aa"), FileRef(502, "G-2", "spec.doc", 20, "bb")]
    return Directory(
        organization_id=1,
        organization_name="Acme",
        people=people,
        roles={ROLE: Role(ROLE, "Managers", [CAROL])},
        forms={FORM: purchase_form(), ROLE_FORM: role_form},
        catalogs={CATALOG: catalog},
        files_by_guid={f.guid: f for f in files},
        files_by_id={f.id: f for f in files},
    )


@pytest.fixture
def directory() -> Directory:
    return make_directory()


class Flow:
    """A task with its comments, driven through the engine the way the service does."""

    def __init__(self, directory: Directory, task: TaskState, first: Comment) -> None:
        self.directory = directory
        self.task = task
        first.id = 1
        self.comments = [first]
        self.clock = T0

    def comment(self, author_id: int, **request: Any) -> engine.Applied:
        self.clock += timedelta(minutes=5)
        applied = engine.apply_comment(
            self.directory,
            self.task,
            self.directory.people[author_id],
            parse_comment_request(request),
            self.clock,
            comments=self.comments,
        )
        applied.comment.id = len(self.comments) + 1
        self.comments.append(applied.comment)
        if applied.edited_comment is not None:
            index = next(
                i for i, c in enumerate(self.comments) if c.id == applied.edited_comment.id
            )
            self.comments[index] = applied.edited_comment
        self.task = applied.task
        return applied


def start(directory: Directory, author_id: int = ALICE, **request: Any) -> Flow:
    request.setdefault("form_id", FORM)
    typed = parse_create_task_request(request)
    applied = engine.create_task(directory, directory.people[author_id], typed, T0, 7)
    return Flow(directory, applied.task, applied.comment)


@pytest.fixture
def flow(directory: Directory) -> Flow:
    return start(directory)
