"""The content in faq/ as shipped: valid, answering the labelled resident questions, and safe.

A content edit or threshold change that quietly breaks answers fails here, in CI, rather than
in front of residents. The floors sit a little under the measured figures (benchmarks/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering import Responder
from bot.content_checks import check_content
from bot.corpus import Corpus
from bot.evaluation import CaseResult, evaluate, load_cases, summarise
from bot.index_cache import IndexCache
from bot.loader import comparable
from bot.redaction import redact
from bot.reply import Outcome

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_FAQ = ROOT / "faq"
CASES = ROOT / "benchmarks" / "croydon"
# The tuning set, held-out set 1, then sets 2 and up in the order they were written.
RESIDENT_CASES = [
    CASES / "cases-tune.yaml",
    CASES / "cases-heldout.yaml",
    *sorted(CASES.glob("cases-heldout-*.yaml"), key=lambda path: int(path.stem.split("-")[-1])),
]

# Every set's questions are filed in faq/asked.yaml, so on them the bot is answering questions
# it has learnt: 100%, 0% and 100% when they were filed. These floors catch an edit that breaks
# that, with room for one reworded or refiled question.
MIN_ANSWER_ACCURACY = 0.98
MAX_WRONG_ANSWER_RATE = 0.01
MIN_OUT_OF_SCOPE_REJECTION = 0.98
# Sets 14 and 15, the hardest pair yet, each taken out of asked.yaml in turn: how the bot answers
# questions it has not learnt. Measured 0.959, 0.009 and 1.0 with the other sets up to 25
# filed; 0.977, 0.005 and 1.0 with sets up to 31 and 128 embedding dimensions (sixth session);
# 0.971, 0.009 and 1.0 with sets up to 41 (seventh session); 0.982, 0.009 and 1.0 with sets up
# to 49 (eighth session); 0.977, 0.009 and 1.0 with sets up to 53 and near copies of filed
# questions left out of the index (ninth session); 0.971, 0.009 and 1.0 with sets up to 61
# (tenth session).
# benchmarks/asked_cv.py gives every set's figures.
NOT_YET_FILED = [CASES / "cases-heldout-14.yaml", CASES / "cases-heldout-15.yaml"]
MIN_UNFILED_ANSWER_ACCURACY = 0.92
MAX_UNFILED_WRONG_ANSWER_RATE = 0.025
MIN_UNFILED_OUT_OF_SCOPE_REJECTION = 0.96

# The verified numbers of shared/content/safeguarding.md.
EMERGENCY = "999"
SINGLE_POINT_OF_CONTACT = "020 8255 2888"
EMERGENCY_DUTY_TEAM = "020 8726 6400"
PROFESSIONALS_LINE = "020 8726 6464"  # for professionals only: never given to residents


@pytest.fixture(scope="module")
def responder(index_cache: IndexCache) -> Responder:
    return Responder.from_directory(SHIPPED_FAQ, index_cache)


def test_the_shipped_faq_has_no_errors(index_cache: IndexCache) -> None:
    # The run's index cache, as `faqbot check` keeps one: the responder's index is read back.
    errors = [p for p in check_content(SHIPPED_FAQ, index_cache) if not p.is_warning]
    assert errors == []


def test_labelled_resident_questions_are_answered_well_enough(responder: Responder) -> None:
    cases = [case for path in RESIDENT_CASES for case in load_cases(path)]
    # Only the figures are shown on failure: the held-out questions stay unseen while tuning.
    report, _ = evaluate(responder, cases)
    assert report.answer_accuracy >= MIN_ANSWER_ACCURACY, report
    assert report.wrong_answer_rate <= MAX_WRONG_ANSWER_RATE
    assert report.out_of_scope_rejection >= MIN_OUT_OF_SCOPE_REJECTION


def forgetting(corpus: Corpus, questions: Iterable[str]) -> Corpus:
    """`corpus` with `questions` taken out of its asked questions (as filed: redacted)."""
    keys = {key for q in questions for key in (comparable(q), comparable(redact(q)))}

    def kept(asked: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(question for question in asked if comparable(question) not in keys)

    return replace(
        corpus,
        entries=tuple(replace(entry, asked=kept(entry.asked)) for entry in corpus.entries),
        safeguarding=replace(corpus.safeguarding, asked=kept(corpus.safeguarding.asked)),
        elsewhere=tuple(replace(topic, asked=kept(topic.asked)) for topic in corpus.elsewhere),
    )


def test_questions_not_yet_filed_are_answered_well_enough(responder: Responder) -> None:
    results: list[CaseResult] = []
    for path in NOT_YET_FILED:
        cases = load_cases(path)
        unfiled = forgetting(responder.corpus, (case.question for case in cases))
        assert sum(map(len, (e.asked for e in unfiled.entries))) < sum(
            map(len, (e.asked for e in responder.corpus.entries))
        ), path.name
        results += evaluate(Responder(unfiled), cases)[1]
    report = summarise(results)
    assert report.answer_accuracy >= MIN_UNFILED_ANSWER_ACCURACY, report
    assert report.wrong_answer_rate <= MAX_UNFILED_WRONG_ANSWER_RATE, report
    assert report.out_of_scope_rejection >= MIN_UNFILED_OUT_OF_SCOPE_REJECTION, report
    assert report.safeguarding_escalation == 1.0, report


def test_every_tuning_safeguarding_message_gets_the_emergency_reply(
    responder: Responder,
) -> None:
    missed = [
        case.question
        for case in load_cases(RESIDENT_CASES[0])
        if case.expect == "safeguarding"
        and responder.respond("test", case.question).outcome is not Outcome.SAFEGUARDING
    ]
    assert missed == []


@pytest.mark.parametrize("cases_file", RESIDENT_CASES[1:], ids=lambda path: path.stem)
def test_every_held_out_safeguarding_message_gets_the_emergency_reply(
    responder: Responder, cases_file: Path
) -> None:
    cases = [c for c in load_cases(cases_file) if c.expect == "safeguarding"]
    escalated = [
        c for c in cases if responder.respond("test", c.question).outcome is Outcome.SAFEGUARDING
    ]
    # Counts only: the held-out questions stay unseen while tuning.
    assert len(escalated) == len(cases), f"{len(escalated)}/{len(cases)}"


def test_the_emergency_reply_gives_the_verified_numbers(responder: Responder) -> None:
    reply = responder.respond("test", "my neighbour keeps hitting his little boy")
    assert reply.outcome is Outcome.SAFEGUARDING
    for number in (EMERGENCY, SINGLE_POINT_OF_CONTACT, EMERGENCY_DUTY_TEAM):
        assert number in reply.text
    assert PROFESSIONALS_LINE not in reply.text


def test_no_reply_a_resident_can_get_gives_the_professionals_line(responder: Responder) -> None:
    corpus = responder.corpus
    texts = [entry.answer for entry in corpus.entries] + [
        corpus.safeguarding.reply,
        corpus.messages.fallback,
        *(rule.reply for rule in corpus.smalltalk),
    ]
    assert not [text for text in texts if PROFESSIONALS_LINE in text]


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("what is croydons ofsted rating now", "rating-2024"),
        ("latest ofsted rating", "rating-2024"),
        ("what rating did croydon get in 2017", "rating-2017"),
        ("what was the rating in 2020", "rating-2020"),
        ("what was croydons rating in 2019", "rating-2017"),
    ],
)
def test_now_means_the_newest_inspection_and_a_year_means_that_years(
    responder: Responder, question: str, entry_id: str
) -> None:
    reply = responder.respond("test", question)
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, entry_id)


def test_the_current_rating_is_the_2024_one(responder: Responder) -> None:
    corpus = responder.corpus
    ratings = sorted(
        (e for e in corpus.entries if e.topic == "ofsted-rating"), key=lambda e: e.as_of
    )
    assert ratings[-1].as_of.year == 2024
    assert "good" in ratings[-1].answer.lower()


def test_every_dated_answer_says_the_year_it_speaks_of(responder: Responder) -> None:
    undated = [
        entry.id
        for entry in responder.corpus.entries
        if entry.as_of is not None and str(entry.as_of.year) not in entry.answer
    ]
    assert undated == []


def test_every_entry_says_when_it_was_reviewed_and_where_it_comes_from(
    responder: Responder,
) -> None:
    incomplete = [e.id for e in responder.corpus.entries if e.reviewed is None or not e.sources]
    assert incomplete == []


def test_no_answer_calls_the_service_inadequate_in_the_present_tense(
    responder: Responder,
) -> None:
    present = re.compile(r"\b(is|are|remains?)\s+(rated\s+|judged\s+)?['‘\"]?inadequate", re.I)
    assert [e.id for e in responder.corpus.entries if present.search(e.answer)] == []


def test_a_word_many_entries_use_gets_choices_unless_a_year_makes_it_a_question(
    responder: Responder,
) -> None:
    assert responder.respond("test", "ofsted??").outcome is Outcome.SUGGEST
    reply = responder.respond("test", "findings?")
    assert reply.outcome is Outcome.SUGGEST
    # A single word says nothing of when: the newest findings are the first choice.
    assert reply.choices[0].entry_id == "findings-2024"
    reply = responder.respond("test", "rating in 2020??")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "rating-2020")


def test_a_word_staff_wrote_as_an_entrys_whole_wording_is_that_entrys_question(
    responder: Responder,
) -> None:
    # faq/ofsted.yaml lists "ilacs" alone under "What is ILACS?", faq/ratings.yaml "rating"
    # under the current rating; several other entries use each.
    for word, entry_id in (("ilacs", "what-is-ilacs"), ("rating", "rating-2024")):
        assert responder.matcher.entries_with_every_word(responder.matcher.prepare(word)) >= 3
        reply = responder.respond("test", f"{word.upper()}??")
        assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, entry_id)


def test_a_question_about_a_service_a_childs_teacher_mentioned_is_answered(
    responder: Responder,
) -> None:
    # It reads a little like the safeguarding examples ("my son's teacher"), which it is not:
    # they are no rival answer once the message is found not to be a concern.
    reply = responder.respond("test", "my son's teacher told me about early help, what is it")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "early-help")


def test_a_question_told_inside_a_long_story_is_answered(responder: Responder) -> None:
    reply = responder.respond(
        "test",
        "my partner and i are thinking about moving to south croydon next year and someone at "
        "work told us the childrens services were awful, are croydon's children's services "
        "any good now",
    )
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "rating-2024")


def test_asking_what_the_emergency_duty_team_is_gets_its_answer_with_every_number(
    responder: Responder,
) -> None:
    reply = responder.respond("test", "what does the emergency duty team do, is it the police")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "emergency-duty-team")
    for number in (EMERGENCY, SINGLE_POINT_OF_CONTACT, EMERGENCY_DUTY_TEAM):
        assert number in reply.text
