"""The figures staff see in `faqbot stats`, `/stats` and the weekly digest.

Built from the daily counts and the votes: numbers only, nothing a resident typed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage import Store, VoteCount

# Outcomes of a resident's message (bot.reply.Outcome); "choice" and "browse" are buttons.
MESSAGE_OUTCOMES = ("answer", "suggest", "unanswered", "safeguarding", "smalltalk")
SHOWN = 10


@dataclass(frozen=True)
class Stats:
    days: int
    outcomes: Counter[str]
    asked_per_entry: Counter[str]  # answered outright, or chosen from "did you mean"
    votes: tuple[VoteCount, ...]
    never_asked: tuple[str, ...] | None  # None: the FAQ could not be read

    @property
    def asked(self) -> int:
        return sum(self.outcomes[outcome] for outcome in MESSAGE_OUTCOMES)

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "asked": self.asked,
            **{outcome: self.outcomes[outcome] for outcome in MESSAGE_OUTCOMES},
            "suggestions_resolved": self.outcomes["choice"],
            "votes": [
                {"entry": v.entry_id, "helpful": v.helpful, "not_helpful": v.not_helpful}
                for v in self.votes
            ],
            "asked_most": [
                {"entry": entry, "count": count}
                for entry, count in self.asked_per_entry.most_common()
            ],
            "never_asked": list(self.never_asked) if self.never_asked is not None else None,
        }


async def collect_stats(
    store: Store, since: datetime, days: int, entry_ids: Sequence[str] | None
) -> Stats:
    """The figures from `since` on; `entry_ids` (the FAQ's) tell which were never asked."""
    outcomes: Counter[str] = Counter()
    per_entry: Counter[str] = Counter()
    for count in await store.outcome_counts(since.date()):
        outcomes[count.outcome] += count.count
        if count.entry_id and count.outcome in ("answer", "choice"):
            per_entry[count.entry_id] += count.count
    never = (
        tuple(entry for entry in entry_ids if entry not in per_entry)
        if entry_ids is not None
        else None
    )
    votes = tuple(await store.vote_counts(since))
    return Stats(days, outcomes, per_entry, votes, never)


def format_stats(stats: Stats) -> list[str]:
    outcomes = stats.outcomes
    lines = [
        f"In the last {stats.days} days: {stats.asked} questions asked.",
        f"  answered outright    {outcomes['answer']:>7}",
        f"  offered choices      {outcomes['suggest']:>7}   "
        f"({outcomes['choice']} resolved by pressing one)",
        f"  unanswered           {outcomes['unanswered']:>7}",
        f"  safeguarding replies {outcomes['safeguarding']:>7}",
        f"  greetings and thanks {outcomes['smalltalk']:>7}",
    ]
    lines.append("")
    if stats.asked_per_entry:
        lines.append("Entries asked most:")
        for entry, count in stats.asked_per_entry.most_common(SHOWN):
            lines.append(f"  {count:>7}  {entry}")
    else:
        lines.append("No entry was asked for.")
    lines.append("")
    if stats.votes:
        lines.append("Votes (helpful / not helpful):")
        for vote in stats.votes[:SHOWN]:
            lines.append(f"  {vote.helpful:>4} / {vote.not_helpful:<4} {vote.entry_id}")
    else:
        lines.append("No votes.")
    if stats.never_asked is not None:
        lines.append("")
        if stats.never_asked:
            lines.append(f"Never asked ({len(stats.never_asked)}): " + ", ".join(stats.never_asked))
        else:
            lines.append("Every entry was asked at least once.")
    return lines
