"""Browsing the FAQ by topic tag, a page at a time, for front ends that show menus."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.corpus import Corpus, Entry

# Entries without tags are still reachable when browsing.
UNTAGGED = "other"

Item = TypeVar("Item")


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: tuple[Item, ...]
    number: int  # counting from 0
    count: int  # how many pages there are (at least 1)

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number < self.count - 1


def page_of(items: Sequence[Item], number: int, size: int) -> Page[Item]:
    """Page `number` of `items`, clamped to the pages there are (a stale button still works)."""
    count = max(1, -(-len(items) // size))
    number = min(max(number, 0), count - 1)
    return Page(tuple(items[number * size : (number + 1) * size]), number, count)


def topic_tags(corpus: Corpus) -> list[str]:
    """Every tag used in the FAQ, alphabetically, with `other` last when some entries have none."""
    tags = sorted({tag for entry in corpus.entries for tag in entry.tags})
    if any(not entry.tags for entry in corpus.entries):
        tags.append(UNTAGGED)
    return tags


def entries_tagged(corpus: Corpus, tag: str) -> list[Entry]:
    """The entries under one tag, in the order the FAQ lists them."""
    if tag == UNTAGGED:
        return [entry for entry in corpus.entries if not entry.tags or tag in entry.tags]
    return [entry for entry in corpus.entries if tag in entry.tags]
