"""The council's progress updates: what `faq/updates.yaml` holds, for /updates and publishing.

The file is checked by the loader (bot.loader.read_updates), with the same file:line messages as
`faqbot check`. An update marked `published: true` was told to residents before the bot sent
alerts, so it is listed in /updates but can never be published as an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

UPDATES_FILE = "updates.yaml"


@dataclass(frozen=True)
class ProgressUpdate:
    id: str
    date: date
    title: str
    summary: str
    link: str | None = None
    published: bool = False  # already told to residents some other way: never alerted


def load_updates(faq_dir: Path) -> list[ProgressUpdate]:
    """Every update in the folder's updates.yaml, in file order; raises FaqError on mistakes."""
    # Imported here: the loader builds ProgressUpdate, so it imports this module.
    from bot.loader import read_updates

    return read_updates(faq_dir / UPDATES_FILE)


def latest_updates(faq_dir: Path, limit: int = 5) -> list[ProgressUpdate]:
    """The newest `limit` progress updates, newest first; [] when there are none."""
    updates = sorted(load_updates(faq_dir), key=lambda update: update.date, reverse=True)
    return updates[:limit]


def find_update(faq_dir: Path, update_id: str) -> ProgressUpdate | None:
    """The update with this id, or None when updates.yaml has none."""
    return next((update for update in load_updates(faq_dir) if update.id == update_id), None)
