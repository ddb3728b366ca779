"""The weekly digest for staff: when it is due, and what it says. No Telegram here.

The digest goes out once per ISO week, at the first check after the configured weekday and
hour (London time). The week is claimed in the database before anything is sent, so a
restart, or two checks racing, can never send the same week twice; the price is that a week
whose sending fails after the claim is not sent again (the failure is logged).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.stats import collect_stats
from bot.storage import Store
from bot.unanswered import cluster_questions, format_clusters

LONDON = ZoneInfo("Europe/London")
DIGEST_DAYS = 7
DIGEST_CLUSTERS = 5


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
    clusters = cluster_questions(await store.logged_questions(since))
    lines.append("")
    if clusters:
        lines.extend(format_clusters(clusters, DIGEST_DAYS, DIGEST_CLUSTERS))
    else:
        lines.append("No unanswered questions this week.")
    return "\n".join(lines)
