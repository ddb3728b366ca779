"""The one responder every front end shares: (user, text) in, `Reply` out. No I/O, no Telegram."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.corpus import Corpus, Entry
from bot.loader import load_corpus
from bot.matching import Matcher, ScoredEntry
from bot.reply import Candidate, Choice, Outcome, Reply
from bot.safeguarding import SafeguardingDetector
from bot.smalltalk import SmalltalkReplies
from bot.text import normalise, years_named

# Longer than any real question; past this the resident is asked to shorten it (after the
# safeguarding check, which reads everything).
MAX_QUESTION_CHARACTERS = 4_096
MAX_CHOICES = 3
MAX_CANDIDATES = 5
# A one-word message is answered outright only if fewer entries than this use the word.
MIN_ENTRIES_FOR_VAGUE = 3


@dataclass(frozen=True)
class Thresholds:
    """Scores (0 to 100) that decide between answering, suggesting and admitting ignorance.

    Chosen by benchmarks/tune_matcher.py on the tuning sets; the held-out figures are in
    benchmarks/README.md.
    """

    answer: float = 62.0  # at or above, with a clear lead, the best entry is the answer
    lead: float = 4.0  # the best must beat the runner-up by this much to answer outright
    suggest: float = 50.0  # at or above, an entry is worth offering as "did you mean"
    choice_window: float = 12.0  # offer runners-up within this much of the best


class Responder:
    """Turns a resident's message into a reply, from one loaded and indexed corpus."""

    def __init__(
        self,
        corpus: Corpus,
        *,
        thresholds: Thresholds = Thresholds(),
        matcher: Matcher | None = None,
    ):
        self.corpus = corpus
        self.thresholds = thresholds
        self.matcher = matcher or Matcher(corpus.entries, corpus.synonyms)
        self._safeguarding = SafeguardingDetector(
            corpus.safeguarding, is_common_word=self.matcher.is_common_word
        )
        self._smalltalk = SmalltalkReplies(corpus.smalltalk)
        self._topics: dict[str, list[Entry]] = {}
        for entry in corpus.entries:
            if entry.topic is not None:
                self._topics.setdefault(entry.topic, []).append(entry)
        for versions in self._topics.values():
            versions.sort(key=lambda entry: entry.as_of or date.min)

    @classmethod
    def from_directory(cls, directory: Path) -> Responder:
        """Load, check and index `directory`; raises FaqError if the content has errors."""
        return cls(load_corpus(directory))

    def respond(self, user: str, text: str) -> Reply:
        """The reply a resident gets to `text`. `user` is for front ends and logs, not matching."""
        messages = self.corpus.messages
        ranked = self._rank_by_topic(text)
        candidates = tuple(Candidate(s.entry.id, s.score) for s in ranked[:MAX_CANDIDATES])
        if self._safeguarding.is_concern(text):
            return Reply(
                Outcome.SAFEGUARDING, self.corpus.safeguarding.reply, candidates=candidates
            )
        if not normalise(text):
            return Reply(Outcome.UNANSWERED, messages.empty)
        if len(text) > MAX_QUESTION_CHARACTERS:
            return Reply(Outcome.UNANSWERED, messages.too_long, candidates=candidates)
        smalltalk = self._smalltalk.reply_to(text)
        if smalltalk is not None:
            return Reply(Outcome.SMALLTALK, smalltalk, candidates=candidates)

        if not ranked or ranked[0].score < self.thresholds.suggest:
            return Reply(Outcome.UNANSWERED, messages.fallback, candidates=candidates)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        is_clear = (
            best.score >= self.thresholds.answer and best.score - runner_up >= self.thresholds.lead
        )
        is_vague = self._too_vague(text)
        if is_clear and not is_vague:
            return self._answer(best.entry, candidates)
        # A vague message gets the three best, however far apart: any of them may be meant.
        window = float("inf") if is_vague else self.thresholds.choice_window
        choices = tuple(
            Choice(s.entry.id, s.entry.question)
            for s in ranked[:MAX_CHOICES]
            if s.score >= self.thresholds.suggest and best.score - s.score <= window
        )
        return Reply(
            Outcome.SUGGEST, messages.suggest_intro, choices=choices, candidates=candidates
        )

    def _too_vague(self, text: str) -> bool:
        """A single word that several answers use ("Ofsted") is a topic, not a question."""
        prepared = self.matcher.prepare(text)
        return (
            len(set(prepared.stems)) <= 1
            and self.matcher.entries_with_every_word(text) >= MIN_ENTRIES_FOR_VAGUE
        )

    def answer_entry(self, entry_id: str) -> Reply:
        """The answer of one entry, as when a resident presses a "did you mean" choice."""
        entry = self.corpus.entry(entry_id)
        if entry is None:
            return Reply(Outcome.UNANSWERED, self.corpus.messages.fallback)
        return self._answer(entry, (Candidate(entry.id, 100.0),))

    @staticmethod
    def _answer(entry: Entry, candidates: tuple[Candidate, ...]) -> Reply:
        return Reply(
            Outcome.ANSWER, entry.answer, entry=entry, links=entry.links, candidates=candidates
        )

    def _rank_by_topic(self, text: str) -> list[ScoredEntry]:
        """Entries best first, each topic once, as the version the question's time points to.

        Versions of one fact ("the rating in 2017", "... in 2024") are one candidate, so a
        question about the rating is not "too close to call" between its own versions.
        """
        years = years_named(text)
        ranked: list[ScoredEntry] = []
        seen_topics: set[str] = set()
        for scored in self.matcher.ranked(text):
            topic = scored.entry.topic
            if topic is None:
                ranked.append(scored)
            elif topic not in seen_topics:
                seen_topics.add(topic)
                ranked.append(ScoredEntry(_version_for(self._topics[topic], years), scored.score))
            if len(ranked) > MAX_CANDIDATES:
                break
        return ranked


def _version_for(versions: Sequence[Entry], years: list[int]) -> Entry:
    """The newest version, or for the first year named the one in force then (else the earliest)."""
    if not years:
        return versions[-1]
    in_force = [entry for entry in versions if entry.as_of and entry.as_of.year <= years[0]]
    return in_force[-1] if in_force else versions[0]
