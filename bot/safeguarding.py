"""Spots messages about a child at risk, so they get the emergency contacts before anything else.

Missing one is far worse than a false alarm, so matching is generous: words are compared by
stem ("hitting" ~ "hit") and long words tolerate a typo ("abussed" ~ "abused").
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process

from bot.corpus import SafeguardingRules
from bot.text import normalise, stem

# Words this long may carry one slip of the finger and still count; shorter ones must be exact
# ("hit" must not match "his").
_FUZZY_FROM_LENGTH = 5
_FUZZY_CUTOFF = 84


class SafeguardingDetector:
    def __init__(
        self, rules: SafeguardingRules, is_common_word: Callable[[str], bool] = lambda _: False
    ):
        # Real words are taken as written: "anger" is not a typo of "danger", nor "other" of
        # "mother". Only words a dictionary lacks are read as slips of the finger.
        self._is_common_word = is_common_word
        self._phrases = {
            tuple(stem(normalise(phrase).split())) for phrase in rules.phrases if normalise(phrase)
        }
        self._phrases.discard(())
        self._phrases_starting: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self._phrases:
            self._phrases_starting.setdefault(phrase[0], []).append(phrase)
        self._child_stems = _stems_of(rules.child_words)
        self._harm_stems = _stems_of(rules.harm_words)
        phrase_words = {word for phrase in self._phrases for word in phrase}
        self._trigger_stems = sorted(
            s
            for s in phrase_words | self._child_stems | self._harm_stems
            if len(s) >= _FUZZY_FROM_LENGTH - 1
        )
        self._all_triggers = phrase_words | self._child_stems | self._harm_stems
        self._as_trigger = functools.lru_cache(maxsize=8192)(self._closest_trigger)

    def _closest_trigger(self, word_stem: str) -> str:
        if len(word_stem) < _FUZZY_FROM_LENGTH - 1 or word_stem in self._trigger_stems:
            return word_stem
        found = process.extractOne(
            word_stem, self._trigger_stems, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF
        )
        return found[0] if found else word_stem

    def is_concern(self, text: str) -> bool:
        """True when the message describes a child at risk or asks how to report one."""
        # The whole message is read, however long: a concern may come at the end of a long story.
        words = normalise(text, limit=None).split()
        stems = [
            s if s in self._all_triggers or self._is_common_word(word) else self._as_trigger(s)
            for word, s in zip(words, stem(words), strict=True)
        ]
        present = set(stems)
        if present & self._child_stems and present & self._harm_stems:
            return True
        return any(
            tuple(stems[start : start + len(phrase)]) == phrase
            for start, word_stem in enumerate(stems)
            for phrase in self._phrases_starting.get(word_stem, ())
        )


def _stems_of(words: Iterable[str]) -> set[str]:
    return {s for word in words for s in stem(normalise(word).split())}
