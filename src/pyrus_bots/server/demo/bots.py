"""The demo's bots, written with the SDK the way a bot author would write them.

- Purchase check: reads the limit from its ``bot_settings`` and approves or rejects a purchase
  request, with a comment and the Status field set.
- Slow triage: works longer than the inline budget, so the SDK answers the webhook at once and
  posts the reply through the API when done (the deadline fallback).
- Flaky notifier: fails the first N calls for each task (N from its settings), so the delivery
  log shows retries, and a pause once N reaches three.

Each ``*_app`` is an ASGI application factory for ``uvicorn --factory``; it reads the bot's
security key from ``PYRUS_BOTS_DEMO_SECRET`` and the platform's API base URL from
``PYRUS_BOTS_DEMO_API_URL``.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

from pyrus_bots.bot import Bot, Event, Reply
from pyrus_bots.bot.asgi import ASGIApp

PURCHASE_FORM_ID = 321
SUPPORT_FORM_ID = 322
DEFAULT_LIMIT = 1000.0
SECRET_ENV = "PYRUS_BOTS_DEMO_SECRET"
API_URL_ENV = "PYRUS_BOTS_DEMO_API_URL"
INLINE_BUDGET_ENV = "PYRUS_BOTS_DEMO_INLINE_BUDGET"


def _settings(event: Event) -> dict[str, Any]:
    parsed = event.settings
    return parsed if isinstance(parsed, dict) else {}


def build_purchase_check(secret: str, api_url: str) -> Bot:
    bot = Bot(secret, name="purchase-check", api_url=api_url)

    @bot.on_task(form_id=PURCHASE_FORM_ID, step=1)
    async def check(event: Event) -> Reply:
        settings = _settings(event)
        limit = float(settings.get("limit", DEFAULT_LIMIT))
        status_field = str(settings.get("status_field", "u_status"))
        amount = event.field_value("u_amount")
        if not isinstance(amount, int | float):
            return Reply.reject("Please fill in the amount: I can only check a number.")
        if amount > limit:
            reply = Reply.reject(
                f"{amount:,.2f} is over the limit of {limit:,.2f}. "
                "Returned: lower the amount or split the request."
            )
            choice = settings.get("rejected_choice")
        else:
            reply = Reply.approve(
                f"{amount:,.2f} is within the limit of {limit:,.2f}. Passed to the manager."
            )
            choice = settings.get("approved_choice")
        if isinstance(choice, int):
            reply.set_field(status_field, choice)
        return reply

    return bot


def build_slow_triage(secret: str, api_url: str, inline_budget: float) -> Bot:
    bot = Bot(secret, name="slow-triage", api_url=api_url, inline_budget=inline_budget)

    @bot.on_task(form_id=SUPPORT_FORM_ID, step=1)
    async def triage(event: Event) -> Reply:
        seconds = float(_settings(event).get("work_seconds", 6))
        # Longer than the inline budget: the SDK has already answered the webhook with an
        # empty 200 by the time this returns, and posts the reply through the API.
        await asyncio.sleep(seconds)
        priority = event.field_value("u_priority")
        names = priority.get("choice_names") if isinstance(priority, dict) else None
        note = f"Looked at it for {seconds:g} s; priority {names[0] if names else 'not set'}."
        return Reply.approve(f"Triage done. {note}").set_field("u_triage", note)

    return bot


def build_flaky_notifier(secret: str, api_url: str) -> Bot:
    bot = Bot(secret, name="flaky-notifier", api_url=api_url)
    calls: Counter[int] = Counter()

    @bot.on_task(form_id=SUPPORT_FORM_ID, step=2)
    async def notify(event: Event) -> Reply:
        failures = int(_settings(event).get("failures", 2))
        task_id = event.task_id or 0
        calls[task_id] += 1
        if calls[task_id] <= failures:
            # An exception answers 500, so the platform retries (and pauses after three).
            raise RuntimeError(f"on-call pager unreachable (call {calls[task_id]})")
        return Reply.approve(f"On-call notified (it took {calls[task_id]} calls).")

    return bot


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        raise RuntimeError(f"set {name} to run this demo bot")
    return value


def purchase_check_app() -> ASGIApp:
    return build_purchase_check(_env(SECRET_ENV), _env(API_URL_ENV)).asgi()


def slow_triage_app() -> ASGIApp:
    budget = float(_env(INLINE_BUDGET_ENV, "2"))
    return build_slow_triage(_env(SECRET_ENV), _env(API_URL_ENV), budget).asgi()


def flaky_notifier_app() -> ASGIApp:
    return build_flaky_notifier(_env(SECRET_ENV), _env(API_URL_ENV)).asgi()
