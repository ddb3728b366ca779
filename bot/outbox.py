"""The outbox of progress-update alerts, kept in the bot's SQLite file (tables of migration 3).

Publishing writes the publication and one delivery per current subscriber in one transaction,
before anything is sent: `faqbot publish` can run while the bot does, and a crash loses nothing.
A delivery is marked delivered only after Telegram accepted it, so after a kill the only alerts
sent twice are those that were in flight. A delivery points at its subscription: unsubscribing
(or `forget`) empties its chat_id, and an alert not yet sent is then dropped.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.storage import Store
from bot.updates import ProgressUpdate

UNSUBSCRIBE_HINT = "To stop these alerts, send /unsubscribe."


class PublishError(Exception):
    """An update that cannot be published; the message says why, for staff."""


@dataclass(frozen=True)
class Delivery:
    id: int
    update_id: str
    chat_id: int
    alert: str
    attempts: int  # failed attempts so far


@dataclass(frozen=True)
class PublicationStatus:
    update_id: str
    published_at: datetime
    queued: int  # one per subscriber when it was published
    delivered: int
    failed: int
    unsubscribed: int  # blocked the bot or deleted their account: unsubscribed, not retried
    cancelled: int  # unsubscribed themselves before their alert went
    remaining: int
    rate: float | None  # deliveries a second, from the first to the last; None below two


def alert_text(update: ProgressUpdate) -> str:
    """The alert for an update, as Telegram HTML: title, date, summary, link, how to stop."""
    parts = [
        f"<b>{html.escape(update.title, quote=False)}</b>",
        f"{update.date:%-d %B %Y}",
        "",
        html.escape(update.summary, quote=False),
    ]
    if update.link:
        parts += ["", f"Read more: {html.escape(update.link, quote=False)}"]
    parts += ["", UNSUBSCRIBE_HINT]
    return "\n".join(parts)


class Outbox:
    """What must be sent to whom; every method is one short statement or transaction."""

    def __init__(self, store: Store):
        self.store = store

    async def subscriber_count(self) -> int:
        async with self.store.db.execute("SELECT COUNT(*) FROM subscriptions") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def check_publishable(self, update: ProgressUpdate) -> None:
        """Raise the PublishError `publish` would raise now, without publishing (a preview)."""
        if update.published:
            await self.publish(update)  # refuses at once, before touching the database
        async with self.store.db.execute(
            "SELECT 1 FROM publications WHERE update_id = ?", (update.id,)
        ) as cursor:
            if await cursor.fetchone() is not None:
                await self.publish(update)  # refuses, saying when and to how many it went

    async def publish(self, update: ProgressUpdate) -> int:
        """Queue the update's alert for every current subscriber; how many will get it."""
        if update.published:
            raise PublishError(
                f'the update "{update.id}" is marked "published: true" in updates.yaml, so '
                "residents were already told about it and it is never sent as an alert"
            )
        async with self.store.transaction() as db:
            async with db.execute(
                "SELECT published_at, recipients FROM publications WHERE update_id = ?",
                (update.id,),
            ) as cursor:
                earlier = await cursor.fetchone()
            if earlier is not None:
                raise PublishError(
                    f'the update "{update.id}" was already published on {earlier[0]} to '
                    f"{earlier[1]} subscribers: each update is sent once. To tell residents "
                    "something new, add a new update with its own id"
                )
            await db.execute(
                "INSERT INTO publications (update_id, alert, published_at, recipients)"
                " VALUES (?, ?, ?, 0)",
                (update.id, alert_text(update), _now_text()),
            )
            cursor = await db.execute(
                "INSERT INTO deliveries (update_id, chat_id) SELECT ?, chat_id"
                " FROM subscriptions ORDER BY created_at, chat_id",
                (update.id,),
            )
            recipients = cursor.rowcount
            await db.execute(
                "UPDATE publications SET recipients = ? WHERE update_id = ?",
                (recipients, update.id),
            )
        return recipients

    async def due(self, limit: int, now: float, leave_out: set[int]) -> list[Delivery]:
        """Queued deliveries to chats still subscribed, oldest first; not those in `leave_out`."""
        async with self.store.db.execute(
            "SELECT d.id, d.update_id, d.chat_id, p.alert, d.attempts FROM deliveries d"
            " JOIN publications p USING (update_id)"
            " WHERE d.state = 'queued' AND d.chat_id IS NOT NULL AND d.retry_at <= ?"
            " ORDER BY d.retry_at, d.id LIMIT ?",
            (now, limit + len(leave_out)),
        ) as cursor:
            rows = await cursor.fetchall()
        deliveries = [Delivery(*row) for row in rows if row[0] not in leave_out]
        return deliveries[:limit]

    async def mark_delivered(self, delivery: Delivery) -> None:
        await self._finish(delivery, "delivered", None)

    async def mark_failed(self, delivery: Delivery, error: str) -> None:
        await self._finish(delivery, "failed", error, attempts=delivery.attempts + 1)

    async def mark_unsubscribed(self, delivery: Delivery, error: str) -> None:
        """The chat is gone (blocked, deleted, not found): unsubscribe it; never try again."""
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = 'unsubscribed', finished_at = ?, error = ?"
                " WHERE id = ?",
                (time.time(), error, delivery.id),
            )
            await db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (delivery.chat_id,))

    async def retry_later(self, delivery: Delivery, retry_at: float, error: str) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET attempts = ?, retry_at = ?, error = ? WHERE id = ?",
                (delivery.attempts + 1, retry_at, error, delivery.id),
            )

    async def _finish(
        self, delivery: Delivery, state: str, error: str | None, attempts: int | None = None
    ) -> None:
        async with self.store.transaction() as db:
            await db.execute(
                "UPDATE deliveries SET state = ?, finished_at = ?, error = ?,"
                " attempts = COALESCE(?, attempts) WHERE id = ?",
                (state, time.time(), error, attempts, delivery.id),
            )

    async def statuses(self, update_id: str | None = None) -> list[PublicationStatus]:
        """How each publication (or just `update_id`'s) is going, newest first."""
        async with self.store.db.execute(
            "SELECT p.update_id, p.published_at, COUNT(d.id),"
            " SUM(d.state = 'delivered'), SUM(d.state = 'failed'),"
            " SUM(d.state = 'unsubscribed'),"
            " SUM(d.state = 'queued' AND d.chat_id IS NULL),"
            " SUM(d.state = 'queued' AND d.chat_id IS NOT NULL),"
            " MIN(CASE WHEN d.state = 'delivered' THEN d.finished_at END),"
            " MAX(CASE WHEN d.state = 'delivered' THEN d.finished_at END)"
            " FROM publications p LEFT JOIN deliveries d USING (update_id)"
            " WHERE ? IS NULL OR p.update_id = ?"
            " GROUP BY p.update_id ORDER BY p.published_at DESC, p.update_id",
            (update_id, update_id),
        ) as cursor:
            rows = await cursor.fetchall()
        statuses = []
        for row in rows:
            delivered = row[3] or 0
            first, last = row[8], row[9]
            rate = (delivered - 1) / (last - first) if delivered > 1 and last > first else None
            statuses.append(
                PublicationStatus(
                    update_id=row[0],
                    published_at=datetime.fromisoformat(row[1]),
                    queued=row[2],
                    delivered=delivered,
                    failed=row[4] or 0,
                    unsubscribed=row[5] or 0,
                    cancelled=row[6] or 0,
                    remaining=row[7] or 0,
                    rate=rate,
                )
            )
        return statuses


def unknown_update_error(updates_file: Path, update_id: str) -> PublishError:
    """The refusal for an id that is not in updates.yaml."""
    return PublishError(
        f'there is no update "{update_id}" in {updates_file}: check the id (it is the '
        "update's \"id:\" line), or add the update and run `faqbot check`"
    )


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
