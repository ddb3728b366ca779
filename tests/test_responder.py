"""The responder's outcomes on a small hand-made corpus, independent of the shipped content."""

from __future__ import annotations

import math
from datetime import date

import pytest

from bot.answering import Responder, Thresholds
from bot.corpus import (
    Corpus,
    Entry,
    Link,
    Messages,
    SafeguardingRules,
    SmalltalkRule,
    Synonym,
)
from bot.reply import Outcome
from bot.text import asks_about_now

MESSAGES = Messages(
    fallback="Sorry, I don't know. Ask the council at www.croydon.gov.uk.",
    suggest_intro="Did you mean:",
    empty="Please type a question.",
    too_long="That is very long: please ask in a sentence or two.",
)
SAFEGUARDING = SafeguardingRules(
    reply="If a child is in danger call 999.",
    phrases=("report a concern", "worried about a child"),
    child_words=("child", "kid", "son", "daughter"),
    harm_words=("hit", "abuse", "neglect", "danger"),
)


def version(entry_id: str, year: int, rating: str) -> Entry:
    return Entry(
        id=entry_id,
        question=f"What rating did Ofsted give Croydon's children's services in {year}?",
        alternatives=(f"ofsted rating {year}",),
        answer=f"In {year} Ofsted judged the service {rating}.",
        topic="ofsted-rating",
        as_of=date(year, 3, 1),
    )


ENTRIES = (
    Entry(
        id="what-is-ofsted",
        question="What is Ofsted?",
        alternatives=("who are ofsted", "what does ofsted do"),
        answer="Ofsted inspects services for children.",
        links=(Link("Ofsted", "https://www.gov.uk/ofsted"),),
    ),
    Entry(
        id="camden-partnership",
        question="What is the partnership with Camden?",
        alternatives=("why is camden helping croydon",),
        answer="Camden gave Croydon peer support from 2018.",
    ),
    Entry(
        id="money-invested",
        question="How much money has the council invested in children's services?",
        alternatives=("how much has been spent on improving childrens services",),
        answer="An extra 10 million pounds a year since 2017.",
    ),
    Entry(
        id="read-reports",
        question="Where can I read the Ofsted reports?",
        alternatives=("link to the ofsted report",),
        answer="On Ofsted's website.",
    ),
    version("rating-2017", 2017, "inadequate"),
    version("rating-2020", 2020, "good"),
    version("rating-2024", 2024, "good"),
)


def responder_over(entries: tuple[Entry, ...], synonyms: tuple[Synonym, ...] = ()) -> Responder:
    """A responder over these entries alone, with this file's messages and safeguarding rules."""
    return Responder(
        Corpus(
            entries=entries,
            synonyms=synonyms,
            safeguarding=SAFEGUARDING,
            smalltalk=(),
            messages=MESSAGES,
        )
    )


@pytest.fixture(scope="module")
def responder() -> Responder:
    corpus = Corpus(
        entries=ENTRIES,
        synonyms=(Synonym("children", ("kids", "kiddies")), Synonym("ofsted", ("ofstead",))),
        safeguarding=SAFEGUARDING,
        smalltalk=(
            SmalltalkRule(("hi", "hello", "good morning"), "Hello! Ask me about Ofsted."),
            SmalltalkRule(("thanks", "thank you"), "You're welcome."),
        ),
        messages=MESSAGES,
    )
    return Responder(corpus)


def test_a_close_paraphrase_is_answered_with_its_source(responder: Responder) -> None:
    reply = responder.respond("u1", "what exactly is ofsted")
    assert reply.outcome is Outcome.ANSWER
    assert reply.entry_id == "what-is-ofsted"
    assert "Source: Ofsted - https://www.gov.uk/ofsted" in reply.text


def test_typos_and_resident_words_still_find_the_answer(responder: Responder) -> None:
    reply = responder.respond("u1", "how much mony has been spent on the kids services")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "money-invested")


def test_a_question_with_no_year_gets_the_newest_version(responder: Responder) -> None:
    reply = responder.respond("u1", "what is the ofsted rating now")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "rating-2024")


def test_a_question_naming_a_year_gets_that_years_version(responder: Responder) -> None:
    assert responder.respond("u1", "ofstead rating 2017").entry_id == "rating-2017"
    assert responder.respond("u1", "what rating in 2020?").entry_id == "rating-2020"
    assert responder.respond("u1", "what rating in '17?").entry_id == "rating-2017"
    assert responder.respond("u1", "what rating in twenty seventeen").entry_id == "rating-2017"
    after_october = responder.respond("u1", "rating after the oct 20 inspection")
    assert after_october.candidates[0].entry_id == "rating-2020"


