"""/updates through the real Application and the fake Bot API: updates.yaml's and the feed's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from conftest import FeedServer, wait_until
from fake_telegram import FakeTelegram

from bot.feed import FeedReader, feed_updates, listed_updates
from bot.settings import Settings
from bot.storage import Store
from bot.telegram_wording import NEXT_PAGE, PREVIOUS_PAGE, READ_MORE
from bot.updates import ProgressUpdate

RESIDENT = 4242


def rss(*items: tuple[str, str, str]) -> bytes:
    """An RSS 2.0 feed, newest item first: (guid, title, pubDate) each."""
    body = "".join(
        f"""<item><guid>https://www.croydon.gov.uk/news/{guid}</guid><title>{title}</title>
        <link>https://www.croydon.gov.uk/news/{guid}</link>
        <description>{title}: the details.</description><pubDate>{published}</pubDate></item>"""
        for guid, title, published in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Croydon Council news</title>
<link>https://www.croydon.gov.uk/news</link><description>News</description>
{body}</channel></rss>""".encode()


OLD_NEWS = ("library-hours", "New library hours", "Mon, 02 Jun 2025 09:00:00 GMT")
BOARD = ("board-july", "Improvement board meets", "Tue, 01 Jul 2025 09:00:00 GMT")
VISIT = ("ofsted-visit", "Ofsted monitoring visit", "Mon, 10 Mar 2025 09:00:00 GMT")

TWO_UPDATES = """updates:
  - {id: rated-good, date: 2024-12-03, title: Rated good, summary: Ofsted rated us good.}
  - id: new-plan
    date: 2025-06-01
    title: New plan
    summary: The plan is out.
    link: https://www.croydon.gov.uk/plan
"""


def write_updates(settings: Settings, text: str) -> None:
    (settings.faq_dir / "updates.yaml").write_text(text, encoding="utf-8")


def many_updates(count: int) -> str:
    """`count` updates, one a month from January 2020, in file order oldest first."""
    lines = ["updates:"]
    for number in range(count):
        lines.append(
            f"  - {{id: u{number}, date: {2020 + number // 12}-{number % 12 + 1:02d}-01, "
            f"title: Update {number}, summary: What changed in update {number}.}}"
        )
    return "\n".join(lines) + "\n"


async def test_updates_from_the_councils_feed_are_listed_with_the_files_newest_first(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings, feed_server: FeedServer
) -> None:
    write_updates(bot_settings, TWO_UPDATES)
    feed_server.body = rss(OLD_NEWS)  # already in the feed when first read: history
    async with start_bot(updates_feed=feed_server.url, updates_feed_interval=0.05) as app:
        store = app.services.handlers.store
        await wait_until(lambda: feed_server.requests >= 2)
        feed_server.body = rss(BOARD, OLD_NEWS, VISIT)
        async with asyncio.timeout(5):
            while len(await feed_updates(store)) < 2:
                await asyncio.sleep(0.02)

        fake_telegram.command("updates", user_id=RESIDENT)
        [sent] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)

    assert sent.text == (
        "Latest progress updates\n\n"
        "01 July 2025: Improvement board meets\nImprovement board meets: the details.\n"
        f"{READ_MORE}\n\n"
        f"01 June 2025: New plan\nThe plan is out.\n{READ_MORE}\n\n"
        "10 March 2025: Ofsted monitoring visit\nOfsted monitoring visit: the details.\n"
        f"{READ_MORE}\n\n"
        "03 December 2024: Rated good\nOfsted rated us good."
    )
    links = [entity["url"] for entity in sent.entities if entity["type"] == "text_link"]
    assert links == [
        "https://www.croydon.gov.uk/news/board-july",
        "https://www.croydon.gov.uk/plan",
        "https://www.croydon.gov.uk/news/ofsted-visit",
    ]
    assert sent.buttons == []  # one page: no Previous or Next


