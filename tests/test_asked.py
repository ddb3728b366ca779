"""Residents' questions filed in "asked:" sections: what staff write, their mistakes, and what
the bot learns from them."""

from __future__ import annotations

from pathlib import Path

from test_loader import TODAY, WHAT_IS_OFSTED, errors, faq_folder, warnings, where
from test_responder import ENTRIES, MESSAGES, SAFEGUARDING

from bot.answering import Responder
from bot.corpus import Corpus, ElsewhereTopic
from bot.loader import load_corpus
from bot.reply import Outcome

RATINGS = """\
faqs:
  - id: rating-2020
    question: What was the rating in 2020?
    answer: Good.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2020-03-01
  - id: rating-2024
    question: What is the rating now?
    answer: Still good.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2024-12-03
"""
RATING_2026 = """\
faqs:
  - id: rating-2026
    question: What was the rating in 2026?
    answer: Outstanding.
    reviewed: 2026-10-01
    topic: ofsted-rating
    as_of: 2026-06-01
"""
ELSEWHERE = """\
elsewhere:
  - id: bins
    examples: [when are the bins collected]
"""
ASKED = """\
asked:
  - id: what-is-ofsted
    questions:
      - wot even is ofsted
      - ofsted who r they
  - id: ofsted-rating
    questions:
      - r they still rubbish
  - id: rating-2020
    questions:
      - was it good in 2020 then
  - id: bins
    questions:
      - my wheelie bin never got emptied
  - id: safeguarding
    questions:
      - the boy next door is out on his own every night
"""


def folder_with(tmp_path: Path, asked: str, **more: str) -> Path:
    files = {"ofsted.yaml": WHAT_IS_OFSTED, "ratings.yaml": RATINGS, "elsewhere.yaml": ELSEWHERE}
    return faq_folder(tmp_path, files | {"asked.yaml": asked} | more)


# What the loader makes of them


def test_questions_are_filed_under_the_entry_elsewhere_topic_or_emergency_reply_named(
    tmp_path: Path,
) -> None:
    corpus = load_corpus(folder_with(tmp_path, ASKED), today=TODAY)

    assert corpus.entry("what-is-ofsted").asked == ("wot even is ofsted", "ofsted who r they")
    assert corpus.entry("rating-2020").asked == ("was it good in 2020 then",)
    assert corpus.elsewhere == (
        ElsewhereTopic(
            "bins", ("when are the bins collected",), asked=("my wheelie bin never got emptied",)
        ),
    )
    assert corpus.safeguarding.asked == ("the boy next door is out on his own every night",)


def test_asked_questions_are_kept_apart_from_the_faqs_own_wordings(tmp_path: Path) -> None:
    corpus = load_corpus(folder_with(tmp_path, ASKED), today=TODAY)
    entry = corpus.entry("what-is-ofsted")

    assert entry.alternatives == ()
    assert entry.phrasings == ("What is Ofsted?", "wot even is ofsted", "ofsted who r they")
    assert corpus.without_asked().entry("what-is-ofsted").phrasings == ("What is Ofsted?",)
    assert corpus.without_asked().safeguarding.learned == ()


def test_a_question_filed_under_a_topic_goes_to_its_newest_version(tmp_path: Path) -> None:
    corpus = load_corpus(folder_with(tmp_path, ASKED), today=TODAY)

    assert corpus.entry("rating-2024").asked == ("r they still rubbish",)


def test_a_topics_questions_follow_it_to_the_next_inspections_version(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, ASKED, **{"ratings-2026.yaml": RATING_2026})

    corpus = load_corpus(folder, today=TODAY)

    assert corpus.entry("rating-2026").asked == ("r they still rubbish",)
    assert corpus.entry("rating-2024").asked == ()


# Mistakes


def test_an_id_that_is_nothing_in_the_faq_names_its_line_and_the_nearest_id(
    tmp_path: Path,
) -> None:
    folder = folder_with(tmp_path, ASKED.replace("id: rating-2020", "id: rating-2002"))

    [error] = errors(folder)

    assert where(error) == "asked.yaml:9"
    assert 'no entry, topic or elsewhere topic has the id "rating-2002"' in error.message
    assert 'did you mean "rating-2020"?' in error.message


def test_one_question_filed_under_two_ids_is_an_error(tmp_path: Path) -> None:
    twice = ASKED + "  - id: rating-2020\n    questions:\n      - Wot even is Ofsted?!\n"

    [error] = errors(folder_with(tmp_path, twice))

    assert where(error) == "asked.yaml:20"
    assert "also asked at" in error.message
    assert "could not tell which answer to give" in error.message


