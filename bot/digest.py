"""The weekly digest for staff: when it is due, what it says, and its delivery to each admin.

No Telegram here: the front end passes `send(admin_id, text)`, which raises if the message did
not go. The digest goes out once per ISO week, at the first check after the configured weekday
and hour (London time), and is claimed, sent, then marked, one admin at a time:

- The week is claimed in `digests_sent`. The claim's time is the end of the week the digest
  covers, so a copy sent later, after a failure, speaks of the same week.
- An admin's copy is taken, by one statement that only one sender can win, for `SEND_LEASE`;
  a second bot, or a check racing this one, leaves that admin alone meanwhile.
- Once Telegram has taken the copy it is marked delivered, and never sent again. A failure is
  recorded and retried at a later check, after a pause that doubles each time (at most
  `LONGEST_PAUSE`), for as long as the week lasts: a digest a week late is replaced by the next.
- After a crash or a restart, only the admins not yet marked get it (an admin whose send was
  cut short, once its lease has run out). An admin gets a week twice only if the bot stops
  between Telegram taking the copy and the mark a moment later: no sender can know then
  whether the message went.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.event_log import log_event
from bot.stats import collect_stats
from bot.storage import Store
from bot.unanswered import cluster_questions, format_clusters

LONDON = ZoneInfo("Europe/London")
DIGEST_DAYS = 7
DIGEST_CLUSTERS = 5
# An admin's copy is left to the sender that took it this long: far more than a send takes.
SEND_LEASE = timedelta(minutes=5)
# After a failed send, the pause before the next try: doubled each time, up to the longest.
FIRST_PAUSE = timedelta(minutes=1)
LONGEST_PAUSE = timedelta(hours=1)

# Sends the digest's text to one admin; raises if it did not go.
SendDigest = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class DigestDelivery:
    """What one check sent: the week, and the admins it reached and those it failed."""

    week: str
    delivered: tuple[int, ...]
    failed: tuple[int, ...]


def due_week(now: datetime, weekday: int | None, hour: int) -> str | None:
    """The ISO week ("2025-W07") whose digest is due at `now`, or None if not yet this week."""
    if weekday is None:
        return None
    local = now.astimezone(LONDON)
    year, week, today = local.isocalendar()
    if (today, local.hour) < (weekday, hour):
        return None
    return f"{year}-W{week:02d}"


async def digest_text(store: Store, now: datetime, entry_ids: Sequence[str] | None) -> str:
    """The week's top unanswered questions and figures, as plain text."""
    since = now - timedelta(days=DIGEST_DAYS)
    stats = await collect_stats(store, since, DIGEST_DAYS, entry_ids)
    outcomes = stats.outcomes
    lines = [
        f"Weekly FAQ bot digest, week to {now.astimezone(LONDON):%d %B %Y}",
        "",
        f"{stats.asked} questions: {outcomes['answer']} answered, {outcomes['suggest']} offered "
        f"choices ({outcomes['choice']} resolved), {outcomes['unanswered']} unanswered, "
        f"{outcomes['safeguarding']} safeguarding replies.",
    ]
    not_helpful = sum(vote.not_helpful for vote in stats.votes)
    helpful = sum(vote.helpful for vote in stats.votes)
    lines.append(f"Votes: {helpful} helpful, {not_helpful} not helpful.")
    # Not those asked after `now`: a copy sent again later in the week says the same.
    questions = [q for q in await store.logged_questions(since) if q.asked_at <= now]
    clusters = cluster_questions(questions)
    lines.append("")
    if clusters:
        lines.extend(format_clusters(clusters, DIGEST_DAYS, DIGEST_CLUSTERS))
    else:
        lines.append("No unanswered questions this week.")
    return "\n".join(lines)


async def send_digest_if_due(
    store: Store,
    now: datetime,
    *,
    weekday: int | None,
    hour: int,
    admins: Collection[int],
    entry_ids: Sequence[str] | None,
    send: SendDigest,
) -> DigestDelivery | None:
    """Send this week's digest to each admin who has not had it yet; None if none was due."""
    week = due_week(now, weekday, hour)
    if week is None or not admins:
        return None
    claimed_at = await _claim_week(store, week, admins, now)
    if claimed_at is None:
        return None  # every admin has had this week's
    waiting = await _waiting_admins(store, week, admins, now)
    if not waiting:
        return None
    text = await digest_text(store, claimed_at, entry_ids)
    delivered: list[int] = []
    failed: list[int] = []
    for admin in waiting:
        if not await _take(store, week, admin, now):
            continue  # another sender has it
        try:
            await send(admin, text)
        except Exception as error:  # whatever the front end raises: tried again later
            await _record_failure(store, week, admin, now, f"{type(error).__name__}: {error}")
            log_event("digest", logging.WARNING, week=week, outcome=type(error).__name__)
            failed.append(admin)
        else:
            await _mark_delivered(store, week, admin, now)
            delivered.append(admin)
    await _complete_if_everyone_has_it(store, week, admins, now)
    log_event("digest", week=week, outcome="sent", delivered=len(delivered), failed=len(failed))
    return DigestDelivery(week, tuple(delivered), tuple(failed))


