"""What the responder learns from the elsewhere topics and the safeguarding examples."""

from __future__ import annotations

import dataclasses

import pytest
from test_responder import ENTRIES, MESSAGES, SAFEGUARDING

from bot.answering import Responder
from bot.corpus import Corpus, ElsewhereTopic, Entry
from bot.reply import Outcome

CHILDREN_IN_CARE = Entry(
    id="children-in-care",
    question="How many children are in care in Croydon?",
    alternatives=("number of kids in foster care in croydon", "looked after children numbers"),
    answer="About 800 children are in the council's care.",
)
REPORT_CONCERN = Entry(
    id="report-concern",
    question="How do I report a concern about a child?",
    alternatives=("who do i tell about a family im worried about",),
    answer="Call the Single Point of Contact.",
)
FOSTERING = ElsewhereTopic(
    "fostering",
    (
        "how do i become a foster carer",
        "i want to foster a child",
        "how much do foster carers get paid",
        "can i adopt a child from croydon",
    ),
)
EXAMPLES = (
    "the baby next door cries for hours and nobody ever comes",
    "the toddler upstairs is left crying alone all night",
    "my neighbours little boy is always screaming and the parents shout at him",
    "the children across the road look starving and wear the same dirty clothes",
)


def responder_with(*, elsewhere=(), examples=()) -> Responder:
    corpus = Corpus(
        entries=(*ENTRIES, CHILDREN_IN_CARE, REPORT_CONCERN),
        synonyms=(),
        safeguarding=dataclasses.replace(SAFEGUARDING, examples=examples),
        smalltalk=(),
        messages=MESSAGES,
        elsewhere=elsewhere,
    )
    return Responder(corpus)


@pytest.fixture(scope="module")
def responder() -> Responder:
    return responder_with(elsewhere=(FOSTERING,), examples=EXAMPLES)


def test_a_question_for_another_service_gets_the_honest_fallback(responder: Responder) -> None:
    reply = responder.respond("u1", "how can i become a foster carer in croydon")

    assert reply.outcome is Outcome.UNANSWERED
    assert reply.text == MESSAGES.fallback


def test_elsewhere_topics_are_never_candidates_or_choices(responder: Responder) -> None:
    for text in ("foster carer pay", "fostering", "how can i become a foster carer in croydon"):
        reply = responder.respond("u1", text)
        ids = [c.entry_id for c in reply.candidates] + [c.entry_id for c in reply.choices]
        assert all(responder.corpus.entry(entry_id) is not None for entry_id in ids), text


def test_the_entry_that_shares_words_with_a_topic_is_still_answered(responder: Responder) -> None:
    reply = responder.respond("u1", "how many kids are in care in croydon")

    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "children-in-care")


def test_a_message_like_the_examples_gets_the_emergency_reply_without_a_trigger_word(
    responder: Responder,
) -> None:
    message = "the little one upstairs cries all night and nobody comes to him"
    assert responder_with().respond("u1", message).outcome is not Outcome.SAFEGUARDING

    assert responder.respond("u1", message).outcome is Outcome.SAFEGUARDING


def test_ordinary_questions_do_not_read_like_the_examples(responder: Responder) -> None:
    for text in ("what is ofsted", "ofsted rating 2017", "how many children are in care"):
        assert responder.respond("u1", text).outcome is not Outcome.SAFEGUARDING, text


def test_asking_the_way_the_reporting_entry_is_asked_gets_the_emergency_reply(
    responder: Responder,
) -> None:
    """The entry's own question triggers the emergency reply, so its wordings do too."""
    reply = responder.respond("u1", "who should i tell about a family i am worried about")

    assert reply.outcome is Outcome.SAFEGUARDING
    assert reply.text == SAFEGUARDING.reply


def test_asking_how_to_report_behind_another_services_question_still_gets_the_emergency_reply(
    responder: Responder,
) -> None:
    """The fostering topic reads closest, but asking who to tell is close behind it."""
    message = "i want to become a foster carer, who do i tell about a family im worried about"

    assert responder.respond("u1", message).outcome is Outcome.SAFEGUARDING


def test_another_services_question_with_a_faint_likeness_to_reporting_is_not_an_emergency(
    responder: Responder,
) -> None:
    message = "how much do foster carers get paid"

    assert responder.respond("u1", message).outcome is Outcome.UNANSWERED
