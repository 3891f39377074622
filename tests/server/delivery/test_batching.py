"""Group commit of finished attempts: what finishes while a batch is written goes in the next
batch; a failed batch is retried item by item, so one bad item fails only its own submitter."""

from __future__ import annotations

import asyncio

import pytest

from pyrus_bots.server.delivery.batching import GroupCommit


class Recorder:
    def __init__(self, write_time: float = 0.01, bad: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.alone: list[int] = []
        self.write_time = write_time
        self.bad = bad

    async def write_many(self, items: list[int]) -> None:
        await asyncio.sleep(self.write_time)
        if self.bad & set(items):
            raise RuntimeError("the batch failed")
        self.batches.append(items)

    async def write_one(self, item: int) -> None:
        if item in self.bad:
            raise ValueError(f"item {item} is bad")
        self.alone.append(item)


async def test_items_arriving_during_a_write_share_the_next_batch() -> None:
    recorder = Recorder(write_time=0.05)
    group = GroupCommit(recorder.write_many, recorder.write_one, max_items=100)
    first = asyncio.create_task(group.submit(0))
    await asyncio.sleep(0.01)  # the first batch, [0], is being written
    await asyncio.gather(first, *(group.submit(i) for i in range(1, 21)))
    assert recorder.batches == [[0], list(range(1, 21))]
    assert recorder.alone == []


async def test_batches_are_capped() -> None:
    recorder = Recorder()
    group = GroupCommit(recorder.write_many, recorder.write_one, max_items=8)
    await asyncio.gather(*(group.submit(i) for i in range(20)))
    assert [len(b) for b in recorder.batches] == [8, 8, 4]
    assert sorted(i for b in recorder.batches for i in b) == list(range(20))


async def test_a_bad_item_fails_only_its_submitter() -> None:
    recorder = Recorder(bad=frozenset({3}))
    group = GroupCommit(recorder.write_many, recorder.write_one, max_items=100)
    results = await asyncio.gather(*(group.submit(i) for i in range(6)), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(results[3], ValueError)
    assert recorder.batches == []
    assert sorted(recorder.alone) == [0, 1, 2, 4, 5]


async def test_a_cancelled_submitter_does_not_stop_the_others() -> None:
    recorder = Recorder(write_time=0.05)
    group = GroupCommit(recorder.write_many, recorder.write_one, max_items=100)
    first = asyncio.create_task(group.submit(0))
    await asyncio.sleep(0.01)
    cancelled = asyncio.create_task(group.submit(1))
    kept = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.gather(first, kept)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    # The cancelled item was queued already: it is written with the others all the same.
    assert recorder.batches == [[0], [1, 2]]


async def test_idle_returns_once_everything_submitted_is_written() -> None:
    recorder = Recorder(write_time=0.05)
    group = GroupCommit(recorder.write_many, recorder.write_one, max_items=100)
    submitted = [asyncio.create_task(group.submit(i)) for i in range(3)]
    await asyncio.sleep(0)
    submitted[1].cancel()  # a submitter that stops waiting does not stop the write
    await group.idle()
    assert sorted(i for b in recorder.batches for i in b) == [0, 1, 2]
    await group.idle()  # nothing running: returns at once
