"""Matching thousands of questions at once gives each the reply `respond` gives it alone.

`faqbot unanswered --retest` goes through `Responder.respond_many`, which scores the questions
in batches (Matcher.score_many). Staff trust its figures as what residents would be told, so
the batches must change nothing: not an outcome, not a candidate, not a score.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import TELEGRAM_FAQ, write_faq

import bot.matching
from bot.answering import MAX_QUESTION_CHARACTERS, Responder, Thresholds
from bot.index_cache import IndexCache
from bot.loader import load_corpus
from bot.matching import LONG_MESSAGE_WORDS, Matcher
from bot.reply import Outcome, Reply
from bot.safeguarding import SafeguardingDetector

ROOT = Path(__file__).resolve().parent.parent
RESIDENT_CASES = sorted((ROOT / "benchmarks" / "croydon").glob("cases-*.yaml"))
# StackFAQ's queries (general web questions) when the shared folder is there.
STACKFAQ_QUERIES = ROOT.parent / "shared" / "benchmarks" / "stackfaq" / "queries-dev.yaml"


def case_questions(path: Path) -> list[str]:
    return [case["question"] for case in yaml.safe_load(path.read_text("utf-8"))["cases"]]


def with_a_typo(text: str, rng: random.Random) -> str:
    """A letter dropped, doubled or swapped, as residents type."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 2)
    return [
        text[:i] + text[i + 1 :],
        text[:i] + text[i] + text[i:],
        text[:i] + text[i + 1] + text[i] + text[i + 2 :],
    ][rng.randrange(3)]


def varied_questions() -> list[str]:
    """Residents' questions, with typos, and every odd kind of message the bot meets."""
    rng = random.Random(4)
    questions = [q for path in RESIDENT_CASES for q in case_questions(path)]
    # A fixed sample, so the suite's time doesn't grow with every set written (30 sets of
    # 130 to 167 questions now): these checks compare two ways of scoring, question by
    # question, for which 1,500 varied questions (and the odd ones below) are plenty.
    questions = [questions[n] for n in sorted(rng.sample(range(len(questions)), 1_500))]
    if STACKFAQ_QUERIES.exists():
        questions += rng.sample(case_questions(STACKFAQ_QUERIES), 100)
    questions += [with_a_typo(q, rng) for q in rng.sample(questions, 150)]
    questions += [
        "",
        "   ",
        "?!",
        "...",
        "hi",
        "thanks so much",
        "hello, what is ofsted?",
        "ofsted",
        "Croydon",
        "rating",
        "rating 2017",
        "what was the rating in 2020 and 2024?",
        "report a concern",
        "my child is being hurt",
        "asdkjh qwe zzzz",
        "xqzv",
        "Ofsted!!! rating??? NOW",
        "ÄÖÜ ñ 日本語 😀",
        "of\x00sted\u202e rating",
        "[name] [postcode] what is ofsted",
        "what is ofsted " * 300,  # long, but under the limit
        "w" * (MAX_QUESTION_CHARACTERS + 1),  # too long to answer
        " ".join(rng.choice(["croydon", "ofsted", "children", "the"]) for _ in range(900)),
    ]
    return questions


def comparable(reply: Reply) -> tuple[object, ...]:
    return (
        reply.outcome,
        reply.entry_id,
        reply.text,
        [choice.entry_id for choice in reply.choices],
        [candidate.entry_id for candidate in reply.candidates],
    )


def assert_same_replies(responder: Responder, questions: list[str]) -> None:
    one_by_one = [responder.respond("resident", question) for question in questions]
    batched = list(responder.respond_many(questions))
    assert len(batched) == len(questions)
    for question, alone, together in zip(questions, one_by_one, batched, strict=True):
        assert comparable(together) == comparable(alone), question[:200]
        scores_alone = [candidate.score for candidate in alone.candidates]
        scores_together = [candidate.score for candidate in together.candidates]
        assert scores_together == pytest.approx(scores_alone, abs=1e-6), question[:200]


@pytest.fixture(scope="module")
def shipped(index_cache: IndexCache) -> Responder:
    return Responder.from_directory(ROOT / "faq", index_cache)


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return varied_questions()