async def test_many_updates_are_shown_five_a_page_with_previous_and_next_in_one_message(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
) -> None:
    write_updates(bot_settings, many_updates(12))
    async with start_bot():
        fake_telegram.command("updates", user_id=RESIDENT)
        [menu] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        first = menu.text

        fake_telegram.callback_query(menu, button=NEXT_PAGE)
        await fake_telegram.wait_for(lambda: len(fake_telegram.edits(RESIDENT)) == 1)
        second = fake_telegram.message(RESIDENT, menu.message_id)
        fake_telegram.callback_query((RESIDENT, menu.message_id), button=NEXT_PAGE)
        await fake_telegram.wait_for(lambda: len(fake_telegram.edits(RESIDENT)) == 2)
        third = fake_telegram.message(RESIDENT, menu.message_id)
        fake_telegram.callback_query((RESIDENT, menu.message_id), button=PREVIOUS_PAGE)
        await fake_telegram.wait_for(lambda: len(fake_telegram.edits(RESIDENT)) == 3)
        back = fake_telegram.message(RESIDENT, menu.message_id)

    def titles(text: str) -> list[str]:
        return [line.split(": ", 1)[1] for line in text.splitlines() if line[:2].isdigit()]

    def labels(message: dict) -> list[str]:
        return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]

    assert first.startswith("Latest progress updates, page 1 of 3\n\n")
    assert titles(first) == [f"Update {number}" for number in (11, 10, 9, 8, 7)]
    assert [label for label, _ in menu.buttons] == [NEXT_PAGE]
    assert second["text"].startswith("Latest progress updates, page 2 of 3\n\n")
    assert titles(second["text"]) == [f"Update {number}" for number in (6, 5, 4, 3, 2)]
    assert labels(second) == [PREVIOUS_PAGE, NEXT_PAGE]
    assert titles(third["text"]) == ["Update 1", "Update 0"]
    assert labels(third) == [PREVIOUS_PAGE]
    assert back["text"] == second["text"]
    assert len(fake_telegram.sent_messages(RESIDENT)) == 1  # every page in the same message


async def test_updates_too_long_to_share_a_message_go_on_pages_of_their_own(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
) -> None:
    summary = ("The council reports on its improvement plan every month. " * 50)[:2900].strip()
    write_updates(
        bot_settings,
        "updates:\n"
        f"  - {{id: long, date: 2025-06-01, title: Long, summary: {summary}}}\n"
        f"  - {{id: longer, date: 2025-05-01, title: Longer, summary: {summary}}}\n"
        "  - {id: short, date: 2025-04-01, title: Short, summary: Brief.}\n",
    )
    async with start_bot():
        fake_telegram.command("updates", user_id=RESIDENT)
        [page] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        fake_telegram.callback_query(page, button=NEXT_PAGE)
        await fake_telegram.wait_for(lambda: len(fake_telegram.edits(RESIDENT)) == 1)
        second = fake_telegram.message(RESIDENT, page.message_id)

    assert page.text == f"Latest progress updates, page 1 of 2\n\n01 June 2025: Long\n{summary}"
    assert second["text"] == (
        "Latest progress updates, page 2 of 2\n\n"
        f"01 May 2025: Longer\n{summary}\n\n01 April 2025: Short\nBrief."
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "faqbot.sqlite3", b"key") as opened:
        yield opened


async def test_an_update_both_in_the_file_and_from_the_feed_is_listed_once_as_the_file_has_it(
    store: Store,
) -> None:
    reader = FeedReader(store, "https://www.croydon.gov.uk/news/feed")
    await reader.take_items([])  # the first read: nothing in the feed yet
    item = {"id": "https://www.croydon.gov.uk/news/board", "title": "Board meets"}
    [published] = await reader.take_items([item])
    in_file = ProgressUpdate(published, date(2025, 7, 2), "The board met", "Staff's words.")
    older = ProgressUpdate("older", date(2024, 1, 1), "Older", "Long ago.")

    listed = await listed_updates(store, [older, in_file])

    assert listed == [in_file, older]
