"""Recorded deliveries as test cases: a team's production traffic as its regression suite.

::

    from pyrus_bots.testing import recorded_cases

    def test_answers_as_recorded(bot_tester):
        bot_tester(bot).replay_sync("recorded/").assert_same()

    @pytest.mark.parametrize("recording", recorded_cases("recorded/"))
    async def test_each_recorded_delivery(bot_tester, recording):
        (await bot_tester(bot).replay(recording)).assert_same()

Each recording is signed again for the bot under test and passed through its real adapter in
process; the answer is compared with the recorded one (status and reply JSON).
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson

from pyrus_bots.bot.recording import load_recordings
from pyrus_bots.bot.replay import ReplayResult, signed_headers
from pyrus_bots.protocol.models.recording import RecordedDelivery
from pyrus_bots.testing.deliveries import Delivery

__all__ = ["RecordingSource", "ReplayReport", "recorded_cases", "replay_into"]

RecordingSource = str | os.PathLike[str] | RecordedDelivery | Iterable[RecordedDelivery]
"""A recording file or directory, one recording, or several."""


class ReplayReport(list[ReplayResult]):
    """The answers to replayed recordings, in order."""

    @property
    def differences(self) -> list[ReplayResult]:
        return [result for result in self if not result.same]

    def assert_same(self) -> None:
        """Fail with every diff unless the bot answered each delivery as recorded."""
        if not self:
            raise AssertionError("no recorded deliveries were replayed")
        different = self.differences
        if different:
            diffs = "\n".join(f"{r.recording.label}:\n{r.diff}" for r in different)
            raise AssertionError(
                f"{len(different)} of {len(self)} answers differ from the recording:\n{diffs}"
            )


def recordings_of(source: RecordingSource) -> list[RecordedDelivery]:
    if isinstance(source, RecordedDelivery):
        return [source]
    if isinstance(source, str | os.PathLike):
        return load_recordings(source)
    return list(source)


def as_delivery(
    recording: RecordedDelivery, secret: bytes, access_token: str | None = None
) -> Delivery:
    """The recording as a delivery signed with ``secret``."""
    body = recording.body_with_token(access_token)
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        payload = {}
    return Delivery(
        body,
        signed_headers(recording, body, secret),
        payload if isinstance(payload, dict) else {},
    )


async def replay_into(
    send: Callable[[Delivery], Awaitable[tuple[int, bytes]]],
    secret: bytes,
    source: RecordingSource,
    *,
    access_token: str | None = None,
) -> ReplayReport:
    """Deliver each recording, signed with ``secret``, through ``send`` (which answers status
    and body) and compare the answers with the recorded ones."""
    report = ReplayReport()
    for recording in recordings_of(source):
        delivery = as_delivery(recording, secret, access_token)
        started = time.perf_counter()
        status, body = await send(delivery)
        elapsed = (time.perf_counter() - started) * 1000
        report.append(ReplayResult(recording, status, body, elapsed))
    return report


def recorded_cases(source: str | os.PathLike[str]) -> list[Any]:
    """The recordings of a file or directory as ``pytest.param`` values, one test each, named
    by task and event."""
    import pytest

    return [
        pytest.param(recording, id=f"{number}-{recording.label.replace(' ', '-')}")
        for number, recording in enumerate(load_recordings(source), start=1)
    ]
