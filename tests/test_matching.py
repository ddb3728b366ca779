"""The matcher's parts: cleaning text, spelling, synonyms, the classifier, the ranking."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from rapidfuzz import fuzz

import bot.matching
from bot.classifier import (
    REGULARISATION,
    WordingClassifier,
    _solve_positive_definite,
    word_features,
)
from bot.corpus import Entry, Synonym
from bot.matching import LONG_MESSAGE_WORDS, Matcher
from bot.text import TimeAsked, Vocabulary, normalise, time_asked, years_named

ENTRIES = (
    Entry(
        id="money-invested",
        question="How much money has the council invested in children's services?",
        alternatives=(
            "how much has been spent on improvement",
            "what funding went into childrens social care",
            "extra investment each year",
        ),
        answer="An extra 10 million pounds a year since 2017.",
    ),
    Entry(
        id="staff-numbers",
        question="How many social workers does Croydon have?",
        alternatives=("have they recruited more staff", "number of social care staff"),
        answer="Staff numbers rose by about 40 per cent.",
    ),
    Entry(
        id="camden-partnership",
        question="What is the partnership with Camden?",
        alternatives=("why is camden helping croydon",),
        answer="Camden gave Croydon peer support.",
    ),
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(ENTRIES, [Synonym("childrens services", ("social services", "social care"))])


def test_normalise_lowers_case_and_drops_punctuation_and_apostrophes() -> None:
    assert normalise("  Croydon’s  OFSTED rating?!  ") == "croydons ofsted rating"


def test_normalise_removes_control_and_direction_characters() -> None:
    assert normalise("ofs\x00ted\u202e \x1b rating\u200f") == "ofsted rating"


def test_normalise_of_a_huge_message_is_cut_short() -> None:
    assert len(normalise("word " * 50_000)) <= 2_000
    assert len(normalise("word " * 50_000, limit=None)) > 200_000


def test_years_are_found_only_as_whole_four_digit_years() -> None:
    assert years_named("rating in 2017, or 2020?") == [2017, 2020]
    assert years_named("call 020 8255 2888 or 12017") == []


@pytest.mark.parametrize(
    ("message", "years"),
    [
        ("summary of the oct 24 inspection findings pls", [2024]),
        ("what did they find in '17", [2017]),
        ("What did Ofsted find at its March \u201918 visit?", [2018]),
        ("summer of '18 ofsted letter", [2018]),
        ("anything bad in the december 24 report", [2024]),
        # A bare number is mostly an age; "may" mostly a verb; a day or a range is no year.
        ("my daughter is 15", []),
        ("may 24 hour care be offered", []),
        ("is it open on march 18th", []),
        ("the budget in 18/19", []),
        ("it's 24 hours a day", []),
    ],
)
def test_a_year_in_two_digits_after_an_apostrophe_or_a_month_is_read_in_full(
    message: str, years: list[int]
) -> None:
    assert years_named(message) == years


@pytest.mark.parametrize(
    ("message", "years"),
    [
        ("what did ofsted rate croydon in twenty seventeen", [2017]),
        ("Rated in Two Thousand and Seventeen?", [2017]),
        ("the twenty twenty-four report", [2024]),
        ("twenty twenty four inspection", [2024]),
        ("when they went back in twenty twenty", [2020]),
        ("two thousand eighteen monitoring visit", [2018]),
        # Numbers, not years.
        ("twenty one kids in care", []),
        ("two thousand and five children", []),
        ("two thousand and twenty pounds a year", []),
        ("twenty seventeen hundred", []),
    ],
)
def test_a_year_in_words_is_read_as_one(message: str, years: list[int]) -> None:
    assert years_named(message) == years


def test_a_year_in_words_is_said_of_as_one_in_figures() -> None:
    assert time_asked("rated before twenty twenty four") == time_asked("rated before 2024")
    assert time_asked("better since twenty seventeen?") == time_asked("better since 2017?")


def test_a_two_digit_year_is_said_of_as_a_full_one() -> None:
    assert time_asked("rated before '24") == time_asked("rated before 2024")
    assert time_asked("better since '17?") == time_asked("better since 2017?")


def test_the_time_asked_about_is_the_first_year_and_whether_before_or_since_it() -> None:
    assert time_asked("rating in 2017, or 2020?") == TimeAsked(2017, "in", (2020,))
    assert time_asked("Rated BEFORE the 2024 inspection?") == TimeAsked(2024, "before")
    assert time_asked("what happened after 2017") == TimeAsked(2017, "in")
    assert time_asked("in 2017, before 2020") == TimeAsked(2017, "in", (2020,))
    assert time_asked("better or worse SINCE the 2020 one?") == TimeAsked(2020, "since")
    assert time_asked("rated in 2017, better since 2020?") == TimeAsked(2017, "in", (2020,))
    assert time_asked("what is croydon rated") is None


def test_synonyms_replace_the_longest_phrase_first() -> None:
    vocabulary = Vocabulary(
        [Synonym("childrens services", ("social services",)), Synonym("children", ("kids",))]
    )
    assert vocabulary.apply("are kids social services good".split()) == [
        "are",
        "children",
        "childrens",
        "services",
        "good",
    ]


def test_typos_are_corrected_to_the_faqs_own_words(matcher: Matcher) -> None:
    assert matcher.prepare("partnershp with camdem").words == ["partnership", "with", "camden"]


def test_real_words_the_faq_never_uses_are_left_alone(matcher: Matcher) -> None:
    # "friend" is one letter from nothing here, but "sorted" is close to "spent"-like words:
    # neither may be "corrected" into an FAQ word just for being near it.
    assert matcher.prepare("my friend sorted it").words == ["my", "friend", "sorted", "it"]


def test_resident_words_are_mapped_before_matching(matcher: Matcher) -> None:
    assert matcher.prepare("social services funding").words == [
        "childrens",
        "services",
        "funding",
    ]


def test_the_exact_question_ranks_its_entry_first(matcher: Matcher) -> None:
    for entry in ENTRIES:
        assert matcher.rank(entry.question, limit=1)[0].entry.id == entry.id


def test_a_paraphrase_sharing_words_with_several_wordings_finds_their_entry(
    matcher: Matcher,
) -> None:
    best = matcher.rank("what did they spend on funding improvement", limit=1)[0]
    assert best.entry.id == "money-invested"


def test_scores_run_from_0_to_100_best_first(matcher: Matcher) -> None:
    ranked = matcher.rank("camden", limit=3)
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 100 for score in scores)


def test_a_question_with_no_words_scores_nothing(matcher: Matcher) -> None:
    assert all(r.score == 0 for r in matcher.rank("?!", limit=3))


MISPLACED_ALTERNATIVE = Entry(
    id="camden-partnership",
    question="What is the partnership with Camden?",
    alternatives=("how many social workers does croydon employ",),
    answer="Camden gave Croydon peer support.",
)


@pytest.mark.parametrize("filed", [False, True], ids=["nothing filed", "questions filed"])
def test_an_alternative_closer_to_another_entry_is_reported(filed: bool) -> None:
    # Residents' questions filed sit after each entry's own wordings: the alternative left out
    # of its own entry must be itself, not a filed question of an entry before it.
    first, misplaced = ENTRIES[0], MISPLACED_ALTERNATIVE
    if filed:
        first = replace(first, asked=("when did ofsted come to croydon last",))
        misplaced = replace(misplaced, asked=("whats the camden partnership about",))
    found = Matcher((first, ENTRIES[1], misplaced)).confusable_alternatives()
    pairs = [(entry.id, alternative, rival.id) for entry, alternative, rival, _, _ in found]
    assert (
        "camden-partnership",
        "how many social workers does croydon employ",
        "staff-numbers",
    ) in pairs


def test_a_filed_question_that_says_what_its_entry_says_is_learnt_but_not_indexed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learnt: list[int] = []
    classifier = bot.matching.WordingClassifier

    def counting(vectors, stems, *args, **kwargs):  # type: ignore[no-untyped-def]
        learnt.append(len(stems))
        return classifier(vectors, stems, *args, **kwargs)

    monkeypatch.setattr(bot.matching, "WordingClassifier", counting)
    near_copy = "How many social workers does Croydon have???"
    different = "have they hired anyone new this year"
    staff = replace(ENTRIES[1], asked=(near_copy, different))
    matcher = Matcher((ENTRIES[0], staff))
    staff_wordings = len(ENTRIES[0].phrasings) + len(ENTRIES[1].phrasings)
    assert len(matcher._phrasing_texts) == staff_wordings + 1
    assert matcher.prepare(different).text in matcher._phrasing_texts
    assert learnt == [staff_wordings + 2]


def test_staff_wordings_and_near_copies_from_other_entries_are_always_indexed() -> None:
    # Near copies among an entry's own wordings are staff's choice (the loader reports true
    # duplicates); a question filed under one entry is compared with that entry's alone.
    first = replace(
        ENTRIES[1], alternatives=("how many social workers", "how many social workers?!")
    )
    second = replace(ENTRIES[2], asked=("how many social workers are there",))
    matcher = Matcher((first, second))
    assert len(matcher._phrasing_texts) == len(first.phrasings) + len(second.phrasings)


def test_the_classifier_learns_which_words_belong_to_which_label() -> None:
    stems = [["spend", "money"], ["fund", "money"], ["social", "worker"], ["recruit", "staff"]]
    vectors = np.zeros((4, 2))
    classifier = WordingClassifier(vectors, stems, np.array([0, 0, 1, 1]), 2)
    assert classifier.scores(np.zeros(2), ["fund"]).argmax() == 0
    assert classifier.scores(np.zeros(2), ["staff", "worker"]).argmax() == 1
    assert classifier.scores(np.zeros(2), ["unknown"]).max() == 0.0


@pytest.mark.parametrize("size", [1, 255, 256, 257, 700])
def test_the_classifiers_system_is_solved_as_numpy_solves_it(size: int) -> None:
    # Sizes around the block of rows solved at a time, and several blocks.
    random = np.random.default_rng(size)
    features = random.normal(size=(size, size + 3))
    gram = features @ features.T + REGULARISATION * np.eye(size)
    targets = random.normal(size=(size, 7))
    solved = _solve_positive_definite(gram, targets)
    assert np.allclose(solved, np.linalg.solve(gram, targets), rtol=0, atol=1e-10)


def test_word_features_are_stems_and_neighbouring_pairs() -> None:
    assert word_features(["requir", "improv", "good"]) == [
        "requir",
        "improv",
        "good",
        "requir improv",
        "improv good",
    ]


@pytest.mark.parametrize(
    "question",
    [
        "how much was invested in childrens services",
        "services childrens in invested much how",
        "camden camden partnership",
        "partnershp with camdem",
        "Zürich ÅSA naïve café 日本 語",
        "a",
        "?!",
    ],
)
def test_the_fuzzy_signal_is_rapidfuzz_token_sort_ratio(matcher: Matcher, question: str) -> None:
    # The matcher sorts the words itself, once per phrasing, and asks rapidfuzz for `ratio`.
    prepared = matcher.prepare(question)
    phrasings = [
        matcher.prepare(phrasing).text for entry in ENTRIES for phrasing in entry.phrasings
    ]
    expected = [
        fuzz.token_sort_ratio(prepared.text, phrasing) / 100 if prepared.words else 0.0
        for phrasing in phrasings
    ]
    assert matcher.signals(question)[3].tolist() == pytest.approx(expected, abs=1e-6)


def test_a_long_message_also_gets_token_set_ratio_the_higher_counting(matcher: Matcher) -> None:
    # A question told inside a story: token_sort_ratio counts every word of the story
    # against a wording; token_set_ratio sees the wording's words all there.
    question = (
        "my neighbour and i were chatting over the fence this morning and she asked me "
        "how much was invested in childrens services"
    )
    prepared = matcher.prepare(question)
    assert len(prepared.words) >= LONG_MESSAGE_WORDS
    phrasings = [
        matcher.prepare(phrasing).text for entry in ENTRIES for phrasing in entry.phrasings
    ]
    expected = [
        max(fuzz.token_sort_ratio(prepared.text, p), fuzz.token_set_ratio(prepared.text, p)) / 100
        for p in phrasings
    ]
    assert matcher.signals(question)[3].tolist() == pytest.approx(expected, abs=1e-6)
    assert max(expected) > max(fuzz.token_sort_ratio(prepared.text, p) for p in phrasings) / 100