def test_a_year_between_versions_gets_the_one_in_force_then(responder: Responder) -> None:
    assert responder.respond("u1", "what was the ofsted rating in 2019").entry_id == "rating-2017"


@pytest.mark.parametrize(
    ("message", "version"),
    [
        ("what were they rated before the 2024 inspection", "rating-2020"),
        ("ofsted rating before 2020", "rating-2017"),
        ("ofsted rating before '20", "rating-2017"),
        # "After" an inspection is its outcome: the rating it gave.
        ("what was the ofsted rating after the 2017 inspection", "rating-2017"),
    ],
)
def test_before_a_year_gets_the_version_in_force_then(
    responder: Responder, message: str, version: str
) -> None:
    assert responder.respond("u1", message).candidates[0].entry_id == version


# A fact known only from 2020 on: the grade for each judgement.
GRADES_2020 = Entry(
    id="judgement-grades-2020",
    question="What grade did Croydon get for each judgement in 2020?",
    alternatives=("croydon's grade for each judgement in 2020",),
    answer="In 2020 each judgement was graded good, one requires improvement.",
    topic="judgement-grades",
    as_of=date(2020, 3, 16),
)


def test_since_a_year_asks_about_the_time_until_now(responder: Responder) -> None:
    reply = responder.respond("u1", "has the ofsted rating changed since 2020")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "rating-2024")
    assert responder.respond("u1", "ofsted rating in 2020").entry_id == "rating-2020"


def test_an_entry_about_another_year_is_no_rival_to_the_year_named() -> None:
    # Years do not count in matching ("rating 2017" and "rating now" are one question about
    # two times), so these two are equally close to a message that names neither.
    responder = responder_over(
        (
            Entry(
                id="action-after-2020",
                question="What did the council do after the 2020 inspection?",
                answer="After the 2020 inspection the council ...",
            ),
            Entry(
                id="action-after-2017",
                question="What did the council do after the 2017 inspection?",
                answer="After the 2017 inspection the council ...",
            ),
        )
    )
    named = responder.respond(
        "u1", "what steps did the council take once the 2020 inspection was over"
    )
    unnamed = responder.respond(
        "u1", "what steps did the council take once the inspection was over"
    )

    assert (named.outcome, named.entry_id) == (Outcome.ANSWER, "action-after-2020")
    assert unnamed.outcome is Outcome.SUGGEST


@pytest.mark.parametrize(
    "message",
    [
        "the one before the latest inspection, what rating did croydon get",
        "what was the ofsted rating before the current one",
        "the inspection before the most recent one: what rating, and how had it changed since 2017",
    ],
)
def test_the_one_before_the_latest_gets_the_version_before_the_newest(
    responder: Responder, message: str
) -> None:
    assert responder.respond("u1", message).candidates[0].entry_id == "rating-2020"


def test_a_year_before_every_version_of_a_fact_never_gets_a_later_version() -> None:
    # Grades for each judgement are known from 2020 on; in 2019 only the 2017 rating speaks.
    responder = responder_over((*ENTRIES, GRADES_2020))

    assert responder.respond("u1", "grade for each judgement in 2020").entry_id == GRADES_2020.id
    reply = responder.respond("u1", "what grade did croydon get for each judgement in 2019")
    assert GRADES_2020.id not in {c.entry_id for c in reply.candidates}


def test_a_year_before_every_version_gives_way_to_a_later_year_named() -> None:
    # "In care in 2016 and 2017": nothing was judged in 2016, the 2017 version speaks of then.
    responder = responder_over((*ENTRIES, GRADES_2020))

    reply = responder.respond("u1", "what grade did croydon get for each judgement in 2019 or 2020")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, GRADES_2020.id)
    assert responder.respond("u1", "ofsted rating in 2016 and 2017").entry_id == "rating-2017"
    # The first year named still comes first when it has a version.
    assert responder.respond("u1", "ofsted rating in 2017 and 2020").entry_id == "rating-2017"


