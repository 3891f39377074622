"""The directory snapshot and its version; the dataclass document codec (task documents too)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrus_bots.server.store import bots, catalogs, files
from pyrus_bots.server.store.codec import from_document, to_document
from pyrus_bots.server.store.db import Database
from pyrus_bots.server.store.directory import directory_version, load_directory
from pyrus_bots.server.store.forms import get_form, list_forms
from pyrus_bots.server.workflow.state import Approval, TaskState


async def test_empty_database_gives_an_empty_directory(database: Database) -> None:
    async with database.session() as s:
        directory = await load_directory(s)
        assert directory.organization_id == 0 and not directory.people
        assert await directory_version(s) == 0


async def test_directory_holds_the_workspace(seeded: Database) -> None:
    async with seeded.session() as s:
        directory = await load_directory(s)
    assert directory.organization_id == 7 and directory.organization_name == "Full Example Ltd"
    assert sorted(directory.people) == [1001, 1002, 1003, 2001, 2002]
    assert directory.people[2001].type == "bot"
    assert sorted(directory.roles) == [3001, 3002]
    form = directory.forms[321]
    assert [f.id for f in form.fields] == list(range(1, 16))
    by_id = {f.id: f for f in form.fields}
    assert by_id[6].parent_id == 5 and by_id[9].parent_id == 8 and by_id[1].parent_id is None
    assert [o.value for o in by_id[3].options] == ["New", "Approved"]
    assert by_id[4].catalog_id == 4001 and by_id[2].decimal_places == 2
    assert by_id[13].form_id == 322 and by_id[14].text == "Fill in every line"
    assert [s.approver_ids for s in form.steps] == [[2001], [3001], [2002, 1003]]
    assert [s.number for s in form.steps] == [1, 2, 3]
    assert form.manager_ids == [1001] and directory.forms[322].member_ids == [1002, 1003]
    assert len(directory.catalogs[4001].items) == 3
    assert directory.person_by_email("ALICE@full.test") is not None


async def test_every_change_bumps_the_version(seeded: Database) -> None:
    async with seeded.session() as s, s.begin():
        start = await directory_version(s)
        await bots.update_bot(s, 2001, hook_url="http://127.0.0.1:7/")
        after_bot = await directory_version(s)
        await catalogs.diff_catalog(s, 4002, upsert=[["Umbrella"]])
        after_catalog = await directory_version(s)
        ref = await files.save_file(s, "a.txt", b"a", 1001)
        after_file = await directory_version(s)
    assert start < after_bot < after_catalog < after_file
    async with seeded.session() as s:
        directory = await load_directory(s)
        assert directory.files_by_guid[ref.guid] == directory.files_by_id[ref.id] == ref
        assert not (await load_directory(s, include_files=False)).files_by_id
        assert await directory_version(s) == after_file  # reading changes nothing
        assert (await get_form(s, 321)) == directory.forms[321]
        assert [f.id for f in await list_forms(s)] == [321, 322]


@dataclass
class Old:
    id: int
    when: datetime
    tags: list[str] = field(default_factory=list)


@dataclass
class New:
    id: int
    when: datetime
    tags: list[str] = field(default_factory=list)
    due: date | None = None
    extra: dict[int, object] = field(default_factory=dict)


def test_documents_survive_added_and_removed_fields() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    old_doc = to_document(Old(1, when, ["a"]))
    upgraded = from_document(New, old_doc)
    assert upgraded == New(1, when, ["a"])
    new_doc = to_document(New(2, when, due=date(2026, 2, 1), extra={5: {"at": when}}))
    assert new_doc["extra"] == {"5": {"at": {"$datetime": when.isoformat()}}}
    assert from_document(New, new_doc).extra == {5: {"at": when}}
    assert from_document(Old, new_doc) == Old(2, when)


# --- task documents: plain JSON that reads back as the task ---------------------------------

_times = st.datetimes(timezones=st.just(UTC))
_values = st.recursive(
    st.none() | st.integers() | st.text(max_size=5) | st.booleans() | _times | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)
_approvals = st.builds(Approval, st.integers(1, 9999), st.sampled_from(["waiting", "approved"]))
_tasks = st.builds(
    TaskState,
    id=st.integers(1, 10**9),
    author_id=st.integers(1, 10**9),
    create_date=_times,
    last_modified_date=_times,
    text=st.none() | st.text(max_size=5),
    close_date=st.none() | _times,
    participant_ids=st.lists(st.integers(1, 99)),
    subscribers=st.lists(_approvals, max_size=2),
    step_entered_at=st.lists(_times, max_size=2),
    approvals=st.lists(st.lists(_approvals, max_size=2), max_size=3),
    fields=st.dictionaries(st.integers(1, 99), _values, max_size=4),
    due_date=st.none() | st.dates(),
    list_ids=st.lists(st.integers(1, 99), max_size=2),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(_tasks)
def test_task_documents_are_plain_json_and_round_trip(task: TaskState) -> None:
    document = to_document(task)
    stored = json.loads(json.dumps(document))  # what a JSON column gives back
    assert stored == document
    assert from_document(TaskState, stored) == task