def test_there_are_a_few_hundred_varied_questions_to_compare(questions: list[str]):
    # Counted first, so a failure shows numbers, never the held-out questions. Independently
    # written sets repeat some questions ("whats croydons ofsted rating now"): what counts is
    # how many different ones there are.
    distinct = len(set(questions))
    assert distinct >= 500


def test_the_shipped_faq_gives_every_question_the_same_reply_in_a_batch(
    shipped: Responder, questions: list[str]
):
    assert_same_replies(shipped, questions)


def test_batch_edges_change_nothing(
    shipped: Responder, questions: list[str], monkeypatch: pytest.MonkeyPatch
):
    # Batches of 7: every question lands somewhere else in its batch, some alone at its end.
    monkeypatch.setattr(bot.matching, "BATCH_SIZE", 7)
    assert_same_replies(shipped, questions[:200])
    assert list(shipped.respond_many([])) == []


def test_the_entry_scores_of_a_batch_are_those_of_one_question_to_the_last_bit(
    shipped: Responder, questions: list[str]
):
    matcher = shipped.matcher
    for question, scores in zip(questions, matcher.score_many(questions), strict=True):
        assert np.array_equal(scores.entry_scores, matcher.entry_scores(question)), question[:200]
        assert scores.prepared == matcher.prepare(question)


def test_token_set_ratios_left_out_of_a_long_message_change_no_entry_score(
    shipped: Responder, questions: list[str], monkeypatch: pytest.MonkeyPatch
):
    """Only pairs that cannot pass their entry's best are left out, and some are."""
    matcher = shipped.matcher
    pairs = {"left out": 0, "every one": 0}
    set_ratios = matcher._set_ratios
    counting = "left out"

    def counted(prepared, question, phrasing):  # type: ignore[no-untyped-def]
        pairs[counting] += len(phrasing)
        return set_ratios(prepared, question, phrasing)

    monkeypatch.setattr(matcher, "_set_ratios", counted)
    long = [q for q in questions if len(matcher.prepare(q).words) >= LONG_MESSAGE_WORDS]
    assert len(long) >= 100
    for question in long:
        counting = "left out"
        scores = matcher.entry_scores(question)
        counting = "every one"
        every = matcher.phrasing_scores(question, every_phrasing=True)[None]
        expected = matcher._blend(every, [matcher.classifier_scores(question)])[0]
        assert np.array_equal(scores, expected), question[:200]
    assert pairs["left out"] < pairs["every one"] / 2


def test_a_small_faq_whose_every_phrasing_gets_the_fuzzy_signal_agrees_too(
    tmp_path: Path, questions: list[str]
):
    small = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    assert len(small.matcher.entries) * 3 < bot.matching.FUZZY_SHORTLIST
    assert_same_replies(small, questions)


# -- Looking words up for thousands of questions at once -------------------------------------


def misspelt(questions: list[str]) -> list[str]:
    """Each question with a typo or two: new words for the spelling and safeguarding look-ups."""
    rng = random.Random(7)
    return [with_a_typo(with_a_typo(question, rng), rng) for question in questions]


def test_typos_corrected_a_thousand_at_a_time_are_corrected_as_one_at_a_time(
    questions: list[str], index_cache: IndexCache
):
    corpus = load_corpus(ROOT / "faq")
    together = Matcher(corpus.entries, corpus.synonyms, cache=index_cache)
    alone = Matcher(corpus.entries, corpus.synonyms, cache=index_cache)
    texts = misspelt(questions)
    assert [p.words for p in together._prepare_many(texts)] == [
        alone.prepare(text).words for text in texts
    ]


def test_words_read_for_safeguarding_many_at_a_time_read_as_one_at_a_time(
    shipped: Responder, questions: list[str]
):
    rules = shipped.corpus.safeguarding
    together = SafeguardingDetector(rules, is_common_word=shipped.matcher.is_common_word)
    alone = SafeguardingDetector(rules, is_common_word=shipped.matcher.is_common_word)
    texts = misspelt(questions) + questions
    together.read_ahead(texts)
    assert [together.is_concern(text) for text in texts] == [
        alone.is_concern(text) for text in texts
    ]
    assert sum(alone.is_concern(text) for text in texts) > 20


