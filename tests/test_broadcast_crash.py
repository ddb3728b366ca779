"""A broadcast survives the bot being stopped mid-way: the real `faqbot run`, as a subprocess.

The bot runs exactly as deployed (`python -m bot.cli run`) against the fake Bot API in this
process, with limits raised so 200 alerts take about two seconds. The test publishes, stops the
bot part-way through (SIGKILL or SIGTERM), starts it again on the same database, and counts
what each subscriber received.
"""

from __future__ import annotations

import asyncio
import io
import signal
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bot_process import BotProcess
from conftest import HASH_KEY, TELEGRAM_FAQ, write_faq
from fake_telegram import FakeTelegram, RateLimit

from bot.cli import publish
from bot.outbox import UNSUBSCRIBE_HINT, Outbox, PublicationStatus
from bot.settings import Settings
from bot.storage import Store

UPDATE_ID = "2025-06-new-plan"
UPDATES_YAML = f"""\
updates:
  - id: {UPDATE_ID}
    date: 2025-06-01
    title: New improvement plan
    summary: The council published its new plan.
"""
SUBSCRIBERS = range(700_001, 700_201)
SEND_RATE = 100  # alerts a second: 200 take two seconds
CONCURRENCY = Settings.alert_concurrency  # the most alerts in flight at any instant


@pytest.fixture
async def bot_folder(tmp_path: Path) -> Path:
    faq = write_faq(tmp_path / "faq", TELEGRAM_FAQ)
    (faq / "updates.yaml").write_text(UPDATES_YAML, encoding="utf-8")
    async with Store(tmp_path / "faqbot.sqlite3", HASH_KEY.encode()) as store:
        for chat_id in SUBSCRIBERS:
            await store.subscribe(chat_id, chat_id)
    return tmp_path


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    # Telegram's per-chat limit as it is; the overall limit raised with the bot's send rate.
    limits = {"overall_limit": RateLimit(SEND_RATE), "per_chat_limit": RateLimit(1)}
    async with FakeTelegram(auto_create_chats=True, **limits) as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram, bot_folder: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(fake, bot_folder, hash_key=HASH_KEY, send_rate=f"{SEND_RATE},1")
    try:
        yield process
    finally:
        await process.kill_if_running()


def alerts(fake: FakeTelegram) -> Counter[int | str]:
    return Counter(
        sent.chat_id for sent in fake.sent_messages() if sent.text.endswith(UNSUBSCRIBE_HINT)
    )


async def faqbot_publish(folder: Path) -> None:
    settings = Settings(
        telegram_token="", faq_dir=folder / "faq", database_path=folder / "faqbot.sqlite3"
    )
    out = io.StringIO()
    assert await asyncio.to_thread(publish, settings, UPDATE_ID, False, False, out) == 0, out


async def publication(folder: Path) -> PublicationStatus:
    async with Store(folder / "faqbot.sqlite3", HASH_KEY.encode()) as store:
        [status] = await Outbox(store).statuses(UPDATE_ID)
    return status


async def stop_mid_broadcast(
    bot: BotProcess, fake: FakeTelegram, stop_signal: signal.Signals
) -> tuple[int, int]:
    """Publish, stop the bot once a third of the alerts are out; (exit code, alerts sent)."""
    await bot.start()
    await faqbot_publish(bot.folder)
    await fake.wait_for(lambda: len(alerts(fake)) >= len(SUBSCRIBERS) // 3, timeout=10)
    code = await bot.stop(stop_signal)
    return code, sum(alerts(fake).values())


async def finish_broadcast(bot: BotProcess, fake: FakeTelegram) -> PublicationStatus:
    """Start the bot again and let it deliver the rest; the publication's final status."""
    await bot.start()
    await fake.wait_for(lambda: set(alerts(fake)) >= set(SUBSCRIBERS), timeout=15)
    async with asyncio.timeout(10):
        while (status := await publication(bot.folder)).remaining:
            await asyncio.sleep(0.05)
    assert await bot.stop(signal.SIGTERM) == 0, bot.log()
    return status


async def test_a_bot_killed_mid_broadcast_resumes_and_misses_no_subscriber(
    bot: BotProcess, fake: FakeTelegram
) -> None:
    _, sent_before_kill = await stop_mid_broadcast(bot, fake, signal.SIGKILL)
    assert sent_before_kill < len(SUBSCRIBERS), "the broadcast ended before the kill"

    status = await finish_broadcast(bot, fake)

    received = alerts(fake)
    assert set(received) == set(SUBSCRIBERS), bot.log()
    duplicates = sum(received.values()) - len(received)
    assert duplicates <= CONCURRENCY, f"{duplicates} duplicates; in flight at most {CONCURRENCY}"
    assert (status.delivered, status.failed, status.remaining) == (len(SUBSCRIBERS), 0, 0)


async def test_a_bot_stopped_with_sigterm_mid_broadcast_sends_nobody_the_alert_twice(
    bot: BotProcess, fake: FakeTelegram
) -> None:
    code, sent_before_stop = await stop_mid_broadcast(bot, fake, signal.SIGTERM)
    assert code == 0, bot.log()
    assert sent_before_stop < len(SUBSCRIBERS), "the broadcast ended before the stop"
    recorded = await publication(bot.folder)
    assert recorded.delivered == sent_before_stop  # every alert sent was recorded before exit

    status = await finish_broadcast(bot, fake)

    assert alerts(fake) == Counter({chat_id: 1 for chat_id in SUBSCRIBERS}), bot.log()
    assert (status.delivered, status.failed, status.remaining) == (len(SUBSCRIBERS), 0, 0)
