"""The council's news feed becomes updates: feeds served from a real local HTTP server."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import aiohttp
import pytest
from conftest import FeedServer, alerts_by_chat, subscribe, wait_until
from fake_telegram import FakeTelegram

from bot.feed import FeedError, FeedFilter, FeedReader, feed_updates, update_id_for
from bot.outbox import UNSUBSCRIBE_HINT, Outbox
from bot.storage import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "faqbot.sqlite3", b"key") as opened:
        yield opened


def rss(*items: tuple[str, str, str, str]) -> bytes:
    """An RSS 2.0 feed, newest item first: (guid, title, description, category) each."""
    body = "".join(
        f"""<item><guid>https://www.croydon.gov.uk/news/{guid}</guid><title>{title}</title>
        <link>https://www.croydon.gov.uk/news/{guid}</link>
        <description>{description}</description><category>{category}</category>
        <pubDate>Mon, 02 Jun 2025 09:00:00 GMT</pubDate></item>"""
        for guid, title, description, category in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Croydon Council news</title>
<link>https://www.croydon.gov.uk/news</link><description>News</description>
{body}</channel></rss>""".encode()


BINS = (
    "bin-collections",
    "Bin collections over the bank holiday",
    "Bins go out a day late.",
    "Environment",
)
LIBRARY = ("library-hours", "New library hours", "Libraries open later.", "Culture")
OFSTED = (
    "ofsted-monitoring-2025",
    "Ofsted monitoring visit: children&apos;s services",
    "&lt;p&gt;Inspectors found &lt;b&gt;progress&lt;/b&gt; in children's services.&lt;/p&gt;",
    "Children",
)
FOSTERING = ("fostering-fortnight", "Fostering fortnight", "Could you foster?", "Children")

NEW_ENTRY = """<entry><id>urn:croydon:news:2</id><title>Improvement board report</title>
<link href="https://www.croydon.gov.uk/news/board-report"/>
<updated>2025-07-01T09:00:00Z</updated><summary>The board met.</summary>
<category term="children"/></entry>"""
OLD_ENTRY = """<entry><id>urn:croydon:news:1</id><title>Old news</title>
<link href="https://www.croydon.gov.uk/news/old"/>
<updated>2025-06-01T09:00:00Z</updated><summary>Old.</summary></entry>"""


