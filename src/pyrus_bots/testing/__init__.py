"""Test kit for bots written with the SDK.

Build a realistic signed delivery from a few arguments, send it to a bot in process, assert on
the reply or on the API calls the bot made::

    from pyrus_bots.testing import BotTester, make_form, typed
    from pyrus_bots.testing.fake_api import FakePyrusAPI

    form = make_form(321, fields={"u_amount": "money",
                                  "u_status": typed("multiple_choice", options=["New", "Done"])})

    async def test_greets():
        api = FakePyrusAPI()
        api.add_form(form)        # the bot reads choice options from the template, as on Pyrus
        tester = BotTester(bot, api=api)
        reply = await tester.send(form.task({"u_amount": 10, "u_status": "New"}))
        assert reply.approved and reply.choice("u_status") == "Done"

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
from pyrus_bots.testing.forms import Form, make_form
from pyrus_bots.testing.replay import ReplayReport, recorded_cases
from pyrus_bots.testing.tester import FAKE_API_URL, BotReply, BotTester

__all__ = [
    "AUTHOR",
    "BOT_PERSON",
    "FAKE_API_URL",
    "BotReply",
    "BotTester",
    "Delivery",
    "Form",
    "ReplayReport",
    "TypedValue",
    "make_comment",
    "make_delivery",
    "make_form",
    "make_payload",
    "make_task",
    "recorded_cases",
    "typed",
]
