"""Scores a question against every FAQ entry's question and alternatives.

Signals per phrasing, each measured on the evaluation sets (benchmarks/README.md):
- embedding cosine (WordLlama): finds paraphrases that share no words;
- idf-weighted word overlap on stems, both ways: how much of the question the phrasing covers
  and how much of the phrasing the question covers, so rare words ("Camden") count most;
- rapidfuzz `token_sort_ratio` on the cleaned text: near-copies and word-order changes; for a
  long message, `token_set_ratio` too against its best wordings, the higher counting: a
  wording inside a story.
They are fused as a weighted sum per phrasing. An entry's score, 0 to 100, blends its best
phrasing's with the classifier's (bot/classifier.py), which learns from all the wordings of
every entry at once; residents' filed questions that say what a wording of their entry
already says are left to the classifier alone (NEAR_COPY_COSINE). Everything that does not
depend on the question is computed once, here.

Each step takes a batch of questions: one for a resident's message, thousands when staff
re-test the question log (`score_many`), with the same arithmetic for each question either way.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from rapidfuzz import fuzz, process

from bot.classifier import WordingClassifier
from bot.corpus import Entry, Synonym
from bot.embedding import Embedder, shared_embedder
from bot.index_cache import IndexCache
from bot.text import Vocabulary, normalise, stem, without_years

# Words that carry no meaning for matching. Question words ("who", "when", "how") are kept:
# they separate "who leads" from "what is".
STOP_WORDS = frozenset(
    "a an the of to in on at for and or but is are was were be been being am do does did "
    "it its this that these those i me my we our you your they them their he she his her "
    "please can could would should will shall may might must there here about with from by as "
    "just so if then than too very also any some hi hello hey thanks thank pls plz".split()
)


# Phrasings given the (costly) fuzzy signal: the best this many on the other signals.
FUZZY_SHORTLIST = 64
# A message of this many words or more is longer than 99 in 100 of the Croydon FAQ's wordings
# (7 words at the median): a question told inside a story ("we've just moved here with two
# kids and a friend said ... is that still true?"). Its fuzzy signal is also rapidfuzz's
# token_set_ratio, which scores a wording whose words the message holds as a near-copy, where
# token_sort_ratio counts every word of the story against it. Shorter messages keep
# token_sort_ratio alone: token_set_ratio gives "ofsted" 100 against any wording with "ofsted".
LONG_MESSAGE_WORDS = 12
# Of a long message's fuzzy shortlist, token_set_ratio goes to this many: the best on every
# signal with token_sort_ratio in. It costs some 4 microseconds a pair against a story of
# 16 words, so all 64 took a long message's time up by half; the best 16 answer as well as
# all 64 on the evaluation sets (benchmarks/README.md, "Seventh session").
STORY_SHORTLIST = 16
# Questions scored together by `score_many`: enough to share the costly steps (one embedding
# call, one fuzzy call), few enough that a batch's arrays stay small however many questions
# there are: its signals (4 per phrasing, 8 bytes each) take at most BATCH_BYTES, 6 MB for
# 250 questions against the Croydon FAQ's 757 phrasings; fewer questions for a larger FAQ.
# So few also leaves each question's cleaned text in normalise's cache (bot/text.py) when
# the responder looks at it again.
BATCH_SIZE = 250
BATCH_BYTES = 8_000_000

SIGNALS = ("embedding", "question_coverage", "phrasing_coverage", "fuzzy")
# A resident's question filed under an entry (faq/asked.yaml) is left out of the per-wording
# signals when its embedding is at least this close (cosine) to a wording of the same entry
# kept before it: the two score alike against most messages, and every wording kept is read
# for every message. At 0.9, a fifth of the 8,857 wordings go, each question takes a tenth
# less time, and as many new residents' questions are answered right (benchmarks/README.md,
# "Ninth session"). The classifier still learns from every one. None keeps them all.
NEAR_COPY_COSINE: float | None = 0.9

T = TypeVar("T")

# A word the FAQ does not use is read as the FAQ word it is this similar to (rapidfuzz's ratio).
SPELLING_CUTOFF = 80
# Corrections remembered; past this many distinct words they are forgotten and found again.
MAX_CORRECTIONS_KEPT = 100_000
# `score_ceilings` adds this to a score for the rounding of float64 sums and of float32
# classifier scores: both err by less than 1e-7 on scores of at most 1.5.
SCORE_SLACK = 1e-6


@dataclass(frozen=True)
class Weights:
    """How much each signal counts.

    The phrasing signals were chosen by benchmarks/tune_matcher.py on the tuning sets; the
    classifier's share by benchmarks/wording_cv.py, on FAQ wordings left out of the index.
    The four phrasing signals are relative to each other (they are scaled to sum to 1).
    """

    embedding: float = 1.0
    question_coverage: float = 0.2
    phrasing_coverage: float = 0.1
    fuzzy: float = 0.4
    # The share of an entry's score that comes from the classifier (bot/classifier.py); the
    # rest is its best phrasing's fused score.
    classifier: float = 0.35


@dataclass(frozen=True)
class ScoredEntry:
    entry: Entry
    score: float  # 0 to 100


@dataclass(frozen=True)
class Prepared:
    """A question cleaned once and used by every signal."""

    words: list[str]
    stems: list[str]
    text: str


@dataclass(frozen=True)
class QuestionScores:
    """What the matcher makes of one question: all the responder's decision needs from it."""

    prepared: Prepared
    entry_scores: np.ndarray  # each entry's score, 0 to 1, in corpus order


