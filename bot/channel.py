"""Each published update also goes, once, to the council's channel (FAQBOT_UPDATES_CHANNEL).

A channel post reaches every follower in one message, so it needs no outbox of its own: the
poster looks for publications (from `faqbot publish`, /publish or the feed) that the channel has
not had yet and posts them in order, recording each post as soon as Telegram accepts it, so a
restart does not post twice. Only a kill between Telegram's answer and that record could repeat
one post. Updates published before the channel was first configured are marked as done then and
never posted: followers of a new channel are not sent the backlog.

Like `Broadcaster`, it takes any `async send(channel, text) -> message id`, so nothing here knows
about Telegram.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.event_log import log_event
from bot.outbox import UNSUBSCRIBE_HINT
from bot.storage import Store
from bot.waiting import pause

logger = logging.getLogger(__name__)

PostToChannel = Callable[[str, str], Awaitable[int]]


def channel_text(alert: str) -> str:
    """The alert as a channel post: followers leave the channel, they do not /unsubscribe."""
    return alert.removesuffix(UNSUBSCRIBE_HINT).rstrip()


class ChannelPoster:
    """Posts every new publication to the channel, oldest first, each once."""

    def __init__(
        self,
        store: Store,
        channel: str,
        send: PostToChannel,
        *,
        interval: float = 1.0,
        retry_interval: float = 60.0,
    ):
        self.store = store
        self.channel = channel
        self.send = send
        self.interval = interval
        self.retry_interval = retry_interval  # after a failed post, e.g. the bot is not admin
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Post what is due now and whenever woken or every `interval` seconds, until stopped."""
        await self.start_channel()
        while not self._stopping.is_set():
            wait = self.interval
            try:
                await self.post_due()
            except Exception as error:
                log_event(
                    "channel_post",
                    logging.WARNING,
                    channel=self.channel,
                    outcome=f"{type(error).__name__}: {error}",
                    hint="the bot must be an admin of the channel, allowed to post messages",
                )
                wait = self.retry_interval
            await pause(self._stopping, self._wake, wait)

    def wake(self) -> None:
        """Something was published: post it now, not at the next look."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the post in progress, if any, is recorded."""
        self._stopping.set()

    async def start_channel(self) -> None:
        """The first time this channel is configured, mark what was published before as done."""
        async with self.store.transaction() as db:
            cursor = await db.execute(
                "INSERT OR IGNORE INTO channels (channel, configured_at) VALUES (?, ?)",
                (self.channel, _now_text()),
            )
            if cursor.rowcount == 1:
                await db.execute(
                    "INSERT INTO channel_posts (channel, update_id, message_id, posted_at)"
                    " SELECT ?, update_id, NULL, ? FROM publications",
                    (self.channel, _now_text()),
                )

    async def post_due(self) -> list[str]:
        """Post each publication the channel has not had, oldest first; their update ids."""
        async with self.store.db.execute(
            "SELECT update_id, alert FROM publications p WHERE NOT EXISTS (SELECT 1 FROM"
            " channel_posts cp WHERE cp.channel = ? AND cp.update_id = p.update_id)"
            " ORDER BY published_at, update_id",
            (self.channel,),
        ) as cursor:
            due = await cursor.fetchall()
        posted = []
        for update_id, alert in due:
            if self._stopping.is_set():
                break
            message_id = await self.send(self.channel, channel_text(alert))
            async with self.store.transaction() as db:
                await db.execute(
                    "INSERT INTO channel_posts (channel, update_id, message_id, posted_at)"
                    " VALUES (?, ?, ?, ?)",
                    (self.channel, update_id, message_id, _now_text()),
                )
            posted.append(update_id)
            log_event("channel_post", channel=self.channel, update=update_id, outcome="posted")
        return posted


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
