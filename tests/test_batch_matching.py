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
from bot.answering import MAX_QUESTION_CHARACTERS, Responder
from bot.reply import Reply

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
def shipped() -> Responder:
    return Responder.from_directory(ROOT / "faq")


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return varied_questions()


def test_there_are_a_few_hundred_varied_questions_to_compare(questions: list[str]):
    assert len(questions) >= 500
    assert len(set(questions)) >= 0.95 * len(questions)


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


def test_a_small_faq_whose_every_phrasing_gets_the_fuzzy_signal_agrees_too(
    tmp_path: Path, questions: list[str]
):
    small = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    assert len(small.matcher.entries) * 3 < bot.matching.FUZZY_SHORTLIST
    assert_same_replies(small, questions)
