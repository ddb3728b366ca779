"""The council's own news feed as a source of updates, so staff never publish the same news twice.

With FAQBOT_UPDATES_FEED set, the bot reads the RSS or Atom feed every few minutes. Each new item
that matches the filters becomes a progress update, published once through the outbox like
`faqbot publish`. The items already in the feed the first time it is read are history: they are
recorded as seen and never alerted, so configuring a feed does not flood residents.

Feed items are kept in the database (migration 4), not in faq/updates.yaml: that file is staff's
own writing, checked by `faqbot check`, and the bot never writes to it; the items are the bot's
record of what it has seen and published, which must survive restarts and be written in the same
place as the publication itself.

Exactly once: an item is recorded as seen only after its update is queued. If the bot dies in
between, the next read finds the item unseen, the outbox refuses to publish its id a second
time, and the item is then recorded: it is alerted once either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import feedparser

from bot.event_log import log_event
from bot.outbox import Outbox, PublishError
from bot.storage import Store
from bot.updates import ProgressUpdate

logger = logging.getLogger(__name__)

# A summary longer than this is cut at a word: the alert must fit in one Telegram message.
MAX_SUMMARY = 1500
FETCH_TIMEOUT = 30.0
USER_AGENT = "faqbot feed reader (Croydon children's services FAQ bot)"


class FeedError(Exception):
    """The feed could not be read this time (unreachable, not a feed, malformed); try later."""


@dataclass(frozen=True)
class FeedFilter:
    """Which items become updates: any of the keywords (if given) and the category (if given)."""

    keywords: tuple[str, ...] = ()
    category: str | None = None

    def matches(self, entry: Any) -> bool:
        text = f"{_entry_title(entry)}\n{_entry_summary(entry)}".lower()
        if self.keywords and not any(keyword.lower() in text for keyword in self.keywords):
            return False
        if self.category is not None:
            terms = {
                (tag.get("term") or tag.get("label") or "").strip().lower()
                for tag in entry.get("tags", [])
            }
            if self.category.strip().lower() not in terms:
                return False
        return True


def item_key(entry: Any) -> str | None:
    """What identifies an item across reads: its guid (Atom: id), else its link."""
    return (entry.get("id") or entry.get("link") or "").strip() or None


def update_id_for(key: str) -> str:
    """A stable update id for an item: the end of its guid or link, and a hash of the whole."""
    tail = key.rstrip("/").rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9]+", "-", tail.lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"feed-{slug}-{digest}" if slug else f"feed-{digest}"


def update_from_entry(entry: Any, key: str) -> ProgressUpdate:
    """The progress update a feed item becomes: its title, date, text and link."""
    title = _entry_title(entry) or "Council update"
    summary = _entry_summary(entry)
    if len(summary) > MAX_SUMMARY:
        summary = summary[:MAX_SUMMARY].rsplit(" ", 1)[0] + " …"
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    when = date(*parsed[:3]) if parsed else datetime.now(UTC).date()
    return ProgressUpdate(
        id=update_id_for(key),
        date=when,
        title=title,
        summary=summary or title,
        link=(entry.get("link") or "").strip() or None,
    )


def parse_feed(body: bytes, content_type: str | None = None) -> list[Any]:
    """The feed's items in feed order; FeedError when it is not a well-formed RSS or Atom feed."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers)
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(problem, feedparser.CharacterEncodingOverride):
        # A half-read feed could leave old items out of the history and alert them later.
        raise FeedError(f"the feed is malformed ({type(problem).__name__}: {problem})")
    if not parsed.get("version"):
        raise FeedError("the address does not return an RSS or Atom feed")
    return list(parsed.entries)