class Matcher:
    """Ranks FAQ entries for a question. Build once per corpus; `rank` is cheap."""

    def __init__(
        self,
        entries: Sequence[Entry],
        synonyms: Sequence[Synonym] = (),
        *,
        weights: Weights = Weights(),
        embedder: Embedder | None = None,
        cache: IndexCache | None = None,
    ):
        self.entries = tuple(entries)
        self.position = {entry.id: index for index, entry in enumerate(self.entries)}
        self._vocabulary = Vocabulary(synonyms)
        self._embedder = embedder or shared_embedder()

        learnt: list[Prepared] = []
        learnt_owner: list[int] = []
        filed: list[bool] = []
        known_words: set[str] = set()
        for index, entry in enumerate(self.entries):
            for number, phrasing in enumerate(entry.phrasings):
                prepared = self._prepare_words(normalise(phrasing).split())
                learnt.append(prepared)
                learnt_owner.append(index)
                filed.append(number >= len(entry.staff_wordings))
                known_words.update(prepared.words)
            known_words.update(self._vocabulary.apply(normalise(entry.answer).split()))
        self._known_words = frozenset(known_words)
        self._known_stems = frozenset(stem(sorted(known_words)))
        self._spellable_words = sorted(w for w in known_words if len(w) >= 4 and w.isalpha())
        learnt_vectors = self._embedder.embed([p.text for p in learnt])
        # The classifier learns every wording; the per-wording signals read those indexed.
        indexed = _without_near_copies(learnt_vectors, learnt_owner, filed, NEAR_COPY_COSINE)
        phrasings = [learnt[k] for k in indexed]
        phrasing_vectors = learnt_vectors[indexed]
        self._owner = np.asarray(learnt_owner, dtype=np.int64)[indexed]
        self._phrasing_texts = [p.text for p in phrasings]
        self._sorted_phrasings = np.asarray(
            [_sorted_words(text) for text in self._phrasing_texts], dtype=object
        )
        # Phrasings are stored entry by entry; where each entry's begin.
        self._entry_starts = np.searchsorted(self._owner, np.arange(len(self.entries)))

        # idf over phrasings: a stem in few phrasings says more about which entry is meant.
        document_frequency: dict[str, int] = defaultdict(int)
        # dict.fromkeys, not set: sums over a question's stems then add up in the same order in
        # every process, where a set's order follows Python's per-process string hashing.
        phrasing_stems = [list(dict.fromkeys(p.stems)) for p in phrasings]
        for stems in phrasing_stems:
            for s in stems:
                document_frequency[s] += 1
        count = max(len(phrasings), 1)
        self._idf = {
            s: math.log(1 + (count - df + 0.5) / (df + 0.5)) for s, df in document_frequency.items()
        }
        self._unknown_idf = math.log(1 + (count + 0.5) / 0.5)
        self._phrasings_with: dict[str, np.ndarray] = {}
        postings: dict[str, list[int]] = defaultdict(list)
        for position, stems in enumerate(phrasing_stems):
            for s in stems:
                postings[s].append(position)
        self._phrasings_with = {s: np.asarray(p, dtype=np.int64) for s, p in postings.items()}
        self._phrasing_weight = np.asarray(
            [sum(self._idf[s] for s in stems) or 1.0 for stems in phrasing_stems]
        )
        # The vectors kept as columns, for the cosines: BLAS ran a vector-times-matrix product
        # over this layout a fifth to a third faster than a matrix-times-vector one over the
        # rows, and the cosines are the largest single step of a question.
        self._phrasing_columns = np.ascontiguousarray(phrasing_vectors.T)
        # How far two float32 cosines of unit vectors, summed in different orders, can be
        # apart: each is within n x 2^-24 of the true value (n, the vector's length), whatever
        # the order; twice that again, for safety. 3e-5 for the 128 dimensions used
        # (bot/embedding.py).
        self._cosine_slack = 2 * phrasing_vectors.shape[1] * float(np.finfo(np.float32).eps)

        # The classifier tells entries apart; versions of one topic are one label to it, as
        # they differ by date, which the responder handles.
        groups: dict[str, int] = {}
        self._group = np.asarray(
            [groups.setdefault(e.topic or f"id:{e.id}", len(groups)) for e in self.entries],
            dtype=np.int64,
        )
        self._classifier = WordingClassifier(
            learnt_vectors,
            [p.stems for p in learnt],
            self._group[learnt_owner],
            len(groups),
            cache=cache,
        )
        self._vector = functools.lru_cache(maxsize=256)(self._embed_one)
        # Each word's correction, looked up once (see _correct_ahead for thousands at once).
        self._corrections: dict[str, str] = {}
        # The responder asks about the same message several times (rank, vagueness).
        self.prepare = functools.lru_cache(maxsize=256)(self.prepare)  # type: ignore[method-assign]
        self.weights = weights

    @property
    def weights(self) -> Weights:
        return self._weights

    @weights.setter
    def weights(self, weights: Weights) -> None:
        raw = np.asarray([getattr(weights, name) for name in SIGNALS], dtype=float)
        self._weights = weights
        self._weight_vector = raw / raw.sum()
        # The phrasing-coverage weight over each phrasing's own idf (see _fused_without_fuzzy).
        self._phrasing_factor = self._weight_vector[2] / self._phrasing_weight

    def _prepare_words(self, words: list[str]) -> Prepared:
        words = self._vocabulary.apply(words)
        # Years are left to the responder's time handling: "rating 2017" and "rating now" are
        # the same question about different times, so a year must not make a match.
        content = [w for w in without_years(words) if w not in STOP_WORDS]
        return Prepared(words=words, stems=stem(content), text=" ".join(words))

    def _correct(self, word: str) -> str:
        """The corpus word a typo was meant to be; real words the corpus lacks stay as they are."""
        found = self._corrections.get(word)
        if found is None:
            found = word
            if self._may_be_a_typo(word):
                best = process.extractOne(
                    word, self._spellable_words, scorer=fuzz.ratio, score_cutoff=SPELLING_CUTOFF
                )
                found = best[0] if best else word
            self._remember_correction(word, found)
        return found

    def _may_be_a_typo(self, word: str) -> bool:
        """A word to look for among the corpus words: long enough, not theirs, not everyday."""
        return (
            word not in self._known_words
            and len(word) >= 4
            and word.isalpha()
            and not self._embedder.is_common_word(word)
        )

    def _prepare_many(self, questions: Sequence[str]) -> list[Prepared]:
        """`prepare` of each question, the corrections of their new words looked up at once."""
        cleaned = [self._vocabulary.apply(normalise(question).split()) for question in questions]
        self._correct_ahead(cleaned)
        corrections = self._corrections
        return [self._prepare_words([corrections[word] for word in words]) for words in cleaned]

    def _correct_ahead(self, texts: Sequence[Sequence[str]]) -> None:
        """Look up the corrections of all the new words of many texts (lists of words) at once.

        One rapidfuzz call compares a thousand words with every corpus word, where one call per
        word (`_correct`) spends most of its time reading the corpus words again. The first
        best match wins, as in extractOne, so the corrections are the same.
        """
        words = {word for text in texts for word in text if word not in self._corrections}
        typos = []
        for word in sorted(words):
            if self._may_be_a_typo(word) and self._spellable_words:
                typos.append(word)
            else:
                self._remember_correction(word, word)
        for start in range(0, len(typos), 1_000):
            block = typos[start : start + 1_000]
            scores = process.cdist(
                block,
                self._spellable_words,
                scorer=fuzz.ratio,
                score_cutoff=SPELLING_CUTOFF,
                workers=1,
            )
            for word, row, best in zip(block, scores, scores.argmax(axis=1).tolist(), strict=True):
                found = self._spellable_words[best] if row[best] >= SPELLING_CUTOFF else word
                self._remember_correction(word, found)

    def _remember_correction(self, word: str, correction: str) -> None:
        if len(self._corrections) >= MAX_CORRECTIONS_KEPT:
            self._corrections.clear()  # a bot up for months: start again rather than grow
        self._corrections[word] = correction

    def is_common_word(self, word: str) -> bool:
        """True for everyday words that are spelt right (see Embedder.is_common_word)."""
        return self._embedder.is_common_word(word)

    def prepare(self, question: str) -> Prepared:
        """Clean, apply synonyms to, and correct the spelling of a question.

        Synonyms go first so a resident's word ("kids") is not "corrected" to a near FAQ word,
        and again after (in _prepare_words), since a corrected word may be a resident's word.
        """
        words = self._vocabulary.apply(normalise(question).split())
        return self._prepare_words([self._correct(word) for word in words])

    def signals(self, question: str, fuzzy_for: np.ndarray | None = None) -> np.ndarray:
        """Each signal (rows, in `SIGNALS` order, 0 to 1) for every phrasing (columns).

        The fuzzy signal costs the most, so `fuzzy_for` can limit it to some phrasings.
        """
        prepared = self.prepare(question)
        signals = self._signals([prepared], self._vectors([prepared]))[0]
        if fuzzy_for is None:
            fuzzy_for = np.arange(len(self._owner))
        if prepared.words and len(fuzzy_for):
            signals[3, fuzzy_for] = self._fuzzy([prepared], fuzzy_for[None])[0] / 100.0
        return signals

    def unfamiliar_share(self, prepared: Prepared) -> float:
        """The share (0 to 1, idf-weighted) of the question's words the FAQ never uses.

        "How do I adopt a child?" shares "child" with many entries, but "adopt" appears
        nowhere in the FAQ: a sign the question is about something the FAQ doesn't cover.
        """
        stems = dict.fromkeys(prepared.stems)  # in order, so the sums are the same every run
        total = sum(self._idf.get(s, self._unknown_idf) for s in stems)
        unfamiliar = sum(self._unknown_idf for s in stems if s not in self._known_stems)
        return unfamiliar / total if total else 0.0

    def entries_with_every_word(self, prepared: Prepared) -> int:
        """How many entries (versions of one topic counted once) use every word of the question.

        A one-word message that several answers share ("Ofsted") cannot say which is meant.
        """
        stems = set(prepared.stems)
        if not stems:
            return 0
        positions = None
        for s in stems:
            found = set(self._phrasings_with.get(s, np.empty(0, dtype=np.int64)).tolist())
            positions = found if positions is None else positions & found
        owners = {self.entries[self._owner[p]] for p in positions or ()}
        return len({entry.topic or entry.id for entry in owners})

    def phrasing_scores(self, question: str, *, every_phrasing: bool = False) -> np.ndarray:
        """The fused score (0 to 1) of every phrasing, in corpus order.

        Each entry's best is exact. For a long message, a phrasing that cannot pass its entry's
        best may score below its due unless `every_phrasing` (see _phrasing_scores).
        """
        prepared = self.prepare(question)
        vectors = self._vectors([prepared])
        return self._phrasing_scores([prepared], vectors, every_phrasing=every_phrasing)[0]

    def classifier_scores(self, question: str) -> np.ndarray:
        """The classifier's score (0 to 1) of every entry."""
        prepared = self.prepare(question)
        return self._classifier_scores([prepared], self._vectors([prepared]))[0]

    def entry_scores(self, question: str) -> np.ndarray:
        """Each entry's score (0 to 1): its best phrasing, blended with the classifier's view."""
        scores = self.phrasing_scores(question)[None]
        return self._blend(scores, [self.classifier_scores(question)])[0]

    def score(self, question: str) -> QuestionScores:
        """The cleaned question and each entry's score, for the responder's decision."""
        return QuestionScores(self.prepare(question), self.entry_scores(question))

    def score_many(self, questions: Sequence[str]) -> Iterator[QuestionScores]:
        """`score` of each question, in order, computed a batch of questions at a time.

        For thousands of questions at once (`faqbot unanswered --retest`): one embedding call
        and one fuzzy call per batch, and the other signals as array operations over the whole
        batch. Every step does, for each question, the same arithmetic as `score` (the
        single-question methods are this path with a batch of one), so the scores are the
        same to the last bit; tests/test_batch_matching.py checks it. Questions that read the
        same once cleaned and corrected ("colection day" and "collection day") are scored once.
        """
        for prepared, scores in self._each_text_once(questions, self._entry_scores):
            yield QuestionScores(prepared, scores)

    def score_ceilings(
        self, questions: Sequence[str], among: np.ndarray, below: float
    ) -> Iterator[tuple[Prepared, float]]:
        """Each question cleaned, and a score (0 to 1) no entry of `among` (positions) reaches.

        A third of the work of `score_many`, for callers that need only know whether a
        question scores `below` some level for every entry of `among`: see `_ceilings`.
        Never lower than the scores `score` gives; tests/test_batch_matching.py checks it.
        """
        return self._each_text_once(
            questions,
            lambda new: self._ceilings(new, self._vectors(new), among, below).tolist(),
        )

    def _each_text_once(
        self, questions: Sequence[str], work: Callable[[list[Prepared]], Iterable[T]]
    ) -> Iterator[tuple[Prepared, T]]:
        """Each question cleaned, with what `work` makes of its cleaned text, in order.

        The questions are cleaned a batch at a time, and `work` gets each batch's texts not
        seen before, each once: enough questions to share the costly steps, few enough that a
        batch's arrays stay within BATCH_BYTES however many questions there are.
        """
        per_question = len(SIGNALS) * 8 * max(len(self._owner), 1)
        size = max(1, min(BATCH_SIZE, BATCH_BYTES // per_question))
        found: dict[str, T] = {}
        for start in range(0, len(questions), size):
            prepared = self._prepare_many(questions[start : start + size])
            new = list({p.text: p for p in prepared if p.text not in found}.values())
            if new:
                found.update(zip([p.text for p in new], work(new), strict=True))
            for one in prepared:
                yield one, found[one.text]

    # -- The scoring steps, each for a batch of questions (the first axis of every array) ----

    def _entry_scores(self, prepared: Sequence[Prepared]) -> np.ndarray:
        """Each question's entry scores (0 to 1), one row per question."""
        vectors = self._vectors(prepared)
        phrasing = self._phrasing_scores(prepared, vectors)
        return self._blend(phrasing, self._classifier_scores(prepared, vectors))

    def _vectors(self, prepared: Sequence[Prepared]) -> np.ndarray:
        """The embedding of each question's cleaned text, one row each."""
        if len(prepared) == 1:
            # The responder asks about one message several times: its vector is kept.
            return self._vector(prepared[0].text)[None]
        return self._embedder.embed([p.text for p in prepared])

    def _embed_one(self, text: str) -> np.ndarray:
        return self._embedder.embed([text])[0]

    def _signals(self, prepared: Sequence[Prepared], vectors: np.ndarray) -> np.ndarray:
        """Each signal (in `SIGNALS` order) of each question for every phrasing, fuzzy left at 0."""
        matched, question_weight = self._matched_weights(prepared)
        signals = np.zeros((len(prepared), len(SIGNALS), len(self._owner)))
        covered = question_weight > 0
        signals[covered, 1] = matched[covered] / question_weight[covered, None]
        signals[covered, 2] = matched[covered] / self._phrasing_weight
        with_words = [row for row, p in enumerate(prepared) if p.words]
        if with_words:
            cosines = np.matmul(vectors[with_words, None, :], self._phrasing_columns)[:, 0]
            signals[with_words, 0] = np.clip(cosines, 0.0, 1.0)
        return signals

    def _cosines(self, vectors: np.ndarray) -> np.ndarray:
        """Each question's cosine (float32) with every phrasing.

        One vector-matrix product per question, as for a single question: a batched matrix
        product would add up in another order and differ in the last bits.
        """
        return np.matmul(vectors[:, None, :], self._phrasing_columns)[:, 0]

    def _fused_without_fuzzy(self, prepared: Sequence[Prepared], cosines: np.ndarray) -> np.ndarray:
        """Each question's fused score (float64) for the phrasings `cosines` has columns for, the
        first ones, with every signal but the fuzzy one.

        The embedding signal, the cosine clipped to 0..1, and the two coverages, the idf of
        the words a question and a phrasing share over the question's and over the phrasing's:
        w0 x cosine + shared x (w1 / question's + w2 / phrasing's). Element by element, so a
        question's scores are the same to the last bit alone or in a batch. A message with no
        words has a zero vector (bot/embedding.py), so cosines of 0 and no shared words.
        """
        count = cosines.shape[1]
        matched, question_weight = self._matched_weights(prepared)
        weights = self._weight_vector
        question_factor = np.divide(
            weights[1],
            question_weight,
            out=np.zeros(len(prepared)),
            where=question_weight > 0,
        )
        coverage = np.add(self._phrasing_factor[:count], question_factor[:, None])
        coverage *= matched[:, :count]
        # w0 x (the cosine clipped to 0..1), as w0 x cosine clipped to 0..w0: the same values
        # (rounding is monotonic), and one step fewer than clipping the float32 cosines.
        fused = np.multiply(cosines, weights[0], dtype=np.float64)
        np.clip(fused, 0.0, weights[0], out=fused)
        fused += coverage
        return fused

    def _matched_weights(self, prepared: Sequence[Prepared]) -> tuple[np.ndarray, np.ndarray]:
        """The idf each question shares with each phrasing (a row per question), and each
        question's own idf: the sums over their distinct stems."""
        count = len(self._owner)
        # The idf of each of a question's stems, added to every phrasing using the stem: in one
        # call for the whole batch, each question's stems in the order a single question's are.
        question_weight = np.zeros(len(prepared))
        positions: list[np.ndarray] = []
        amounts: list[float] = []
        starts: list[int] = []
        idf, unknown_idf, phrasings_with = self._idf, self._unknown_idf, self._phrasings_with
        for row, one in enumerate(prepared):
            weight = 0.0
            for s in dict.fromkeys(one.stems):
                stem_idf = idf.get(s, unknown_idf)
                weight += stem_idf
                phrasings = phrasings_with.get(s)
                if phrasings is not None:
                    positions.append(phrasings)
                    amounts.append(stem_idf)
                    starts.append(row * count)
            question_weight[row] = weight
        if not positions:
            return np.zeros((len(prepared), count)), question_weight
        lengths = [len(p) for p in positions]
        flat = np.concatenate(positions)
        if len(prepared) > 1:
            flat += np.repeat(starts, lengths)
        # bincount adds the amounts in the order given, as np.add.at does, several times
        # faster for a batch.
        matched = np.bincount(
            flat, weights=np.repeat(amounts, lengths), minlength=len(prepared) * count
        )
        return matched.reshape(len(prepared), count), question_weight

    def _ceilings(
        self, prepared: Sequence[Prepared], vectors: np.ndarray, among: np.ndarray, below: float
    ) -> np.ndarray:
        """For each question, a score that none of the entries `among` reaches (0 to 1).

        Each step bounds the one `score` takes from above. The word signals and the
        classifier are `score`'s own. The cosines come from one matrix product for the
        batch, which adds up in another order than `score`'s products, so each is raised by
        more than the two can differ (self._cosine_slack). The fuzzy signal is taken at its
        highest, 100, for every phrasing; where that puts a phrasing at `below` or more, its
        fuzzy score is computed as `score` computes it, and counted whether or not the
        phrasing is in `score`'s shortlist, for questions with at most FUZZY_SHORTLIST such
        phrasings. SCORE_SLACK covers the rounding of the sums. With a negative weight no
        such bound holds: infinity.
        """
        weights, share = self._weight_vector, self._weights.classifier
        if not len(self._owner) or (weights < 0).any() or not 0 <= share <= 1:
            return np.full(len(prepared), np.inf)
        if not len(among):
            return np.zeros(len(prepared))
        # Only the entries up to the last of `among`, and their phrasings, are scored: the
        # answers come first, so the safeguarding examples and elsewhere topics are skipped.
        ends = np.append(self._entry_starts[1:], len(self._owner))
        last = int(ends[among].max())
        counted = int(np.searchsorted(ends, last, side="right"))
        cosines = vectors @ self._phrasing_columns[:, :last]  # all questions in one product
        cosines += self._cosine_slack  # float32: rounds by 3e-8 at most, a 1/2000 of the slack
        partial = self._fused_without_fuzzy(prepared, cosines)
        best = np.maximum.reduceat(partial + weights[3], self._entry_starts[:counted], axis=1)
        classifier = np.array(self._classifier_scores(prepared, vectors), dtype=np.float64)
        classifier = classifier[:, :counted]
        entries = (1 - share) * np.maximum(best, 0.0) + share * classifier + SCORE_SLACK

        rows, columns = np.nonzero(entries[:, among] >= below)
        close = among[columns]
        with_phrasings = ends[close] > self._entry_starts[close]
        rows, close = rows[with_phrasings], close[with_phrasings]
        if len(rows):
            lengths = ends[close] - self._entry_starts[close]
            question = np.repeat(rows, lengths)
            phrasing = np.concatenate(
                [np.arange(self._entry_starts[k], ends[k]) for k in close.tolist()]
            )
            # A phrasing that stays under `below` even at the highest fuzzy score keeps that
            # highest score as its bound: only the others' fuzzy scores are worth computing.
            scores = partial[question, phrasing] + weights[3]
            cls = np.repeat(classifier[rows, close], lengths)
            needed = (1 - share) * np.maximum(scores, 0.0) + share * cls + SCORE_SLACK >= below
            # A question that needs more fuzzy scores than `score` works out is cheaper to
            # score than to bound: its phrasings keep the highest fuzzy score, so its ceiling
            # stays at `below` or above. A low `below` would otherwise put nearly every
            # phrasing of every entry through rapidfuzz.
            too_many = np.bincount(question[needed], minlength=len(prepared)) > FUZZY_SHORTLIST
            needed &= ~too_many[question]
            if needed.any():
                fuzzy = self._fuzzy_pairs(prepared, question[needed], phrasing[needed])
                scores[needed] = partial[question[needed], phrasing[needed]] + weights[3] * (
                    fuzzy / 100.0
                )
            segments = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            best = np.maximum(np.maximum.reduceat(scores, segments), 0.0)
            entries[rows, close] = (1 - share) * best + share * classifier[rows, close]
            entries[rows, close] += SCORE_SLACK
        return entries[:, among].max(axis=1, initial=0.0)

    def _phrasing_scores(
        self, prepared: Sequence[Prepared], vectors: np.ndarray, *, every_phrasing: bool = False
    ) -> np.ndarray:
        """The fused score (0 to 1) of each question for every phrasing.

        The fuzzy signal is computed only for the phrasings leading on the others: a phrasing
        far behind on meaning and words is never a near-copy, and this keeps a corpus of
        thousands of phrasings within a few milliseconds. A long message's token_set_ratio is
        left out, unless `every_phrasing`, for a phrasing that could not pass the best of its
        entry's shortlisted phrasings even at the highest fuzzy score: its entry's score is
        the same either way.
        """
        count = len(self._owner)
        partial = self._fused_without_fuzzy(prepared, self._cosines(vectors))
        if count <= FUZZY_SHORTLIST:
            with_words = [row for row, p in enumerate(prepared) if p.words]
            if with_words and count:
                every = np.broadcast_to(np.arange(count), (len(with_words), count))
                fuzzy = self._fuzzy([prepared[row] for row in with_words], every)
                partial[with_words] += self._weight_vector[3] * (fuzzy / 100.0)
            return partial
        last = count - FUZZY_SHORTLIST  # the shortlist: the best FUZZY_SHORTLIST, in any order
        shortlist = np.argpartition(partial, last, axis=1)[:, last:]
        question = np.repeat(np.arange(len(prepared)), FUZZY_SHORTLIST)
        fuzzy = self._sort_ratios(prepared, question, shortlist.ravel()).reshape(shortlist.shape)
        weight = self._weight_vector[3]
        in_shortlist = (np.arange(len(prepared))[:, None], shortlist)
        stories = np.flatnonzero([len(p.words) >= LONG_MESSAGE_WORDS for p in prepared])
        if len(stories):
            # Of a long message's shortlist, the best STORY_SHORTLIST so far also get
            # token_set_ratio, the higher counting.
            so_far = partial[in_shortlist][stories] + weight * (fuzzy[stories] / 100.0)
            behind = FUZZY_SHORTLIST - STORY_SHORTLIST
            best = (stories[:, None], np.argpartition(so_far, behind, axis=1)[:, behind:])
            picked = shortlist[best]
            question = np.repeat(stories, STORY_SHORTLIST)
            if every_phrasing:
                needed = np.ones(picked.size, dtype=bool)
            else:
                needed = self._may_lead_their_entries(
                    partial[stories[:, None], picked], picked, so_far, shortlist[stories]
                ).ravel()
            within = self._set_ratios(prepared, question[needed], picked.ravel()[needed])
            raised = fuzzy[best].ravel()
            raised[needed] = np.maximum(raised[needed], within)
            fuzzy[best] = raised.reshape(picked.shape)
        partial[in_shortlist] += weight * (fuzzy / 100.0)
        return partial

    def _may_lead_their_entries(
        self,
        partial: np.ndarray,
        picked: np.ndarray,
        so_far: np.ndarray,
        shortlist: np.ndarray,
    ) -> np.ndarray:
        """Which picked phrasings (a row per question) could, at the highest fuzzy score, pass
        the best score so far among their entry's shortlisted phrasings.

        `partial` is the picked phrasings' score without the fuzzy signal, `so_far` the
        shortlisted phrasings' score with the fuzzy signal so far. Any other phrasing ends at
        or below that best, since a fuzzy score of 100 adds the whole of the fuzzy weight, so
        it cannot change its entry's score: on the evaluation sets, three in four of them.
        """
        same_entry = self._owner[shortlist][:, None, :] == self._owner[picked][:, :, None]
        best_of_entry = np.where(same_entry, so_far[:, None, :], -np.inf).max(axis=2)
        return partial + self._weight_vector[3] > best_of_entry

    def _fuzzy(self, prepared: Sequence[Prepared], phrasings: np.ndarray) -> np.ndarray:
        """The fuzzy signal (0 to 100) of each question with the phrasings in its row."""
        question = np.repeat(np.arange(len(prepared)), phrasings.shape[1])
        return self._fuzzy_pairs(prepared, question, phrasings.ravel()).reshape(phrasings.shape)

    def _fuzzy_pairs(
        self, prepared: Sequence[Prepared], question: np.ndarray, phrasing: np.ndarray
    ) -> np.ndarray:
        """The fuzzy signal (0 to 100) of each pair of a question (row) and a phrasing.

        rapidfuzz's token_sort_ratio, which is `ratio` of the two texts with their words
        sorted, so the phrasings are sorted once, at load, and the pairs of a whole batch go to
        rapidfuzz in one call. A long message's pairs also get token_set_ratio, the higher
        counting (LONG_MESSAGE_WORDS).
        """
        scores = self._sort_ratios(prepared, question, phrasing)
        long = np.asarray([len(p.words) >= LONG_MESSAGE_WORDS for p in prepared], dtype=bool)
        in_long = np.flatnonzero(long[question])
        if len(in_long):
            within = self._set_ratios(prepared, question[in_long], phrasing[in_long])
            scores[in_long] = np.maximum(scores[in_long], within)
        return scores

    def _sort_ratios(
        self, prepared: Sequence[Prepared], question: np.ndarray, phrasing: np.ndarray
    ) -> np.ndarray:
        """token_sort_ratio (0 to 100) of each pair of a question (row) and a phrasing."""
        return _pairwise(
            [_sorted_words(p.text) for p in prepared],
            question,
            self._sorted_phrasings[phrasing].tolist(),
            fuzz.ratio,
        )

    def _set_ratios(
        self, prepared: Sequence[Prepared], question: np.ndarray, phrasing: np.ndarray
    ) -> np.ndarray:
        """token_set_ratio (0 to 100) of each pair of a question (row) and a phrasing."""
        return _pairwise(
            [p.text for p in prepared],
            question,
            [self._phrasing_texts[k] for k in phrasing.tolist()],
            fuzz.token_set_ratio,
        )

    def _classifier_scores(
        self, prepared: Sequence[Prepared], vectors: np.ndarray
    ) -> list[np.ndarray]:
        """The classifier's score (0 to 1) of every entry, for each question."""
        if len(prepared) == 1 and prepared[0].words:
            return [self._classifier.scores(vectors[0], prepared[0].stems)[self._group]]
        scores = [np.zeros(len(self.entries)) for _ in prepared]
        with_words = [row for row, p in enumerate(prepared) if p.words]
        if with_words:
            found = self._classifier.scores_many(
                vectors[with_words], [prepared[row].stems for row in with_words]
            )
            for row, label_scores in zip(with_words, found, strict=True):
                scores[row] = label_scores[self._group]
        return scores

    def _blend(self, phrasing: np.ndarray, classifier: Sequence[np.ndarray]) -> np.ndarray:
        """Each question's entry scores: each entry's best phrasing, blended with the classifier."""
        if len(self._owner):
            best = np.maximum.reduceat(phrasing, self._entry_starts, axis=1)
            np.maximum(best, 0.0, out=best)
        else:
            best = np.zeros((len(phrasing), len(self.entries)))
        share = self._weights.classifier
        # Weighted one question at a time: a question's classifier scores may be float32.
        if len(classifier) == 1:
            weighted = np.asarray(share * classifier[0], dtype=np.float64)
        else:
            weighted = np.array([share * scores for scores in classifier], dtype=np.float64)
        best *= 1 - share
        best += weighted.reshape(best.shape)
        return best

    def ranked(self, question: str) -> Iterator[ScoredEntry]:
        """Every entry, best first."""
        best = self.entry_scores(question)
        for index in np.argsort(-best, kind="stable"):
            yield ScoredEntry(self.entries[index], round(float(best[index]) * 100, 2))

    def rank(self, question: str, limit: int = 5) -> list[ScoredEntry]:
        """The best `limit` entries, best first."""
        return list(itertools.islice(self.ranked(question), limit))

    def confusable_alternatives(self) -> list[tuple[Entry, str, Entry, float, float]]:
        """Alternatives closer to another entry than to the rest of their own.

        Each is compared with every other phrasing, leaving itself out, so that it cannot
        vouch for itself. Yields (entry, alternative, rival entry, own score, rival score).
        """
        found = []
        for index, entry in enumerate(self.entries):
            # An entry's phrasings begin with its question and alternatives, in order, then
            # the residents' questions filed under it.
            start = int(self._entry_starts[index])
            for number, alternative in enumerate(entry.alternatives, start=1):
                scores = self.phrasing_scores(alternative, every_phrasing=True)
                scores[start + number] = -1.0
                best = np.full(len(self.entries), -1.0)
                np.maximum.at(best, self._owner, scores)
                rival = int(best.argmax())
                if rival != index and best[rival] > best[index]:
                    found.append(
                        (
                            entry,
                            alternative,
                            self.entries[rival],
                            best[index] * 100,
                            best[rival] * 100,
                        )
                    )
        return found


def _without_near_copies(
    vectors: np.ndarray, owner: Sequence[int], filed: Sequence[bool], cosine: float | None
) -> np.ndarray:
    """The positions of the wordings to index: every wording staff wrote, and each filed
    question unless it is `cosine` or closer to a wording of its entry kept before it.

    `vectors` are unit vectors, one row per wording, in corpus order (entry by entry, staff's
    wordings first), `owner` each wording's entry and `filed` whether it is a filed question.
    """
    if cosine is None:
        return np.arange(len(owner))
    kept: list[int] = []
    # The vectors kept so far of the current entry, in one buffer, not copied out each time.
    entry_kept = np.empty_like(vectors)
    count, current = 0, -1
    for position, (entry, is_filed) in enumerate(zip(owner, filed, strict=True)):
        if entry != current:
            count, current = 0, entry
        vector = vectors[position]
        if is_filed and count and (entry_kept[:count] @ vector).max() >= cosine:
            continue
        entry_kept[count] = vector
        count += 1
        kept.append(position)
    return np.asarray(kept, dtype=np.int64)


def _sorted_words(text: str) -> str:
    """The words of a cleaned text in sorted order, as rapidfuzz's token_sort_ratio sorts them."""
    return " ".join(sorted(text.split()))


def _pairwise(
    queries: list[str], rows: np.ndarray, choices: list[str], scorer: Callable[..., float]
) -> np.ndarray:
    """`scorer` of each choice with the query its row names (`rows`, one per choice).

    With one query (a resident's message), rapidfuzz's cdist reads it once: the same scores,
    in half the time, and no list of the same text once per choice.
    """
    if len(queries) == 1:
        return process.cdist(queries, choices, scorer=scorer, workers=1)[0]
    pairs = [queries[row] for row in rows.tolist()]
    return process.cpdist(pairs, choices, scorer=scorer, workers=1)