def test_a_question_its_entry_already_has_is_an_error_that_says_to_delete_it(
    tmp_path: Path,
) -> None:
    again = ASKED.replace("- ofsted who r they", "- what is ofsted")

    [error] = errors(folder_with(tmp_path, again))

    assert where(error) == "asked.yaml:5"
    assert "gets the same reply there, so delete it here" in error.message


def test_a_topics_question_may_repeat_a_wording_of_an_older_version(tmp_path: Path) -> None:
    repeat = ASKED.replace("- r they still rubbish", "- what was the rating in 2020")

    assert errors(folder_with(tmp_path, repeat)) == []


def test_a_group_without_questions_names_its_line(tmp_path: Path) -> None:
    [error] = errors(folder_with(tmp_path, "asked:\n  - id: what-is-ofsted\n"))

    assert where(error) == "asked.yaml:2"
    assert '"questions"' in error.message


def test_a_misspelt_key_in_a_group_is_named_with_the_right_one(tmp_path: Path) -> None:
    text = "asked:\n  - id: what-is-ofsted\n    question:\n      - wot even is ofsted\n"

    problems = errors(folder_with(tmp_path, text))

    assert any('did you mean "questions"' in problem.message for problem in problems)


def test_a_question_with_personal_data_is_warned_about_with_what_to_keep(
    tmp_path: Path,
) -> None:
    text = "asked:\n  - id: what-is-ofsted\n    questions:\n      - ring me on 07700 900123\n"
    folder = folder_with(tmp_path, text)

    [warning] = warnings(folder)

    assert where(warning) == "asked.yaml:4"
    assert "may hold personal data" in warning.message
    assert '"ring me on [phone]"' in warning.message
    assert errors(folder) == []


# What the bot learns


def corpus_of_entries() -> Corpus:
    return Corpus(
        entries=ENTRIES,
        synonyms=(),
        safeguarding=SAFEGUARDING,
        smalltalk=(),
        messages=MESSAGES,
        elsewhere=(ElsewhereTopic("bins", ("when are the bins collected",)),),
    )


def test_a_resident_worded_like_a_filed_question_gets_its_answer() -> None:
    plain = Responder(corpus_of_entries())
    filed = Responder(
        corpus_of_entries().with_asked(
            {"money-invested": ["how much dosh did the council put in", "wots the damage in quid"]}
        )
    )

    for question in ("how much dosh went in", "wots the damage"):
        assert plain.respond("resident", question).outcome is Outcome.UNANSWERED
        reply = filed.respond("resident", question)
        assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "money-invested"), question


def test_a_now_question_filed_under_the_topic_gets_the_newest_version() -> None:
    filed = Responder(corpus_of_entries().with_asked({"ofsted-rating": ["r they still rubbish"]}))

    reply = filed.respond("resident", "are they still rubbish")

    assert (reply.outcome, reply.entry_id) == (Outcome.ANSWER, "rating-2024")


def test_a_message_filed_under_safeguarding_teaches_the_emergency_reply() -> None:
    message = "the lad downstairs hasnt been fed properly in days"
    plain = Responder(corpus_of_entries())
    filed = Responder(corpus_of_entries().with_asked({"safeguarding": [message]}))

    assert plain.respond("resident", "lad downstairs not fed in days").outcome is not (
        Outcome.SAFEGUARDING
    )
    assert filed.respond("resident", "lad downstairs not fed in days").outcome is (
        Outcome.SAFEGUARDING
    )


def test_a_one_word_message_filed_under_an_entry_still_gets_choices_when_others_use_the_word():
    filed = Responder(corpus_of_entries().with_asked({"what-is-ofsted": ["ofsted = ?"]}))

    assert filed.respond("resident", "ofsted??").outcome is Outcome.SUGGEST


def test_a_message_filed_under_an_elsewhere_topic_that_repeats_an_example_is_not_indexed() -> None:
    # Learnt by the classifier, but left out of the wordings each message is compared with,
    # as for the FAQ's entries (bot/matching.py, NEAR_COPY_COSINE).
    filed = corpus_of_entries().with_asked(
        {"bins": ["When are the bins collected??", "my wheelie bin never got emptied"]}
    )
    indexed = Responder(filed).matcher._phrasing_texts

    assert "my wheelie bin never got emptied" in indexed
    assert indexed.count("when are the bins collected") == 1