class FeedReader:
    """Reads the feed every `interval` seconds and publishes each new matching item once."""

    def __init__(
        self,
        store: Store,
        url: str,
        feed_filter: FeedFilter = FeedFilter(),
        *,
        interval: float = 600.0,
        on_published: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.outbox = Outbox(store)
        self.url = url
        self.filter = feed_filter
        self.interval = interval
        self.on_published = on_published
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Read now and every `interval` seconds until stopped; failures are logged and retried."""
        async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
            while not self._stopping.is_set():
                try:
                    await self.read_once(session)
                except FeedError as error:
                    log_event("feed", logging.WARNING, outcome="unreadable", error=str(error))
                except Exception:  # a bug or the database: log it, keep reading the feed later
                    logger.exception("event=feed_error url=%s", self.url)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.interval):
                        await self._stopping.wait()

    def stop(self) -> None:
        self._stopping.set()

    async def read_once(self, session: aiohttp.ClientSession) -> list[str]:
        """Fetch the feed and publish what is new; the ids of the updates published."""
        body, content_type = await self._fetch(session)
        # Parsing a long feed takes a while: not on the loop that answers residents.
        entries = await asyncio.to_thread(parse_feed, body, content_type)
        return await self.take_items(entries)

    async def take_items(self, entries: Sequence[Any]) -> list[str]:
        """Record the items; publish those new since the first read that match the filters."""
        keyed = [(key, entry) for entry in entries if (key := item_key(entry)) is not None]
        if not await self._known_feed():
            await self._record_history([key for key, _ in keyed])
            log_event("feed", outcome="first_read", items=len(keyed))
            return []
        seen = await self._seen_keys()
        published = []
        # Feeds list the newest first: publish the oldest new item first.
        for key, entry in reversed(keyed):
            if key in seen:
                continue
            seen.add(key)
            if not self.filter.matches(entry):
                await self._record(key, None)
                continue
            update = update_from_entry(entry, key)
            try:
                recipients = await self.outbox.publish(update)
            except PublishError:
                recipients = None  # queued before a crash, not yet recorded: do not send again
            await self._record(key, update)
            if recipients is not None:
                published.append(update.id)
                log_event("feed", outcome="published", update=update.id, recipients=recipients)
        if published:
            self.on_published()
        return published

    async def _fetch(self, session: aiohttp.ClientSession) -> tuple[bytes, str | None]:
        try:
            async with session.get(
                self.url, timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT)
            ) as response:
                if response.status != 200:
                    raise FeedError(f"{self.url} answered HTTP {response.status}")
                return await response.read(), response.headers.get("Content-Type")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise FeedError(f"cannot reach {self.url} ({type(error).__name__}: {error})") from None

    async def _known_feed(self) -> bool:
        async with self.store.db.execute("SELECT 1 FROM feeds WHERE url = ?", (self.url,)) as cur:
            return await cur.fetchone() is not None

    async def _seen_keys(self) -> set[str]:
        async with self.store.db.execute(
            "SELECT item_key FROM feed_items WHERE feed_url = ?", (self.url,)
        ) as cursor:
            return {row[0] for row in await cursor.fetchall()}

    async def _record_history(self, keys: list[str]) -> None:
        now = _now_text()
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT INTO feeds (url, first_read_at) VALUES (?, ?)", (self.url, now)
            )
            await db.executemany(
                "INSERT OR IGNORE INTO feed_items (feed_url, item_key, seen_at) VALUES (?, ?, ?)",
                [(self.url, key, now) for key in keys],
            )

    async def _record(self, key: str, update: ProgressUpdate | None) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO feed_items (feed_url, item_key, seen_at, update_id, date,"
                " title, summary, link) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.url,
                    key,
                    _now_text(),
                    update.id if update else None,
                    update.date.isoformat() if update else None,
                    update.title if update else None,
                    update.summary if update else None,
                    update.link if update else None,
                ),
            )


async def feed_updates(store: Store) -> list[ProgressUpdate]:
    """The updates that came from the feed, newest first (for listing beside updates.yaml's)."""
    async with store.db.execute(
        "SELECT update_id, date, title, summary, link FROM feed_items"
        " WHERE update_id IS NOT NULL ORDER BY date DESC, seen_at DESC"
    ) as cursor:
        rows = await cursor.fetchall()
    return [
        ProgressUpdate(row[0], date.fromisoformat(row[1]), row[2], row[3], row[4], published=True)
        for row in rows
    ]


async def listed_updates(store: Store, from_file: Sequence[ProgressUpdate]) -> list[ProgressUpdate]:
    """What /updates lists: updates.yaml's and those the feed brought, newest first.

    On the same date the feed's come first: they are news the bot saw, staff's file is history.
    An id in both (staff copied a feed item into the file) is listed once, as the file has it.
    """
    in_file = {update.id for update in from_file}
    from_feed = [update for update in await feed_updates(store) if update.id not in in_file]
    return sorted([*from_feed, *from_file], key=lambda update: update.date, reverse=True)


def _entry_title(entry: Any) -> str:
    return _plain_text(entry.get("title") or "")


def _entry_summary(entry: Any) -> str:
    return _plain_text(entry.get("summary") or entry.get("description") or "")


def _plain_text(markup: str) -> str:
    """Feed text (often HTML) as plain words: tags dropped, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]*>", " ", markup)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