def test_a_word_for_the_present_gets_the_newest_version_though_an_older_one_fits_better() -> None:
    inadequate = Entry(
        id="rating-2017",
        question="Why was Croydon rated inadequate by Ofsted in 2017?",
        alternatives=("why was croydon rated inadequate", "was croydon rated inadequate"),
        answer="In 2017 Ofsted judged the service inadequate.",
        topic="ofsted-rating",
        as_of=date(2017, 9, 1),
    )
    responder = responder_over((*ENTRIES[:4], inadequate, version("rating-2024", 2024, "good")))

    assert responder.respond("u1", "was croydon rated inadequate").entry_id == "rating-2017"
    for message in (
        "is croydon still rated inadequate",
        "is croydon rated inadequate now",
        "latest: was croydon rated inadequate",
        "are they rated inadequate at the moment",
        "is croydon rated inadequate",
    ):
        assert responder.respond("u1", message).entry_id == "rating-2024", message


def test_a_single_word_asks_about_now_though_an_older_version_fits_it_better() -> None:
    older = Entry(
        id="rating-2017",
        question="Rating 2017",
        alternatives=("rating",),
        answer="In 2017 Ofsted judged the service inadequate.",
        topic="ofsted-rating",
        as_of=date(2017, 9, 1),
    )
    newest = Entry(
        id="rating-2024",
        question="What is Croydon's Ofsted rating after its inspection in October 2024?",
        answer="In 2024 Ofsted judged the service good.",
        topic="ofsted-rating",
        as_of=date(2024, 12, 3),
    )
    responder = responder_over((*ENTRIES[:4], older, newest))

    assert responder.respond("u1", "rating?").candidates[0].entry_id == "rating-2024"
    assert responder.respond("u1", "rating 2017").candidates[0].entry_id == "rating-2017"


def test_a_why_question_is_for_an_entry_that_gives_reasons() -> None:
    findings = Entry(
        id="findings-2017",
        question="What did Ofsted find in 2017?",
        alternatives=("why was croydon judged inadequate", "what went wrong in 2017"),
        answer="Ofsted found children were left at risk for too long.",
        topic="inspection-findings",
        as_of=date(2017, 9, 1),
    )
    rating = Entry(
        id="rating-2017",
        question="What rating did Croydon get from Ofsted in 2017?",
        alternatives=("did croydon fail ofsted in 2017",),
        answer="In 2017 Ofsted judged the service inadequate.",
        topic="ofsted-rating",
        as_of=date(2017, 9, 1),
    )
    failing = Synonym("inadequate", ("fail", "failed"))
    responder = responder_over((*ENTRIES[:4], findings, rating), synonyms=(failing,))

    assert responder.respond("u1", "did croydon fail ofsted in 2017").entry_id == "rating-2017"
    reply = responder.respond("u1", "why did croydon fail ofsted in 2017")
    assert reply.candidates[0].entry_id == "findings-2017"
    assert reply.entry_id != "rating-2017"


@pytest.mark.parametrize(
    ("message", "about_now"),
    [
        ("is it still inadequate?", True),
        ("the LATEST report", True),
        ("how are they doing at the moment", True),
        ("current rating", True),
        ("was croydon rated inadequate", False),
        ("what happened in 2017", False),
        ("moment of truth", False),
        ("what is croydon rated", True),
        ("what was croydon rated", False),
        ("what did they find and what is it like", False),
    ],
)
def test_words_for_the_present_are_recognised(message: str, about_now: bool) -> None:
    assert asks_about_now(message) is about_now


@pytest.mark.parametrize(
    ("confidence", "lead", "answers"),
    [
        (50.0, 6.0, True),  # the usual bar
        (49.9, 30.0, False),  # under it, however far ahead, with no second bar
        (50.0, 5.9, False),  # too close to the next entry
    ],
)
def test_an_entry_is_the_answer_when_confident_and_ahead(
    confidence: float, lead: float, answers: bool
) -> None:
    only_the_usual_bar = Thresholds(answer=50.0, lead=6.0, far_ahead_answer=math.inf)
    assert only_the_usual_bar.answers(confidence, lead) is answers


def test_far_ahead_of_the_rest_a_lower_score_answers_too() -> None:
    thresholds = Thresholds(answer=50.0, lead=6.0, far_ahead_answer=45.0, far_ahead_lead=12.0)
    assert thresholds.answers(46.0, 12.0)
    assert not thresholds.answers(46.0, 11.9)
    assert not thresholds.answers(44.9, 40.0)


def test_a_bare_keyword_is_not_answered_at_random(responder: Responder) -> None:
    reply = responder.respond("u1", "ofsted")
    assert reply.outcome in (Outcome.SUGGEST, Outcome.UNANSWERED)
    assert reply.entry is None


