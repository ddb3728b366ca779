"""/publish on Telegram: the real Application against the fake Bot API, with a real outbox."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from dataclasses import replace

import pytest
from conftest import ADMIN_ID, alerts_by_chat, subscribe
from fake_telegram import FakeTelegram, SentMessage

from bot.cli import publish
from bot.outbox import UNSUBSCRIBE_HINT, Outbox
from bot.settings import Settings
from bot.telegram_wording import HELP

SUBSCRIBERS = [301, 302, 303]
RESIDENT = 1001
UPDATES_YAML = """\
updates:
  - id: 2025-06-new-plan
    date: 2025-06-01
    title: New improvement plan
    summary: The council published its new plan.
    link: https://www.croydon.gov.uk/plan
  - id: 2017-09-ofsted-inadequate
    date: 2017-09-01
    title: Ofsted judges Croydon's children's services inadequate
    summary: History.
    published: true
"""
FAST = {"send_rate": 200.0, "send_rate_per_chat": 100.0, "outbox_poll_interval": 5.0}


@pytest.fixture
def settings(bot_settings: Settings) -> Settings:
    (bot_settings.faq_dir / "updates.yaml").write_text(UPDATES_YAML, encoding="utf-8")
    return replace(bot_settings, **FAST)


async def ask_to_publish(fake: FakeTelegram, text: str) -> SentMessage:
    before = len(fake.sent_messages(ADMIN_ID))
    fake.private_message(text, user_id=ADMIN_ID)
    sent = await fake.wait_for(count=before + 1, chat_id=ADMIN_ID)
    return sent[-1]


async def press(fake: FakeTelegram, preview: SentMessage, button: str) -> str:
    """Press a button under the preview; what the preview says afterwards."""
    answered = len(fake.answered_callbacks())
    fake.callback_query(preview, button=button, user_id=ADMIN_ID)
    await fake.wait_for(lambda: len(fake.answered_callbacks()) > answered)
    await fake.wait_for(lambda: now_says(fake, preview) != preview.text)
    return now_says(fake, preview)


def now_says(fake: FakeTelegram, message: SentMessage) -> str:
    return fake.message(ADMIN_ID, message.message_id)["text"]


async def test_an_admin_sees_the_alert_and_count_and_confirming_alerts_every_subscriber_once(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        await subscribe(fake_telegram, SUBSCRIBERS)
        preview = await ask_to_publish(fake_telegram, "/publish 2025-06-new-plan")
        assert preview.text.startswith(
            "This alert will go to 3 subscribers now subscribed:\n\nNew improvement plan\n"
        )
        assert preview.text.endswith(UNSUBSCRIBE_HINT)
        assert [label for label, _ in preview.buttons] == [
            "Confirm: alert 3 subscribers",
            "Cancel",
        ]
        assert alerts_by_chat(fake_telegram) == Counter({ADMIN_ID: 1})  # only the preview so far

        # Alerts start at once, not at the outbox's next 5-second poll.
        after = await press(fake_telegram, preview, "Confirm: alert 3 subscribers")
        await fake_telegram.wait_for(
            lambda: sum(alerts_by_chat(fake_telegram).values()) == 4, timeout=3
        )
        [status] = await Outbox(app.services.handlers.store).statuses()

    assert after.startswith('Published "2025-06-new-plan": the alert is going to 3 subscribers.')
    assert fake_telegram.message(ADMIN_ID, preview.message_id).get("reply_markup") is None
    assert alerts_by_chat(fake_telegram) == Counter({ADMIN_ID: 1, 301: 1, 302: 1, 303: 1})
    assert (status.update_id, status.queued) == ("2025-06-new-plan", 3)


async def test_a_second_press_or_an_old_button_is_refused_and_sends_nothing_more(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        await subscribe(fake_telegram, SUBSCRIBERS)
        first = await ask_to_publish(fake_telegram, "/publish 2025-06-new-plan")
        second = await ask_to_publish(fake_telegram, "/publish 2025-06-new-plan")
        confirm = first.buttons[0][1]
        # Two presses of the same button, before the first has removed it, and the old button.
        fake_telegram.callback_query(first, confirm, user_id=ADMIN_ID)
        fake_telegram.callback_query(first, confirm, user_id=ADMIN_ID)
        await fake_telegram.wait_for(lambda: len(fake_telegram.answered_callbacks()) == 2)
        await fake_telegram.wait_for(lambda: sum(alerts_by_chat(fake_telegram).values()) == 5)
        refusal = await press(fake_telegram, second, "Confirm: alert 3 subscribers")
        await asyncio.sleep(0.3)
        statuses = await Outbox(app.services.handlers.store).statuses()

    assert refusal.startswith('Not published: the update "2025-06-new-plan" was already published')
    assert sorted(answer.text for answer in fake_telegram.answered_callbacks()) == [
        "Not published",
        "Not published",
        "Published",
    ]
    assert alerts_by_chat(fake_telegram) == Counter({ADMIN_ID: 2, 301: 1, 302: 1, 303: 1})
    assert [status.queued for status in statuses] == [3]


async def test_cancel_publishes_nothing(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        await subscribe(fake_telegram, SUBSCRIBERS)
        preview = await ask_to_publish(fake_telegram, "/publish 2025-06-new-plan")
        after = await press(fake_telegram, preview, "Cancel")
        statuses = await Outbox(app.services.handlers.store).statuses()
    assert after == "Cancelled: nothing was published."
    assert statuses == []


@pytest.mark.parametrize(
    ("command", "refusal"),
    [
        ("/publish no-such-update", 'Not published: there is no update "no-such-update" in '),
        (
            "/publish 2017-09-ofsted-inadequate",
            'Not published: the update "2017-09-ofsted-inadequate" is marked "published: true"',
        ),
        ("/publish", "Send /publish and the update's id"),
    ],
)
async def test_unknown_and_history_ids_are_refused_as_the_cli_refuses_them(
    start_bot, fake_telegram: FakeTelegram, settings: Settings, command: str, refusal: str
) -> None:
    async with start_bot(**FAST):
        reply = await ask_to_publish(fake_telegram, command)
    assert reply.text.startswith(refusal)
    assert reply.buttons == []


async def test_an_update_published_from_the_cli_is_refused_on_telegram(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST):
        await subscribe(fake_telegram, SUBSCRIBERS)
        code = await asyncio.to_thread(
            publish, settings, "2025-06-new-plan", False, False, io.StringIO()
        )
        reply = await ask_to_publish(fake_telegram, "/publish 2025-06-new-plan")
    assert code == 0
    assert reply.text.startswith(
        'Not published: the update "2025-06-new-plan" was already published on '
    )
    assert reply.text.endswith("add a new update with its own id")


async def test_residents_cannot_publish_and_get_the_unknown_command_reply(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        await subscribe(fake_telegram, SUBSCRIBERS)
        fake_telegram.command("publish 2025-06-new-plan", user_id=RESIDENT)
        [reply] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        statuses = await Outbox(app.services.handlers.store).statuses()
    assert reply.text == HELP
    assert statuses == []
    everyone = [c["command"] for c in fake_telegram.commands()]
    admin = [c["command"] for c in fake_telegram.commands({"type": "chat", "chat_id": ADMIN_ID})]
    assert "publish" in admin and "publish" not in everyone


async def test_a_residents_press_on_a_publish_button_publishes_nothing(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST) as app:
        preview = await ask_to_publish(fake_telegram, "/publish 2025-06-new-plan")
        fake_telegram.callback_query(
            preview, button="Confirm: alert 0 subscribers", user_id=RESIDENT
        )
        await fake_telegram.wait_for(lambda: fake_telegram.answered_callbacks())
        statuses = await Outbox(app.services.handlers.store).statuses()
    assert statuses == []
    assert fake_telegram.edits(ADMIN_ID) == []
