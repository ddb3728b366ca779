"""What the answering core gives back to a front end (Telegram, the terminal chat, `faqbot ask`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.corpus import Entry, Link


class Outcome(StrEnum):
    ANSWER = "answer"  # confident: the FAQ entry's answer
    SUGGEST = "suggest"  # unsure: "did you mean" choices
    UNANSWERED = "unanswered"  # the FAQ has nothing close: where to ask instead
    SMALLTALK = "smalltalk"  # hello, thanks: a friendly line, never logged as unanswered
    SAFEGUARDING = "safeguarding"  # a child may be at risk: the emergency contacts, first


@dataclass(frozen=True)
class Candidate:
    """An FAQ entry the matcher considered, with its score from 0 to 100."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class Choice:
    """One "did you mean" option: the entry and the human question shown on the button."""

    entry_id: str
    question: str


@dataclass(frozen=True)
class Reply:
    """The answer to one message, in a form every front end can render.

    `body` is plain text; `links` are shown after it ("Source: ..."). `text` is exactly what a
    plain-text front end prints. The Telegram front end formats `body` and `links` as HTML itself.
    """

    outcome: Outcome
    body: str
    entry: Entry | None = None
    links: tuple[Link, ...] = ()
    choices: tuple[Choice, ...] = ()
    candidates: tuple[Candidate, ...] = ()

    @property
    def entry_id(self) -> str | None:
        return self.entry.id if self.entry is not None else None

    @property
    def text(self) -> str:
        parts = [self.body.strip()]
        if self.choices:
            parts.append("\n".join(f"{n}. {c.question}" for n, c in enumerate(self.choices, 1)))
        if self.links:
            parts.append("\n".join(f"Source: {link.title} - {link.url}" for link in self.links))
        return "\n\n".join(part for part in parts if part)
