"""Spots messages about a child at risk, so they get the emergency contacts before anything else.

Missing one is far worse than a false alarm, so matching is generous: words are compared by
stem ("hitting" ~ "hit") and words of four letters or more tolerate a typo ("abussed" ~ "abused",
"chlid" ~ "child").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from bot.corpus import SafeguardingRules
from bot.text import normalise, stem

# Words this long may carry one slip of the finger and still count; shorter ones must be exact
# ("hit" must not match "his").
_FUZZY_FROM_LENGTH = 5
_FUZZY_CUTOFF = 84
# A slip of the finger adds, drops or swaps a letter or two: a word whose stem is longer or
# shorter than a trigger's by more than this is another word ("manchester" is not "machete").
# Nor does it change the first letter, which people rarely get wrong ("leeds" is not "bleed").
_FUZZY_LENGTH_GAP = 1
# Nor does it make a word more than two letters longer than the trigger's longest written form:
# "decades" and "dreadful" stem near "dead", and "additionally" near "addict", but are longer
# words, not slips.
_SLIP_EXTRA_LETTERS = 2
# Words whose reading is remembered; past this many they are forgotten and read again.
_READINGS_KEPT = 100_000
# Where a sentence ends: a full stop, question or exclamation mark before a space or the end.
_SENTENCE_END = re.compile(r"[.?!]+(?=\s|$)")


class SafeguardingDetector:
    def __init__(
        self, rules: SafeguardingRules, is_common_word: Callable[[str], bool] = lambda _: False
    ):
        # Real words are taken as written: "anger" is not a typo of "danger", nor "other" of
        # "mother". Only words a dictionary lacks are read as slips of the finger.
        self._is_common_word = is_common_word
        self._phrases = _stemmed(rules.phrases)
        self._phrase_lengths = _lengths_by_first_word(self._phrases)
        self._reassurances = _stemmed(rules.reassurances)
        self._reassurance_lengths = _lengths_by_first_word(self._reassurances)
        self._child_stems = _stems_of(rules.child_words)
        self._harm_stems = _stems_of(rules.harm_words)
        phrase_words = {word for phrase in self._phrases for word in phrase}
        self._trigger_stems = sorted(
            s
            for s in phrase_words | self._child_stems | self._harm_stems
            if len(s) >= _FUZZY_FROM_LENGTH - 1
        )
        self._all_triggers = phrase_words | self._child_stems | self._harm_stems
        # The longest word staff wrote for each trigger stem ("abused" for "abus").
        self._longest_written: dict[str, int] = {}
        for written in (*rules.child_words, *rules.harm_words, *rules.phrases):
            words = normalise(written).split()
            for word, word_stem in zip(words, stem(words), strict=True):
                longest = self._longest_written.get(word_stem, 0)
                self._longest_written[word_stem] = max(longest, len(word))
        # The triggers a stem may be a slip for, by its first letter and length, in the order
        # above.
        lengths = {len(s) for s in self._trigger_stems}
        self._triggers_near = {
            (first, near): [
                s
                for s in self._trigger_stems
                if s[0] == first and abs(len(s) - near) <= _FUZZY_LENGTH_GAP
            ]
            for first in sorted({s[0] for s in self._trigger_stems})
            for near in range(
                min(lengths, default=0) - _FUZZY_LENGTH_GAP,
                max(lengths, default=-_FUZZY_LENGTH_GAP) + _FUZZY_LENGTH_GAP + 1,
            )
        }
        # What each word reads as, kept: most words of a message have been read before.
        self._readings: dict[str, str] = {}

    def _read(self, word: str) -> str:
        """The word's stem, or the trigger it is a slip of the finger for."""
        found = self._readings.get(word)
        if found is None:
            word_stem = stem([word])[0]
            found = word_stem
            near = self._triggers_near_word(word, word_stem)
            if near and self._may_be_a_slip(word, word_stem):
                found = _slips_for([word_stem], near)[0] or word_stem
            self._remember(word, found)
        return found

    def _triggers_near_word(self, word: str, word_stem: str) -> list[str]:
        """The triggers a word may be a slip for: by its stem, and not much longer written."""
        near = self._triggers_near.get(_slip_key(word_stem), ())
        most = len(word) - _SLIP_EXTRA_LETTERS
        return [trigger for trigger in near if self._longest_written.get(trigger, 0) >= most]

    def _may_be_a_slip(self, word: str, word_stem: str) -> bool:
        """A word to compare with the triggers: not one of them, not everyday, long enough."""
        return (
            word_stem not in self._all_triggers
            and not self._is_common_word(word)
            and len(word_stem) >= _FUZZY_FROM_LENGTH - 1
        )

    def read_ahead(self, texts: Iterable[str]) -> None:
        """Read the new words of many messages at once, for `is_concern` to find.

        One rapidfuzz call compares a thousand words with every trigger, where one call per
        word spends most of its time reading the triggers again. `_slips_for` decides for a
        block as for one word, so each word reads as it would alone.
        """
        words = sorted(
            {
                word
                for text in texts
                for word in normalise(text, limit=None).split()
                if word not in self._readings
            }
        )
        # Grouped by the stem's first letter and length and the word's length, each group
        # compared with the triggers near it.
        slips: dict[tuple[str, int, int], list[tuple[str, str]]] = {}
        near_of: dict[tuple[str, int, int], list[str]] = {}
        for word, word_stem in zip(words, stem(words), strict=True):
            key = (*_slip_key(word_stem), len(word))
            if key not in near_of:
                near_of[key] = self._triggers_near_word(word, word_stem)
            if near_of[key] and self._may_be_a_slip(word, word_stem):
                slips.setdefault(key, []).append((word, word_stem))
            else:
                self._remember(word, word_stem)
        for key, group in slips.items():
            near = near_of[key]
            for start in range(0, len(group), 1_000):
                block = group[start : start + 1_000]
                slips = _slips_for([word_stem for _, word_stem in block], near)
                for (word, word_stem), slip in zip(block, slips, strict=True):
                    self._remember(word, slip or word_stem)

    def _remember(self, word: str, reading: str) -> None:
        if len(self._readings) >= _READINGS_KEPT:
            self._readings.clear()  # a bot up for months: start again rather than grow
        self._readings[word] = reading

    def is_concern(self, text: str) -> bool:
        """True when the message describes a child at risk or asks how to report one.

        A child word and a harm word count anywhere in the message; a phrase only within one
        sentence ("the 2020 report? someone told me..." is not "report someone").
        """
        # The whole message is read, however long: a concern may come at the end of a long story.
        readings = self._readings
        sentences = [
            [
                readings[word] if word in readings else self._read(word)
                for word in normalise(sentence, limit=None).split()
            ]
            for sentence in _SENTENCE_END.split(text)
        ]
        if self._reassurances:
            sentences = [self._without_reassurances(stems) for stems in sentences]
        present = {word_stem for stems in sentences for word_stem in stems}
        if present & self._child_stems and present & self._harm_stems:
            return True
        for stems in sentences:
            for start, word_stem in enumerate(stems):
                for length in self._phrase_lengths.get(word_stem, ()):
                    if tuple(stems[start : start + length]) in self._phrases:
                        return True
        return False

    def _without_reassurances(self, stems: list[str]) -> list[str]:
        """A sentence's stems with the reassurances' words blanked ("nobody is in danger")."""
        kept = list(stems)
        for start, word_stem in enumerate(stems):
            for length in self._reassurance_lengths.get(word_stem, ()):
                if tuple(stems[start : start + length]) in self._reassurances:
                    kept[start : start + length] = [""] * length
        return kept