async def _claim_week(
    store: Store, week: str, admins: Collection[int], now: datetime
) -> datetime | None:
    """Claim `week` (or find its claim) and give each admin a delivery; None if complete.

    Admins added to FAQBOT_ADMINS during the week get it too, until it is complete.
    """
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO digests_sent (week, sent_at) VALUES (?, ?) ON CONFLICT (week) DO NOTHING",
            (week, _timestamp(now)),
        )
        async with db.execute(
            "SELECT sent_at, completed_at FROM digests_sent WHERE week = ?", (week,)
        ) as cursor:
            [(claimed_at, completed_at)] = await cursor.fetchall()
        if completed_at is not None:
            return None
        await db.executemany(
            "INSERT INTO digest_deliveries (week, admin_id) VALUES (?, ?)"
            " ON CONFLICT (week, admin_id) DO NOTHING",
            [(week, admin) for admin in sorted(admins)],
        )
    return datetime.fromisoformat(claimed_at)


async def _waiting_admins(
    store: Store, week: str, admins: Collection[int], now: datetime
) -> list[int]:
    """The admins without this week's digest whose next try is due."""
    async with store.db.execute(
        "SELECT admin_id FROM digest_deliveries WHERE week = ? AND delivered_at IS NULL"
        " AND (retry_at IS NULL OR retry_at <= ?) ORDER BY admin_id",
        (week, _timestamp(now)),
    ) as cursor:
        rows = await cursor.fetchall()
    return [row[0] for row in rows if row[0] in admins]


async def _take(store: Store, week: str, admin: int, now: datetime) -> bool:
    """Take an admin's copy for `SEND_LEASE`; False if another sender holds it or it is sent."""
    async with store.transaction() as db:
        cursor = await db.execute(
            "UPDATE digest_deliveries SET retry_at = ? WHERE week = ? AND admin_id = ?"
            " AND delivered_at IS NULL AND (retry_at IS NULL OR retry_at <= ?)",
            (_timestamp(now + SEND_LEASE), week, admin, _timestamp(now)),
        )
    return cursor.rowcount == 1


async def _mark_delivered(store: Store, week: str, admin: int, now: datetime) -> None:
    async with store.transaction() as db:
        await db.execute(
            "UPDATE digest_deliveries SET delivered_at = ?, retry_at = NULL, error = NULL"
            " WHERE week = ? AND admin_id = ?",
            (_timestamp(now), week, admin),
        )


async def _record_failure(store: Store, week: str, admin: int, now: datetime, error: str) -> None:
    async with store.transaction() as db:
        async with db.execute(
            "SELECT attempts FROM digest_deliveries WHERE week = ? AND admin_id = ?",
            (week, admin),
        ) as cursor:
            [(attempts,)] = await cursor.fetchall()
        pause = min(FIRST_PAUSE * 2 ** min(attempts, 16), LONGEST_PAUSE)
        await db.execute(
            "UPDATE digest_deliveries SET attempts = ?, retry_at = ?, error = ?"
            " WHERE week = ? AND admin_id = ?",
            (attempts + 1, _timestamp(now + pause), error[:300], week, admin),
        )


async def _complete_if_everyone_has_it(
    store: Store, week: str, admins: Collection[int], now: datetime
) -> None:
    placeholders = ", ".join("?" for _ in admins)
    async with store.transaction() as db:
        await db.execute(
            "UPDATE digests_sent SET completed_at = ? WHERE week = ? AND completed_at IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM digest_deliveries WHERE week = ?"
            f" AND delivered_at IS NULL AND admin_id IN ({placeholders}))",
            (_timestamp(now), week, week, *sorted(admins)),
        )


def _timestamp(moment: datetime) -> str:
    """UTC, to the second, as the store writes times: they compare correctly as text."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
