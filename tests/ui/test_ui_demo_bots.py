"""The demo's bots, tested with the SDK's test kit (in process, no network)."""

from __future__ import annotations

from collections.abc import Callable

from pyrus_bots.bot import Bot
from pyrus_bots.server.demo.bots import (
    PURCHASE_FORM_ID,
    SUPPORT_FORM_ID,
    build_flaky_notifier,
    build_purchase_check,
)
from pyrus_bots.testing import BotTester, typed

SECRET = "test-secret"
API = "http://127.0.0.1:9/v4/"
SETTINGS = {"limit": 1000, "status_field": "u_status", "approved_choice": 2, "rejected_choice": 3}

STATUS = typed("multiple_choice", options={1: "New", 2: "Approved", 3: "Rejected"})

MakeTester = Callable[[Bot], BotTester]


def purchase(amount: float | None) -> dict[str, object]:
    fields: dict[str, object] = {"u_status": STATUS}
    if amount is not None:
        fields["u_amount"] = typed("money", amount)
    return fields


async def test_purchase_check_approves_within_the_limit(bot_tester: MakeTester) -> None:
    tester = bot_tester(build_purchase_check(SECRET, API))
    reply = await tester.send(form_id=PURCHASE_FORM_ID, fields=purchase(850), settings=SETTINGS)
    assert reply.approved
    assert "within the limit of 1,000.00" in (reply.text or "")
    assert reply.field("u_status") == {"choice_ids": [2]}


async def test_purchase_check_rejects_over_the_limit(bot_tester: MakeTester) -> None:
    tester = bot_tester(build_purchase_check(SECRET, API))
    reply = await tester.send(
        form_id=PURCHASE_FORM_ID,
        fields=purchase(1000.01),
        settings={**SETTINGS, "limit": 1000},
    )
    assert reply.rejected
    assert reply.field("u_status") == {"choice_ids": [3]}


async def test_purchase_check_reads_the_limit_from_its_settings(bot_tester: MakeTester) -> None:
    tester = bot_tester(build_purchase_check(SECRET, API))
    reply = await tester.send(
        form_id=PURCHASE_FORM_ID,
        fields=purchase(4800),
        settings={**SETTINGS, "limit": 5000},
    )
    assert reply.approved
    missing = await tester.send(form_id=PURCHASE_FORM_ID, fields=purchase(None), settings=SETTINGS)
    assert missing.rejected and "fill in the amount" in (missing.text or "")


async def test_flaky_notifier_fails_then_succeeds(bot_tester: MakeTester) -> None:
    tester = bot_tester(build_flaky_notifier(SECRET, API))
    statuses = []
    for attempt in (1, 2, 3):
        reply = await tester.send(
            form_id=SUPPORT_FORM_ID, step=2, task_id=77, settings={"failures": 2}, retry=attempt
        )
        statuses.append(reply.status)
    assert statuses == [500, 500, 200]
    assert reply.approved and "3 calls" in (reply.text or "")
