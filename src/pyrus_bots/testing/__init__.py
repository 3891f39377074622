"""Test kit for bots written with the SDK.

Build a realistic signed delivery from a few arguments, send it to a bot in process, assert on
the reply or on the API calls the bot made::

    from pyrus_bots.testing import BotTester, make_task, typed

    async def test_greets():
        tester = BotTester(bot, api=FakePyrusAPI())
        reply = await tester.send(make_task(form_id=321, fields={"u_amount": typed("money", 10)}))
        assert reply.approved

With pytest the fixtures ``bot_tester`` and ``pyrus_api`` do the wiring (plugin
``pyrus_bots.testing.pytest_plugin``, loaded automatically once the package is installed).
"""

from pyrus_bots.testing.deliveries import (
    AUTHOR,
    BOT_PERSON,
    Delivery,
    TypedValue,
    make_comment,
    make_delivery,
    make_payload,
    make_task,
    typed,
)
from pyrus_bots.testing.replay import ReplayReport, recorded_cases
from pyrus_bots.testing.tester import FAKE_API_URL, BotReply, BotTester

__all__ = [
    "AUTHOR",
    "BOT_PERSON",
    "FAKE_API_URL",
    "BotReply",
    "BotTester",
    "Delivery",
    "ReplayReport",
    "TypedValue",
    "make_comment",
    "make_delivery",
    "make_payload",
    "make_task",
    "recorded_cases",
    "typed",
]
