"""The council's progress updates, read from `faq/updates.yaml` when staff have published any.

A minimal reader for /updates; the progress-updates feature (alerts, `faqbot publish`) will own
this file's checks. A missing file means nothing has been published yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot.corpus import FaqError, Location, Problem

UPDATES_FILE = "updates.yaml"


@dataclass(frozen=True)
class ProgressUpdate:
    id: str
    date: date
    title: str
    summary: str
    link: str | None = None


def latest_updates(faq_dir: Path, limit: int = 5) -> list[ProgressUpdate]:
    """The newest `limit` progress updates, newest first; [] when none are published."""
    path = faq_dir / UPDATES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise FaqError(
            [Problem(Location(path, line), f"the YAML cannot be read: {error}")]
        ) from None
    items = document.get("updates") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise FaqError(
            [Problem(Location(path, 1), 'the file must start with "updates:" and a list under it')]
        )
    updates = [_progress_update(path, number, item) for number, item in enumerate(items, 1)]
    updates.sort(key=lambda update: update.date, reverse=True)
    return updates[:limit]


def _progress_update(path: Path, number: int, item: object) -> ProgressUpdate:
    def problem(message: str) -> FaqError:
        return FaqError([Problem(Location(path, 1), f"update number {number}: {message}")])

    if not isinstance(item, dict):
        raise problem("each update needs id, date, title and summary")
    missing = [key for key in ("id", "date", "title", "summary") if not item.get(key)]
    if missing:
        raise problem(f"add {', '.join(missing)}")
    published = item["date"]
    if not isinstance(published, date):
        raise problem(f"the date {published!r} must be written YYYY-MM-DD")
    link = item.get("link")
    return ProgressUpdate(
        id=str(item["id"]),
        date=published,
        title=str(item["title"]).strip(),
        summary=str(item["summary"]).strip(),
        link=str(link) if link else None,
    )
