"""The FAQ content as the rest of the program sees it, once loaded and checked.

Nothing here reads files: `bot.loader` turns the YAML under `faq/` into a `Corpus`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """Where something was written, so messages can send staff to the right line."""

    file: Path
    line: int  # counting from 1, as editors do
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in the content, in words staff can act on."""

    location: Location
    message: str
    is_warning: bool = False

    def __str__(self) -> str:
        kind = "warning" if self.is_warning else "error"
        return f"{self.location}: {kind}: {self.message}"


class FaqError(Exception):
    """The content has errors, so it cannot be loaded; `problems` says where and what to change."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One question-and-answer of the FAQ."""

    id: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    reviewed: date | None = None
    sources: tuple[str, ...] = ()
    # Entries that give the same fact at different times share a `topic`; `as_of` is the
    # date their facts speak of. "Now" resolves to the newest, a named year to that year's.
    topic: str | None = None
    as_of: date | None = None
    location: Location | None = field(default=None, compare=False)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question and every alternative: all the ways a resident may ask for this entry."""
        return (self.question, *self.alternatives)


@dataclass(frozen=True)
class Synonym:
    """Words residents use (`variants`) for a word the FAQ uses (`canonical`)."""

    canonical: str
    variants: tuple[str, ...]
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SafeguardingRules:
    """When to answer with the emergency contacts, and what to say."""

    reply: str
    # Any one of these phrases alone triggers the reply ("report a concern", "child is in danger").
    phrases: tuple[str, ...]
    # A word for a child together with a word for harm in the same message also triggers it.
    child_words: tuple[str, ...]
    harm_words: tuple[str, ...]
    # Whole messages about a child at risk, in residents' words. The matcher learns from them, so
    # a message worded unlike any phrase ("the baby upstairs never stops screaming") still
    # gets the emergency reply when it reads like these.
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class ElsewhereTopic:
    """Questions this FAQ does not answer but residents ask (bins, school places, fostering).

    The matcher learns them as it learns entries, so a question about fostering that shares
    "croydon" and "children" with an entry is recognised as out of scope instead of answered.
    """

    id: str
    examples: tuple[str, ...]
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SmalltalkRule:
    """Greetings, thanks and the like: a short friendly reply, never an FAQ answer."""

    patterns: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class Messages:
    """Wording residents see that is not an FAQ answer. Staff edit it in `faq/messages.yaml`."""

    fallback: str  # when the FAQ has no answer: where to ask instead
    suggest_intro: str  # above the "did you mean" choices
    empty: str  # when the message has no words in it
    too_long: str  # when the message is far longer than a question


@dataclass(frozen=True)
class Corpus:
    """Everything the answering core needs, checked and ready to index."""

    entries: tuple[Entry, ...]
    synonyms: tuple[Synonym, ...]
    safeguarding: SafeguardingRules
    smalltalk: tuple[SmalltalkRule, ...]
    messages: Messages
    elsewhere: tuple[ElsewhereTopic, ...] = ()
    # Non-fatal findings of the loader (for example entries not reviewed for a year).
    warnings: tuple[Problem, ...] = ()
    # Changes whenever any file changes; recorded with logged questions in later issues.
    version: str = ""

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, if there is one."""
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        return None
