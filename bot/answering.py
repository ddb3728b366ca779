"""The one responder every front end shares: (user, text) in, `Reply` out. No I/O, no Telegram."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from bot.corpus import Corpus, Entry
from bot.index_cache import IndexCache
from bot.loader import load_corpus
from bot.matching import Matcher, Prepared, QuestionScores, ScoredEntry
from bot.reply import Candidate, Choice, Outcome, Reply
from bot.safeguarding import SafeguardingDetector
from bot.smalltalk import SmalltalkReplies
from bot.text import (
    TimeAsked,
    asks_about_now,
    asks_before_the_latest,
    normalise,
    time_asked,
    years_named,
)

# Longer than any real question; past this the resident is asked to shorten it (after the
# safeguarding check, which reads everything).
MAX_QUESTION_CHARACTERS = 4_096
MAX_CHOICES = 3
MAX_CANDIDATES = 5
# A one-word message is answered outright only if fewer entries than this use the word.
MIN_ENTRIES_FOR_VAGUE = 3
# With no year named and no word for the present ("now", "still", "latest"), an older version
# of a fact is chosen over the newest only when the question fits it by this many points more
# ("was Croydon rated inadequate?").
VERSION_LEAD = 5.0
# The matcher also learns wordings that are not answers: the safeguarding examples and the
# elsewhere topics. Their ids hold a colon, which no entry id may, so they never meet the FAQ's.
SAFEGUARDING_EXAMPLES = "safeguarding:examples"
ELSEWHERE = "elsewhere:"
# A message reads like the safeguarding examples when they are its best match, at this score or
# more and by this lead over the next. Chosen with benchmarks/wording_cv.py: without any trigger
# word, it catches 292 of the 326 examples when each is left out of the index, with 1 false
# alarm among the tuning set's 132 other messages (40 catches a few more, but gives one more
# of the tuning set's out-of-scope questions the emergency reply).
SAFEGUARDING_LIKENESS = 42.0
SAFEGUARDING_LEAD = 5.0
# A question asking why wants reasons. An entry none of whose wordings asks why gives facts
# ("What rating did Croydon get in 2017?"), so for such a question it loses this many points:
# "why did croydon fail ofsted in 2017" is for the findings, not the rating, however alike the
# words. Staff make an entry answer why-questions by giving it a wording that asks why.
# Measured on the development sets and the left-out wordings (benchmarks/README.md).
NO_REASONS_PENALTY = 30.0


@dataclass(frozen=True)
class Thresholds:
    """Scores (0 to 100) that decide between answering, suggesting and admitting ignorance.

    Chosen by benchmarks/wording_cv.py (FAQ wordings left out of the index, and the tuning
    set); the held-out figures are in benchmarks/README.md. The lead was 6 until the filed
    residents' sets were many: with each of the 54 left out in turn, 5 answered 17 more of
    their 5,106 questions right and 5 more wrongly, and took none that 6 answered right.
    """

    # The best entry is the answer when its score, less `unfamiliar_penalty` points for each
    # percent of the question's words the FAQ never uses, reaches `answer` and it leads the
    # runner-up by `lead`. Unfamiliar words ("adopt", "foster", "parking") are the mark of a
    # question about something else that happens to share "Croydon" and "children".
    answer: float = 50.0
    lead: float = 5.0
    unfamiliar_penalty: float = 0.1
    # Or, far ahead of every other entry, at a lower score: a resident's words around the
    # question ("my health visitor mentioned it") lower the score but not the lead.
    far_ahead_answer: float = 46.0
    far_ahead_lead: float = 12.0
    suggest: float = 42.0  # at or above, an entry is worth offering as "did you mean"
    choice_window: float = 12.0  # offer runners-up within this much of the best

    def answers(self, confidence: float, lead: float) -> bool:
        """Whether an entry this confident and this far ahead of the next is the answer."""
        return (confidence >= self.answer and lead >= self.lead) or (
            confidence >= self.far_ahead_answer and lead >= self.far_ahead_lead
        )


class Responder:
    """Turns a resident's message into a reply, from one loaded and indexed corpus."""

    def __init__(
        self,
        corpus: Corpus,
        *,
        thresholds: Thresholds = Thresholds(),
        matcher: Matcher | None = None,
        cache: IndexCache | None = None,
    ):
        self.corpus = corpus
        self.thresholds = thresholds
        not_answers = learned_non_answers(corpus)
        self._not_answers = {entry.id for entry in not_answers}
        self.matcher = matcher or Matcher(
            (*corpus.entries, *not_answers), corpus.synonyms, cache=cache
        )
        self._safeguarding = SafeguardingDetector(
            corpus.safeguarding, is_common_word=self.matcher.is_common_word
        )
        # Entries asked the way a concern is reported ("How do I report a concern about a
        # child?"): a message that matches one best gets the emergency reply, which has the
        # same numbers and more, even if its own words trigger nothing.
        self.reporting_entries = frozenset(
            entry.id for entry in corpus.entries if self._safeguarding.is_concern(entry.question)
        )
        self._smalltalk = SmalltalkReplies(corpus.smalltalk)
        self._topics: dict[str, list[Entry]] = {}
        for entry in corpus.entries:
            if entry.topic is not None:
                self._topics.setdefault(entry.topic, []).append(entry)
        for versions in self._topics.values():
            versions.sort(key=lambda entry: entry.as_of or date.min)
        # What a why-question costs each entry and learned non-answer (NO_REASONS_PENALTY).
        self._why_penalty = np.asarray(
            [
                0.0
                if entry.id in self._not_answers or any(map(_asks_why, entry.phrasings))
                else NO_REASONS_PENALTY / 100
                for entry in self.matcher.entries
            ]
        )
        # The years named by the entries' own questions ("... after the 2017 inspection?").
        self._question_years = {
            entry.id: frozenset(years)
            for entry in corpus.entries
            if (years := years_named(entry.question))
        }
        # Words staff wrote as a whole wording of an entry ("ilacs"): questions, not topics.
        # Not a resident's one-word message filed in asked.yaml ("ofsted = ?" under "What is
        # Ofsted?"): which entry a bare "Ofsted" wants is for staff to decide, not one resident.
        self._one_word_questions = frozenset(
            word_stem
            for entry in corpus.entries
            for phrasing in entry.staff_wordings
            if len(normalise(phrasing).split()) == 1
            for word_stem in self.matcher.prepare(phrasing).stems
        )

    @classmethod
    def from_directory(cls, directory: Path, cache: IndexCache | None = None) -> Responder:
        """Load, check and index `directory`; raises FaqError if the content has errors.

        `cache` keeps the trained index, for the next start from the same content.
        """
        return cls(load_corpus(directory), cache=cache)

    def respond(self, user: str, text: str) -> Reply:
        """The reply a resident gets to `text`. `user` is for front ends and logs, not matching."""
        return self._reply(text, self.matcher.score(text))

    def respond_many(self, texts: Sequence[str]) -> Iterator[Reply]:
        """The reply `respond` gives to each of `texts`, in order, for thousands at a time.

        The matcher scores the texts in batches (Matcher.score_many), a few times faster than
        one by one; the decision is `respond`'s own, so the replies are the same.
        """
        self._safeguarding.read_ahead(texts)
        for text, scores in zip(texts, self.matcher.score_many(texts), strict=True):
            yield self._reply(text, scores)

    def answers_and_suggestions(self, texts: Sequence[str]) -> Iterator[Reply | None]:
        """For each text, `respond_many`'s reply if it answers or suggests, else None.

        For `faqbot unanswered --retest`, which counts only those, over thousands of logged
        questions that mostly match nothing. A ceiling on a text's scores (a third of the work
        of the scores themselves: Matcher.score_ceilings) shows most of them can be neither an
        answer nor a suggestion, which both need an entry scoring at least the lowest of the
        `answer`, `far_ahead_answer` and `suggest` thresholds; only the others get their reply
        worked out, the very one `respond_many` gives. A single word is never passed over:
        when several entries use it, it gets choices whatever its score (_too_vague).
        """
        thresholds = self.thresholds
        # Under this, even rounded to 2 decimals as the decision rounds it, a score is too low.
        # A negative penalty for unfamiliar words could lift a lower score to an answer.
        too_low = min(thresholds.answer, thresholds.far_ahead_answer, thresholds.suggest) - 0.01
        may_pass_over = thresholds.unfamiliar_penalty >= 0
        answers = np.asarray(
            [n for n, e in enumerate(self.matcher.entries) if e.id not in self._not_answers],
            dtype=np.intp,
        )
        far_off = [
            may_pass_over and len(set(prepared.stems)) > 1 and ceiling * 100 < too_low
            for prepared, ceiling in self.matcher.score_ceilings(texts, answers, too_low / 100)
        ]
        replies = self.respond_many(
            [text for text, far in zip(texts, far_off, strict=True) if not far]
        )
        for far in far_off:
            reply = None if far else next(replies)
            helps = reply is not None and reply.outcome in (Outcome.ANSWER, Outcome.SUGGEST)
            yield reply if helps else None

    def _reply(self, text: str, scores: QuestionScores) -> Reply:
        """The reply to `text`, given what the matcher made of it."""
        messages = self.corpus.messages
        ranked = self._rank_by_topic(text, scores)
        answers, candidates = self._answers_among(ranked)
        if self._safeguarding.is_concern(text) or self._reads_like_concern(ranked):
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

        if _asks_why(text):
            # Ranked again for the answer, once the message is known not to be a concern.
            penalised = np.maximum(scores.entry_scores - self._why_penalty, 0.0)
            ranked = self._rank_by_topic(text, replace(scores, entry_scores=penalised))
            answers, candidates = self._answers_among(ranked)
        if not answers:
            return Reply(Outcome.UNANSWERED, messages.fallback, candidates=candidates)
        if self._too_vague(text, scores.prepared):
            # A word several entries use: any of the best three may be meant, however they score.
            offered = answers[:MAX_CHOICES]
        elif ranked[0].entry.id in self._not_answers:
            # Most like a question for another service: say so rather than guess an entry.
            return Reply(Outcome.UNANSWERED, messages.fallback, candidates=candidates)
        else:
            best = ranked[0]
            rivals = self._rivals(text, ranked)
            runner_up = rivals[0].score if rivals else 0.0
            thresholds = self.thresholds
            confidence = self._confidence(best, scores.prepared)
            if thresholds.answers(confidence, best.score - runner_up):
                return self._answer(best.entry, candidates)
            offered = [
                s
                for s in answers[:MAX_CHOICES]
                if s.score >= thresholds.suggest
                and best.score - s.score <= thresholds.choice_window
            ]
            if not offered:
                return Reply(Outcome.UNANSWERED, messages.fallback, candidates=candidates)
        choices = tuple(Choice(s.entry.id, s.entry.question) for s in offered)
        return Reply(
            Outcome.SUGGEST, messages.suggest_intro, choices=choices, candidates=candidates
        )

    def _rivals(self, text: str, ranked: list[ScoredEntry]) -> list[ScoredEntry]:
        """The entries after the best that may be what the message means instead.

        The next answers and elsewhere topics. Not the safeguarding examples: whether the
        message is a concern is settled before, so their likeness to a message that is not
        ("what is early help? my son's school mentioned it") is no rival meaning. Nor, when
        the message names a year, an entry whose question names only other years: "what is
        the council doing after the 2024 inspection" does not mean "What did the council do
        after the 2017 inspection?", however alike the words, as years do not count in them.
        """
        named = set(years_named(text))

        def about_other_years(entry: Entry) -> bool:
            years = self._question_years.get(entry.id)
            return bool(named) and years is not None and years.isdisjoint(named)

        return [
            s
            for s in ranked[1:]
            if s.entry.id != SAFEGUARDING_EXAMPLES and not about_other_years(s.entry)
        ]

    def _answers_among(
        self, ranked: list[ScoredEntry]
    ) -> tuple[list[ScoredEntry], tuple[Candidate, ...]]:
        """The entries of `ranked` that are answers, and the best of them as candidates."""
        answers = [s for s in ranked if s.entry.id not in self._not_answers]
        return answers, tuple(Candidate(s.entry.id, s.score) for s in answers[:MAX_CANDIDATES])

    def _reads_like_concern(self, ranked: list[ScoredEntry]) -> bool:
        """The message reads like the safeguarding examples, or like a way to report a concern."""
        if not ranked:
            return False
        best = ranked[0]
        if best.entry.id in self.reporting_entries:
            return best.score >= self.thresholds.suggest
        # A way to report a concern close behind, strong enough to answer were it first ("I want
        # to foster - and who do I tell about a family I'm worried about?"): a choice among
        # others would leave it to chance whether the resident sees the numbers.
        thresholds = self.thresholds
        if any(
            rival.entry.id in self.reporting_entries
            and rival.score >= thresholds.answer
            and best.score - rival.score <= thresholds.choice_window
            for rival in ranked[1:MAX_CHOICES]
        ):
            return True
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        return (
            best.entry.id == SAFEGUARDING_EXAMPLES
            and best.score >= SAFEGUARDING_LIKENESS
            and best.score - runner_up >= SAFEGUARDING_LEAD
        )

    def _confidence(self, best: ScoredEntry, prepared: Prepared) -> float:
        """The best entry's score, less a penalty for the share of words the FAQ never uses."""
        unfamiliar = self.matcher.unfamiliar_share(prepared)
        return best.score - self.thresholds.unfamiliar_penalty * 100 * unfamiliar

    def _too_vague(self, text: str, prepared: Prepared) -> bool:
        """A single word that several answers use ("Ofsted") is a topic, not a question.

        A year makes it one ("rating in 2020?"): it picks the version of a dated fact. So does
        staff writing the word as a wording of an entry ("ilacs" under "What is ILACS?").
        """
        stems = set(prepared.stems)
        return (
            len(stems) <= 1
            and not years_named(text)
            and stems.isdisjoint(self._one_word_questions)
            and self.matcher.entries_with_every_word(prepared) >= MIN_ENTRIES_FOR_VAGUE
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

    def _rank_by_topic(self, text: str, question: QuestionScores) -> list[ScoredEntry]:
        """Entries best first, each topic once, as the version the question points to.

        Versions of one fact ("the rating in 2017", "... in 2024") are one candidate, so a
        question about the rating is not "too close to call" between its own versions.
        """
        asked = time_asked(text)
        since = asked is not None and asked.relation == "since"
        if since:
            asked = None  # "better or worse since 2020": the time from then until now
        # "The inspection before the most recent one: what had changed since 2017?" names
        # the inspection; the year it is "since" only says what it is compared with.
        before_latest = asked is None and asks_before_the_latest(text)
        # A single word ("rating?") says nothing of when: it is about now.
        about_now = since or asks_about_now(text) or len(set(question.prepared.stems)) <= 1
        scores = question.entry_scores * 100
        order = np.argsort(-scores, kind="stable").tolist()
        points = scores.tolist()  # Python floats: quicker to read one at a time
        ranked: list[ScoredEntry] = []
        seen_topics: set[str] = set()
        answers = 0
        for index in order:
            entry = self.matcher.entries[index]
            if entry.topic in seen_topics:
                continue
            if entry.topic is not None:
                seen_topics.add(entry.topic)
                version = self._version(entry, asked, about_now, points, before_latest)
                if version is None:
                    continue  # none of the topic's versions speaks of the year asked about
                entry = version
            ranked.append(ScoredEntry(entry, round(points[index], 2)))
            answers += entry.id not in self._not_answers
            if answers > MAX_CANDIDATES:
                break
        return ranked

    def _version(
        self,
        best: Entry,
        asked: TimeAsked | None,
        about_now: bool,
        scores: list[float],
        before_latest: bool,
    ) -> Entry | None:
        """The version of `best`'s topic that the question is about; None if none can be.

        A year named picks the version in force then ("before 2024": the year before), and
        none if the year comes before them all ("the grades for each judgement in 2019": the
        first are of 2020), unless a later year named has one ("in care in 2016 and 2017": the
        first inspection was in 2017). "Since" a year ("better or worse since 2020") and a word
        for the present ("still", "latest") pick the newest; "the one before the latest" the
        version before it, if there is one.
        Otherwise the newest too, unless the question's own words clearly fit an older one
        ("was Croydon rated inadequate?").
        """
        versions = self._topics[best.topic or ""]
        if before_latest:
            return versions[-2] if len(versions) > 1 else None
        if asked is not None:
            first = asked.year - 1 if asked.relation == "before" else asked.year
            for year in (first, *asked.then):
                in_force = [v for v in versions if v.as_of and v.as_of.year <= year]
                if in_force:
                    return in_force[-1]
            return None
        newest = versions[-1]
        if about_now:
            return newest
        position = self.matcher.position
        if scores[position[best.id]] - scores[position[newest.id]] >= VERSION_LEAD:
            return best
        return newest


def _asks_why(text: str) -> bool:
    return "why" in normalise(text).split()


def learned_non_answers(corpus: Corpus) -> tuple[Entry, ...]:
    """The safeguarding examples and each elsewhere topic, as wordings for the matcher to learn.

    They are ranked with the entries, so a message is compared with what the FAQ answers and
    with what it must not answer in one go; the responder never answers with them.
    """
    learned = [
        _learned_entry(f"{ELSEWHERE}{topic.id}", topic.examples, topic.asked)
        for topic in corpus.elsewhere
    ]
    if corpus.safeguarding.learned:
        safeguarding = corpus.safeguarding
        learned.append(
            _learned_entry(SAFEGUARDING_EXAMPLES, safeguarding.examples, safeguarding.asked)
        )
    return tuple(learned)


def _learned_entry(entry_id: str, examples: Sequence[str], asked: Sequence[str]) -> Entry:
    """Staff's examples as the wordings, residents' filed messages as asked questions (which the
    matcher leaves out of its index when they say what an example says: NEAR_COPY_COSINE)."""
    wordings = (*examples, *asked)
    staff = len(examples) or 1
    return Entry(
        id=entry_id,
        question=wordings[0],
        answer="",
        alternatives=tuple(wordings[1:staff]),
        asked=tuple(wordings[staff:]),
    )
