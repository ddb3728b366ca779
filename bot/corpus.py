"""The FAQ content as the rest of the program sees it, once loaded and checked.

Nothing here reads files: `bot.loader` turns the YAML under `faq/` into a `Corpus`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

# The id that files residents' messages under the emergency reply ("asked:" sections).
ASKED_SAFEGUARDING = "safeguarding"


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
    # Where each alternative is written, in order, for warnings that name its own line.
    alternative_locations: tuple[Location, ...] = field(default=(), compare=False)
    # Residents' questions that staff filed under this entry ("asked:" sections): learnt
    # like alternatives, but kept apart, as residents' words are not the FAQ's own.
    asked: tuple[str, ...] = ()

    @property
    def staff_wordings(self) -> tuple[str, ...]:
        """The FAQ's own wordings of this entry: its question and alternatives."""
        return (self.question, *self.alternatives)

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Every way a resident may ask for this entry: staff's wordings, asked questions."""
        return (*self.staff_wordings, *self.asked)


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
    # Residents' messages filed under "safeguarding" in an "asked:" section, learnt the same way.
    asked: tuple[str, ...] = ()
    # Phrases that say no child is at risk ("nobody is in danger"): their words trigger nothing,
    # so a resident who says so is not sent the emergency reply for saying it. The rest of the
    # message still counts.
    reassurances: tuple[str, ...] = ()

    @property
    def learned(self) -> tuple[str, ...]:
        return (*self.examples, *self.asked)


@dataclass(frozen=True)
class ElsewhereTopic:
    """Questions this FAQ does not answer but residents ask (bins, school places, fostering).

    The matcher learns them as it learns entries, so a question about fostering that shares
    "croydon" and "children" with an entry is recognised as out of scope instead of answered.
    """

    id: str
    examples: tuple[str, ...]
    location: Location | None = field(default=None, compare=False)
    # Residents' questions filed under this topic in an "asked:" section, learnt the same way.
    asked: tuple[str, ...] = ()

    @property
    def learned(self) -> tuple[str, ...]:
        return (*self.examples, *self.asked)


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

    def newest_versions(self) -> dict[str, Entry]:
        """Each topic's newest version: the one that answers "now"."""
        newest: dict[str, Entry] = {}
        for entry in self.entries:
            if entry.topic is not None:
                held = newest.get(entry.topic)
                if held is None or (entry.as_of or date.min) > (held.as_of or date.min):
                    newest[entry.topic] = entry
        return newest

    def with_asked(self, asked: Mapping[str, Sequence[str]]) -> Corpus:
        """This content with residents' questions filed, by the id each is filed under.

        An id is an entry's, a topic's (its newest version's), an elsewhere topic's or
        ASKED_SAFEGUARDING; an id that is none of these is an error the loader reports first.
        """
        newest = self.newest_versions()
        by_id: dict[str, list[str]] = {}
        for target, questions in asked.items():
            target = newest[target].id if target in newest and not self.entry(target) else target
            by_id.setdefault(target, []).extend(questions)
        return replace(
            self,
            entries=tuple(
                replace(entry, asked=(*entry.asked, *by_id[entry.id]))
                if entry.id in by_id
                else entry
                for entry in self.entries
            ),
            safeguarding=replace(
                self.safeguarding,
                asked=(*self.safeguarding.asked, *by_id.get(ASKED_SAFEGUARDING, ())),
            ),
            elsewhere=tuple(
                replace(topic, asked=(*topic.asked, *by_id[topic.id]))
                if topic.id in by_id
                else topic
                for topic in self.elsewhere
            ),
        )

    def without_asked(self) -> Corpus:
        """This content as staff wrote it, with no residents' questions filed."""
        return replace(
            self,
            entries=tuple(replace(entry, asked=()) for entry in self.entries),
            safeguarding=replace(self.safeguarding, asked=()),
            elsewhere=tuple(replace(topic, asked=()) for topic in self.elsewhere),
        )
