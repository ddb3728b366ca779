"""Cleaning text the fast way gives what the careful way gives, character for character.

Most messages are ASCII, and bot.text cleans those with byte tables; a message cut to the
matched length is cleaned whole and then cut; messages with no "19" or "20" name no year; a
message with no word that starts a synonym is left as it is. Every answer the bot gives rests on
these, so each shortcut is compared with the general path it stands in for.
"""

from __future__ import annotations

import random
import re
import string

from bot.corpus import Synonym
from bot.text import (
    MAX_MATCHED_CHARACTERS,
    Vocabulary,
    _clean,
    _clean_unicode,
    normalise,
    years_named,
)

ASCII = [chr(code) for code in range(128)]


def test_every_ascii_character_is_cleaned_as_the_unicode_path_cleans_it():
    for character in ASCII:
        for text in (character, f"a{character}b", f"Don{character}t 2017{character}"):
            assert _clean(text) == _clean_unicode(text), repr(text)


def test_random_ascii_messages_are_cleaned_as_the_unicode_path_cleans_them():
    rng = random.Random(3)
    for _ in range(20_000):
        text = "".join(rng.choice(ASCII) for _ in range(rng.randrange(30)))
        assert _clean(text) == _clean_unicode(text), repr(text)


def test_apostrophes_ampersands_and_control_characters_are_handled_alike():
    text = "Croydon's\x00 OFSTED\t&\x7fco`s\n report_card ... R&D \x1b[0m"
    assert _clean(text) == _clean_unicode(text) == "croydons ofsted and cos report card r and d 0m"


def test_a_text_cut_to_the_matched_length_is_its_whole_cleaning_cut():
    rng = random.Random(5)
    words = ["ofsted", "Croydon's", "rating?!", "é", "  ", "\u200b", "2017", "ß"]
    for length in (0, 10, MAX_MATCHED_CHARACTERS, 2 * MAX_MATCHED_CHARACTERS, 5_000):
        text = "".join(rng.choice(words) for _ in range(length // 3 + 1))[:length]
        expected = " ".join(_clean_unicode(text[: 2 * MAX_MATCHED_CHARACTERS]).split())
        assert normalise(text) == expected[:MAX_MATCHED_CHARACTERS].strip()
        assert normalise(text, limit=None) == _clean_unicode(text)


def test_only_messages_with_19_or_20_in_them_can_name_a_year():
    year = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
    rng = random.Random(9)
    for _ in range(20_000):
        text = "".join(rng.choice("0123456789 12 20 19 a") for _ in range(rng.randrange(12)))
        assert years_named(text) == [int(found) for found in year.findall(text)], text
    assert years_named("what was the rating in 2017 and in 1999?") == [2017, 1999]


def test_synonyms_are_applied_alike_with_or_without_a_word_that_starts_one():
    vocabulary = Vocabulary(
        [
            Synonym("children's services", ("social services", "social care", "ss")),
            Synonym("inspection", ("visit",)),
        ]
    )
    assert vocabulary.apply("are social services good".split()) == [
        "are",
        "childrens",
        "services",
        "good",
    ]
    assert vocabulary.apply("when is the next visit".split()) == [
        "when",
        "is",
        "the",
        "next",
        "inspection",
    ]
    words = "when are the bins collected".split()
    assert vocabulary.apply(words) == words
    rng = random.Random(1)
    for _ in range(2_000):
        words = [rng.choice(["social", "services", "care", "ss", "visit", "x"]) for _ in range(6)]
        assert vocabulary.apply(words) == applied_one_length_at_a_time(vocabulary, words)


def applied_one_length_at_a_time(vocabulary: Vocabulary, words: list[str]) -> list[str]:
    """The longest variant at each word, trying every length from the longest down."""
    longest = max(len(variant) for variant in vocabulary._replacements)
    result: list[str] = []
    position = 0
    while position < len(words):
        for length in range(min(longest, len(words) - position), 0, -1):
            replacement = vocabulary._replacements.get(tuple(words[position : position + length]))
            if replacement is not None:
                result.extend(replacement)
                position += length
                break
        else:
            result.append(words[position])
            position += 1
    return result


def test_letters_and_digits_are_all_ascii_words_keep():
    kept = {character for character in ASCII if _clean(f"a {character} b") == f"a {character} b"}
    assert kept == set(string.ascii_lowercase + string.digits)
