"""Published updates are also posted, once, to the council's channel: the real bot and the fake."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import ADMIN_ID, FeedServer
from fake_telegram import FakeTelegram

from bot.channel import ChannelPoster
from bot.cli import publish
from bot.outbox import UNSUBSCRIBE_HINT, Outbox
from bot.settings import Settings
from bot.storage import Store
from bot.updates import ProgressUpdate

CHANNEL_ID = -1009876543210
UPDATES_YAML = """\
updates:
  - id: 2025-06-new-plan
    date: 2025-06-01
    title: New improvement plan
    summary: The council published its new plan.
    link: https://www.croydon.gov.uk/plan
  - id: 2025-07-board
    date: 2025-07-01
    title: Improvement board meets
    summary: The board met in public.
"""
CHANNEL_POST = (
    "New improvement plan\n1 June 2025\n\nThe council published its new plan.\n\n"
    "Read more: https://www.croydon.gov.uk/plan"
)
FAST = {"send_rate": 200.0, "send_rate_per_chat": 100.0, "outbox_poll_interval": 0.05}


@pytest.fixture
def settings(bot_settings: Settings, fake_telegram: FakeTelegram) -> Settings:
    (bot_settings.faq_dir / "updates.yaml").write_text(UPDATES_YAML, encoding="utf-8")
    fake_telegram.add_group_chat(
        CHANNEL_ID, title="Croydon children's services", chat_type="channel"
    )
    return replace(bot_settings, updates_channel=str(CHANNEL_ID), **FAST)


async def faqbot_publish(settings: Settings, update_id: str) -> int:
    return await asyncio.to_thread(publish, settings, update_id, False, False, io.StringIO())


async def test_an_update_published_from_the_cli_is_posted_once_without_the_unsubscribe_line(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST, updates_channel=settings.updates_channel):
        fake_telegram.command("subscribe", user_id=501)
        await fake_telegram.wait_for(count=1, chat_id=501)
        assert await faqbot_publish(settings, "2025-06-new-plan") == 0
        [post] = await fake_telegram.wait_for(count=1, chat_id=CHANNEL_ID)
        [_, alert] = await fake_telegram.wait_for(count=2, chat_id=501)
    async with start_bot(**FAST, updates_channel=settings.updates_channel):
        await asyncio.sleep(0.3)  # several looks at the outbox

    assert post.text == CHANNEL_POST
    assert alert.text == CHANNEL_POST + "\n\n" + UNSUBSCRIBE_HINT
    assert fake_telegram.sent_texts(CHANNEL_ID) == [CHANNEL_POST]


async def test_an_update_published_with_the_button_is_posted_to_the_channel(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST, updates_channel=settings.updates_channel):
        fake_telegram.private_message("/publish 2025-07-board", user_id=ADMIN_ID)
        [preview] = await fake_telegram.wait_for(count=1, chat_id=ADMIN_ID)
        fake_telegram.callback_query(preview, button="Confirm: alert 0 subscribers")
        [post] = await fake_telegram.wait_for(count=1, chat_id=CHANNEL_ID)
    assert post.text.startswith("Improvement board meets\n1 July 2025\n\nThe board met in public.")


async def test_updates_published_before_the_channel_was_configured_are_not_posted(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    async with start_bot(**FAST):
        assert await faqbot_publish(settings, "2025-06-new-plan") == 0
    async with start_bot(**FAST, updates_channel=settings.updates_channel):
        assert await faqbot_publish(settings, "2025-07-board") == 0
        [post] = await fake_telegram.wait_for(count=1, chat_id=CHANNEL_ID)
        await asyncio.sleep(0.2)
    assert post.text.startswith("Improvement board meets")
    assert len(fake_telegram.sent_messages(CHANNEL_ID)) == 1


async def test_a_channel_named_by_its_public_name_gets_the_post(
    start_bot, fake_telegram: FakeTelegram, settings: Settings
) -> None:
    # The fake finds "@name" chats by username; its add_group_chat takes none, so set it here.
    fake_telegram._chats[CHANNEL_ID].username = "croydon_updates"
    async with start_bot(**FAST, updates_channel="@croydon_updates"):
        assert await faqbot_publish(settings, "2025-06-new-plan") == 0
        [post] = await fake_telegram.wait_for(count=1, chat_id=CHANNEL_ID)
    assert post.text == CHANNEL_POST


async def test_an_update_from_the_council_feed_is_posted_to_the_channel_once(
    start_bot, fake_telegram: FakeTelegram, settings: Settings, feed_server: FeedServer
) -> None:
    item = (
        "<item><guid>https://www.croydon.gov.uk/news/{0}</guid><title>{1}</title>"
        "<description>{1}.</description></item>"
    )
    feed = '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{}</channel></rss>'
    feed_server.body = feed.format(item.format("old", "Old news")).encode()
    changes = {"updates_feed": feed_server.url, "updates_feed_interval": 0.05}
    async with start_bot(**FAST, **changes, updates_channel=settings.updates_channel):
        while feed_server.requests < 2:
            await asyncio.sleep(0.01)
        new_items = item.format("board", "Improvement board meets") + item.format("old", "Old news")
        feed_server.body = feed.format(new_items).encode()
        [post] = await fake_telegram.wait_for(count=1, chat_id=CHANNEL_ID)
        requests = feed_server.requests
        while feed_server.requests < requests + 3:
            await asyncio.sleep(0.01)
    assert post.text.startswith("Improvement board meets\n")
    assert len(fake_telegram.sent_messages(CHANNEL_ID)) == 1


# The poster on its own, over a real database


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "faqbot.sqlite3", b"key") as opened:
        yield opened


PLAN = ProgressUpdate(
    "2025-06-new-plan",
    date(2025, 6, 1),
    "New improvement plan",
    "The council published its new plan.",
)


async def test_a_failing_channel_is_retried_and_each_update_is_posted_once(store: Store) -> None:
    posts: list[tuple[str, str]] = []
    failures = [RuntimeError("Bad Request: chat not found")] * 2

    async def send(channel: str, text: str) -> int:
        if failures:
            raise failures.pop()
        posts.append((channel, text))
        return len(posts)

    poster = ChannelPoster(store, "@croydon_updates", send, interval=0.01, retry_interval=0.01)
    await poster.start_channel()
    await Outbox(store).publish(PLAN)
    running = asyncio.create_task(poster.run())
    try:
        async with asyncio.timeout(5):
            while not posts:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
    finally:
        poster.stop()
        await running
    restarted = ChannelPoster(store, "@croydon_updates", send)
    await restarted.start_channel()

    assert await restarted.post_due() == []
    assert posts == [
        (
            "@croydon_updates",
            "<b>New improvement plan</b>\n1 June 2025\n\nThe council published its new plan.",
        )
    ]