def _stemmed(phrases: Iterable[str]) -> set[tuple[str, ...]]:
    return {tuple(stem(normalise(phrase).split())) for phrase in phrases} - {()}


def _lengths_by_first_word(phrases: set[tuple[str, ...]]) -> dict[str, list[int]]:
    """The lengths of the phrases starting with each stem: a message is looked up in the
    phrases once per length at each of its words, however many phrases share a first word."""
    lengths: dict[str, set[int]] = {}
    for phrase in phrases:
        lengths.setdefault(phrase[0], set()).add(len(phrase))
    return {first: sorted(found) for first, found in lengths.items()}


def _slips_for(word_stems: list[str], near: list[str]) -> list[str | None]:
    """For each stem, the trigger it is a slip of the finger for, or None.

    A slip is close by `fuzz.ratio`, or two neighbouring letters swapped ("chlid", "reprot"):
    one edit where a swap counts as one (OSA), two where it counts as two (Levenshtein).
    fuzz.ratio counts a swap as two edits, too many for a five- or six-letter word. One changed
    letter is not a slip in such a word: "rated" is one letter from "raped". Of the triggers
    a stem may be a slip for, the closest by ratio wins, the first of equals.
    """
    ratios = process.cdist(word_stems, near, scorer=fuzz.ratio, workers=1)
    swaps = process.cdist(word_stems, near, scorer=OSA.distance, workers=1)
    changes = process.cdist(word_stems, near, scorer=Levenshtein.distance, workers=1)
    swapped = (swaps == 1) & (changes == 2)
    allowed = np.where((ratios >= _FUZZY_CUTOFF) | swapped, ratios, -1.0)
    best = allowed.argmax(axis=1)
    return [
        near[column] if allowed[row, column] >= 0 else None
        for row, column in enumerate(best.tolist())
    ]


def _slip_key(word_stem: str) -> tuple[str, int]:
    """Where in `_triggers_near` the triggers a stem may be a slip for are."""
    return word_stem[:1], len(word_stem)


def _stems_of(words: Iterable[str]) -> set[str]:
    return {s for word in words for s in stem(normalise(word).split())}
