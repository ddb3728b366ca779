"""Alerts through the real Application and the fake Bot API, published with `faqbot publish`."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from conftest import alerts_by_chat, subscribe
from fake_telegram import FakeTelegram

from bot.cli import publish
from bot.outbox import Outbox
from bot.settings import Settings

SUBSCRIBERS = [201, 202, 203, 204, 205]
UPDATES_YAML = """\
updates:
  - id: 2025-06-new-plan
    date: 2025-06-01
    title: New improvement plan
    summary: The council published its new plan.
    link: https://www.croydon.gov.uk/plan
"""
FAST = {
    "send_rate": 200.0,
    "send_rate_per_chat": 100.0,
    "outbox_poll_interval": 0.1,
    "alert_backoff": 0.01,
}


@pytest.fixture
def settings(bot_settings: Settings) -> Settings:
    (bot_settings.faq_dir / "updates.yaml").write_text(UPDATES_YAML, encoding="utf-8")
    return replace(bot_settings, **FAST)


async def faqbot_publish(settings: Settings, *arguments: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = await asyncio.to_thread(publish, settings, "2025-06-new-plan", *arguments, out)
    return code, out.getvalue()


async def test_every_subscriber_gets_exactly_one_alert_published_while_the_bot_runs(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        await subscribe(fake_telegram, SUBSCRIBERS)

        code, out = await faqbot_publish(settings, False, False)
        assert (code, out.split(" for ")[0]) == (0, 'Queued "2025-06-new-plan"')
        await fake_telegram.wait_for(lambda: len(alerts_by_chat(fake_telegram)) == len(SUBSCRIBERS))
        again, _ = await faqbot_publish(settings, False, False)

        [status] = await Outbox(app.services.handlers.store).statuses()
    assert alerts_by_chat(fake_telegram) == Counter({user_id: 1 for user_id in SUBSCRIBERS})
    [alert] = fake_telegram.sent_messages(201)[-1:]
    assert alert.text.startswith("New improvement plan\n1 June 2025\n\nThe council published")
    assert again == 1
    assert (status.delivered, status.remaining) == (5, 0)


async def test_blocked_users_are_unsubscribed_and_errors_and_429s_are_ridden_out(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        store = app.services.handlers.store
        await subscribe(fake_telegram, SUBSCRIBERS)
        fake_telegram.block(205, notify=False)
        fake_telegram.fail_next("sendMessage", 2, status=502)
        fake_telegram.flood_next("sendMessage", 1, retry_after=1)

        await faqbot_publish(settings, False, False)
        await fake_telegram.wait_for(lambda: len(alerts_by_chat(fake_telegram)) == 4, timeout=10)
        async with asyncio.timeout(5):
            while (await Outbox(store).statuses())[0].remaining:
                await asyncio.sleep(0.05)

        [status] = await Outbox(store).statuses()
        assert not await store.is_subscribed(205)
    assert alerts_by_chat(fake_telegram) == Counter({user_id: 1 for user_id in SUBSCRIBERS[:4]})
    assert (status.delivered, status.unsubscribed, status.failed) == (4, 1, 0)