# -- Passing over the questions that are far from every entry (faqbot unanswered --retest) ----


def answers_and_suggestions_one_by_one(responder: Responder, questions: list[str]) -> list[object]:
    replies = [responder.respond("resident", question) for question in questions]
    return [
        comparable(reply) if reply.outcome in (Outcome.ANSWER, Outcome.SUGGEST) else None
        for reply in replies
    ]


def test_a_score_ceiling_is_never_below_the_score_of_any_entry(
    shipped: Responder, questions: list[str]
):
    matcher = shipped.matcher
    every = np.arange(len(matcher.entries))
    # A third of the questions, and another third misspelt: a thousand varied texts test the
    # bounds well.
    texts = questions[::3] + misspelt(questions[1::3])
    scores = [matcher.entry_scores(text).max() for text in texts]
    # Fuzzy scores computed for no phrasing (0.0: too many for any question), for up to the
    # shortlist's number for many questions (0.3, 0.42), and for none (infinity).
    for below in (0.0, 0.3, 0.42, np.inf):
        ceilings = [ceiling for _, ceiling in matcher.score_ceilings(texts, every, below)]
        assert all(c >= s for c, s in zip(ceilings, scores, strict=True)), below
    # A ceiling, and a close one: most questions far from every entry are shown to be far.
    assert sum(c * 100 < 41.99 for c in ceilings) > 0.5 * sum(s * 100 < 41.99 for s in scores)


def test_a_ceiling_never_works_out_more_fuzzy_scores_than_the_score_would(
    shipped: Responder, questions: list[str], monkeypatch: pytest.MonkeyPatch
):
    """A low `below` passes nearly every phrasing; bounding must not cost more than scoring."""
    matcher = shipped.matcher
    per_question: list[np.ndarray] = []
    fuzzy_pairs = matcher._fuzzy_pairs

    def counted(prepared, question, phrasing):  # type: ignore[no-untyped-def]
        per_question.append(np.bincount(question, minlength=len(prepared)))
        return fuzzy_pairs(prepared, question, phrasing)

    monkeypatch.setattr(matcher, "_fuzzy_pairs", counted)
    texts = questions[::5]
    for below in (0.0, 0.15, 0.3):
        list(matcher.score_ceilings(texts, np.arange(len(matcher.entries)), below))
    assert per_question, "some questions' fuzzy scores were worked out"
    assert max(int(counts.max()) for counts in per_question) <= bot.matching.FUZZY_SHORTLIST


def test_the_retest_keeps_exactly_the_answers_and_suggestions_of_one_by_one_replies(
    shipped: Responder, questions: list[str]
):
    texts = questions + misspelt(questions)
    found = [
        None if reply is None else comparable(reply)
        for reply in shipped.answers_and_suggestions(texts)
    ]
    assert found == answers_and_suggestions_one_by_one(shipped, texts)
    assert sum(reply is not None for reply in found) > 100


@pytest.mark.parametrize(
    "thresholds",
    [
        Thresholds(answer=20.0, suggest=15.0),  # most questions now get an answer or choices
        Thresholds(suggest=60.0),  # suggestions rarer than answers
        Thresholds(unfamiliar_penalty=-0.2),  # unfamiliar words raise confidence: no ceiling
        Thresholds(suggest=60.0, far_ahead_answer=30.0, far_ahead_lead=8.0),  # answers far down
    ],
    ids=["low thresholds", "high suggest", "negative penalty", "far ahead"],
)
def test_other_thresholds_keep_the_same_answers_and_suggestions_too(
    shipped: Responder, questions: list[str], thresholds: Thresholds
):
    responder = Responder(shipped.corpus, thresholds=thresholds, matcher=shipped.matcher)
    found = [
        None if reply is None else comparable(reply)
        for reply in responder.answers_and_suggestions(questions)
    ]
    assert found == answers_and_suggestions_one_by_one(responder, questions)


def test_a_small_faq_keeps_the_same_answers_and_suggestions(tmp_path: Path, questions: list[str]):
    small = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    found = [
        None if reply is None else comparable(reply)
        for reply in small.answers_and_suggestions(questions)
    ]
    assert found == answers_and_suggestions_one_by_one(small, questions)