def test_suggestions_show_the_human_questions(responder: Responder) -> None:
    reply = responder.respond("u1", "ofsted")
    if reply.outcome is Outcome.SUGGEST:
        assert 1 <= len(reply.choices) <= 3
        questions = {entry.id: entry.question for entry in ENTRIES}
        assert all(choice.question == questions[choice.entry_id] for choice in reply.choices)


def test_an_unrelated_question_gets_the_honest_fallback(responder: Responder) -> None:
    reply = responder.respond("u1", "when is my bin collection day")
    assert reply.outcome is Outcome.UNANSWERED
    assert reply.text == MESSAGES.fallback


@pytest.mark.parametrize(
    "message",
    [
        "my neighbour hits his son every night",
        "I want to report a concern",
        "i think my daughter is being abussed",  # a typo must not hide it
        "what is ofsted? also im worried about a child next door",
    ],
)
def test_a_child_at_risk_gets_the_emergency_reply_whatever_else_matches(
    responder: Responder, message: str
) -> None:
    reply = responder.respond("u1", message)
    assert reply.outcome is Outcome.SAFEGUARDING
    assert reply.text == SAFEGUARDING.reply


def test_a_danger_word_at_the_end_of_a_long_message_is_still_seen(responder: Responder) -> None:
    message = "what is ofsted " * 2000 + " and my son is being hit"
    assert responder.respond("u1", message).outcome is Outcome.SAFEGUARDING


@pytest.mark.parametrize(
    "message",
    [
        "my son is full of anger about ofsted",  # "anger" is a word, not a typo of "danger"
        "what did ofsted say about children in croydon",
        "how much money went to children's services",
    ],
)
def test_ordinary_questions_about_children_are_not_emergencies(
    responder: Responder, message: str
) -> None:
    assert responder.respond("u1", message).outcome is not Outcome.SAFEGUARDING


@pytest.mark.parametrize("message", ["hi", "Hello there!", "thanks so much", "good morning"])
def test_greetings_and_thanks_are_small_talk(responder: Responder, message: str) -> None:
    reply = responder.respond("u1", message)
    assert reply.outcome is Outcome.SMALLTALK
    assert reply.entry is None


def test_a_greeting_before_a_question_does_not_hide_the_question(responder: Responder) -> None:
    reply = responder.respond("u1", "hi, what is the partnership with camden about?")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "camden-partnership")


@pytest.mark.parametrize(
    "message",
    ["", "   ", "\x00\x00", "\u200f\u202e", "🙂🙂🙂", "\x1b\x07", "?!?!"],
)
def test_messages_without_words_get_a_prompt_to_type_a_question(
    responder: Responder, message: str
) -> None:
    reply = responder.respond("u1", message)
    assert reply.outcome is Outcome.UNANSWERED
    assert reply.text == MESSAGES.empty


def test_a_huge_message_is_asked_to_be_shorter(responder: Responder) -> None:
    reply = responder.respond("u1", "tell me about ofsted " * 5000)
    assert reply.outcome is Outcome.UNANSWERED
    assert reply.text == MESSAGES.too_long


@pytest.mark.parametrize(
    "message",
    [
        "ما هو أوفستد؟",
        "שלום מה זה",
        "what is\x00 ofsted",
        "\x1b[31mofsted\x1b[0m",
        "ofsted\u202e rating",
        "Ｏｆｓｔｅｄ ｒａｔｉｎｇ",
    ],
)
def test_odd_text_never_raises(responder: Responder, message: str) -> None:
    assert responder.respond("u1", message).outcome in set(Outcome)


def test_pressing_a_choice_answers_with_that_entry(responder: Responder) -> None:
    reply = responder.answer_entry("camden-partnership")
    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "camden-partnership")


def test_pressing_a_choice_that_no_longer_exists_gets_the_fallback(responder: Responder) -> None:
    reply = responder.answer_entry("removed-entry")
    assert reply.outcome is Outcome.UNANSWERED


def test_every_reply_lists_at_most_five_candidates_best_first(responder: Responder) -> None:
    for message in ("what is ofsted", "ofsted", "bins", "my son is hit"):
        scores = [c.score for c in responder.respond("u1", message).candidates]
        assert len(scores) <= 5
        assert scores == sorted(scores, reverse=True)
        assert all(0 <= score <= 100 for score in scores)