def atom(*entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Croydon news</title>
<id>urn:croydon:news</id><updated>2025-07-01T09:00:00Z</updated>
{"".join(entries)}</feed>""".encode()


MALFORMED = rss(OFSTED, BINS).replace(b"</channel></rss>", b"<item><title>cut off")


async def read(reader: FeedReader) -> list[str]:
    async with aiohttp.ClientSession() as session:
        return await reader.read_once(session)


async def test_items_in_the_feed_when_first_read_are_history_and_only_new_ones_are_published(
    feed_server: FeedServer, store: Store
) -> None:
    reader = FeedReader(store, feed_server.url)
    feed_server.body = rss(LIBRARY, BINS)
    assert await read(reader) == []
    assert await read(reader) == []

    feed_server.body = rss(FOSTERING, OFSTED, LIBRARY, BINS)
    published = await read(reader)
    again = await read(reader)

    assert published == [
        update_id_for(f"https://www.croydon.gov.uk/news/{OFSTED[0]}"),
        update_id_for(f"https://www.croydon.gov.uk/news/{FOSTERING[0]}"),
    ]
    assert again == []
    assert [status.update_id for status in await Outbox(store).statuses()] == sorted(published)


async def test_an_item_becomes_an_update_with_a_stable_readable_id_and_plain_text(
    feed_server: FeedServer, store: Store
) -> None:
    reader = FeedReader(store, feed_server.url)
    feed_server.body = rss(BINS)
    await read(reader)
    feed_server.body = rss(OFSTED, BINS)
    [update_id] = await read(reader)

    [update] = await feed_updates(store)
    assert update_id.startswith("feed-ofsted-monitoring-2025-") and len(update_id) == 36
    assert update_id == update_id_for("https://www.croydon.gov.uk/news/ofsted-monitoring-2025")
    assert update.title == "Ofsted monitoring visit: children's services"
    assert update.summary == "Inspectors found progress in children's services."
    assert (update.date, update.link) == (
        date(2025, 6, 2),
        "https://www.croydon.gov.uk/news/ofsted-monitoring-2025",
    )


async def test_keywords_and_category_decide_which_new_items_are_published(
    feed_server: FeedServer, store: Store
) -> None:
    by_keyword = FeedReader(store, feed_server.url, FeedFilter(keywords=("ofsted", "improvement")))
    feed_server.body = rss(BINS)
    await read(by_keyword)
    feed_server.body = rss(FOSTERING, OFSTED, LIBRARY, BINS)
    assert [u.removeprefix("feed-")[:6] for u in await read(by_keyword)] == ["ofsted"]

    # Same server, another address: a feed of its own, read for the first time.
    by_category = FeedReader(store, feed_server.url + "?all", FeedFilter(category="children"))
    feed_server.body = rss(BINS)
    await read(by_category)
    feed_server.body = rss(FOSTERING, OFSTED, LIBRARY, BINS)
    # OFSTED was published through the other feed: its id is taken, so it is not sent again.
    assert [u.removeprefix("feed-")[:9] for u in await read(by_category)] == ["fostering"]


async def test_an_atom_feed_works_the_same_way(feed_server: FeedServer, store: Store) -> None:
    reader = FeedReader(store, feed_server.url, FeedFilter(category="Children"))
    feed_server.content_type = "application/atom+xml"
    feed_server.body = atom(OLD_ENTRY)
    assert await read(reader) == []
    feed_server.body = atom(NEW_ENTRY, OLD_ENTRY)
    [update_id] = await read(reader)

    [update] = await feed_updates(store)
    assert update_id == update.id == update_id_for("urn:croydon:news:2")
    assert update_id.startswith("feed-urn-croydon-news-2-")
    assert (update.title, update.summary, update.date) == (
        "Improvement board report",
        "The board met.",
        date(2025, 7, 1),
    )
    assert update.link == "https://www.croydon.gov.uk/news/board-report"


@pytest.mark.parametrize(
    ("status", "body", "complaint"),
    [
        (200, MALFORMED, "the feed is malformed"),
        (200, b"<html><body>Page not found</body></html>", "not return an RSS or Atom feed"),
        (503, b"busy", "answered HTTP 503"),
    ],
)
async def test_a_malformed_or_failing_feed_is_refused_whole_and_changes_nothing(
    feed_server: FeedServer, store: Store, status: int, body: bytes, complaint: str
) -> None:
    reader = FeedReader(store, feed_server.url)
    feed_server.status, feed_server.body = status, body
    with pytest.raises(FeedError, match=complaint):
        await read(reader)
    # Not taken as the first read: the good feed that follows is still history.
    feed_server.status, feed_server.body = 200, rss(OFSTED, BINS)
    assert await read(reader) == []


async def test_an_item_queued_before_a_crash_but_not_recorded_is_not_published_again(
    feed_server: FeedServer, store: Store
) -> None:
    reader = FeedReader(store, feed_server.url)
    feed_server.body = rss(BINS)
    await read(reader)
    feed_server.body = rss(OFSTED, BINS)
    [update_id] = await read(reader)
    await store.db.execute("DELETE FROM feed_items WHERE update_id = ?", (update_id,))
    await store.db.commit()

    assert await read(reader) == []
    assert [status.update_id for status in await Outbox(store).statuses()] == [update_id]
    assert [update.id for update in await feed_updates(store)] == [update_id]


async def test_the_reader_keeps_going_through_unreachable_and_malformed_feeds(
    feed_server: FeedServer, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    published = asyncio.Event()
    reader = FeedReader(store, feed_server.url, interval=0.02, on_published=published.set)
    feed_server.body = rss(BINS)
    running = asyncio.create_task(reader.run())
    try:
        await wait_until(lambda: feed_server.requests >= 2)
        feed_server.status = 500
        await wait_until(lambda: feed_server.requests >= 4)
        feed_server.status, feed_server.body = 200, MALFORMED
        await wait_until(lambda: feed_server.requests >= 6)
        feed_server.body = rss(OFSTED, BINS)
        async with asyncio.timeout(5):
            await published.wait()
    finally:
        reader.stop()
        await running
    assert len(await Outbox(store).statuses()) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("feed" in message for message in warnings)


# The running bot


async def test_the_running_bot_alerts_subscribers_once_to_a_new_feed_item_even_after_a_restart(
    start_bot, fake_telegram: FakeTelegram, feed_server: FeedServer
) -> None:
    feed_server.body = rss(LIBRARY, BINS)
    settings = {
        "updates_feed": feed_server.url,
        "updates_feed_interval": 0.05,
        "updates_feed_keywords": ("children",),
        "send_rate": 200.0,
        "send_rate_per_chat": 100.0,
    }
    subscribers = [401, 402]
    async with start_bot(**settings):
        await subscribe(fake_telegram, subscribers)
        await wait_until(lambda: feed_server.requests >= 2)
        feed_server.body = rss(FOSTERING, OFSTED, LIBRARY, BINS)
        await fake_telegram.wait_for(lambda: len(alerts_by_chat(fake_telegram)) == 2)
    async with start_bot(**settings):
        requests = feed_server.requests
        await wait_until(lambda: feed_server.requests >= requests + 3)

    assert alerts_by_chat(fake_telegram) == Counter({401: 1, 402: 1})
    [alert] = [
        sent for sent in fake_telegram.sent_messages(401) if sent.text.endswith(UNSUBSCRIBE_HINT)
    ]
    assert alert.text.startswith("Ofsted monitoring visit: children's services\n2 June 2025\n")
