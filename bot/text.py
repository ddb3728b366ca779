"""Turning what residents type into comparable words: case, punctuation, synonyms, stems."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import Stemmer

from bot.corpus import Synonym

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NOT_WORD = re.compile(r"[^\w]+|_")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")

# Residents paste long messages; nothing useful to matching lies beyond this many characters, and
# cutting early keeps a 100 KB message from costing more than a normal one.
MAX_MATCHED_CHARACTERS = 2_000

_stemmer = Stemmer.Stemmer("english")


def _invisible_characters() -> dict[int, None]:
    """Control and formatting characters (NUL, escape, right-to-left marks...), to delete."""
    codes = itertools.chain(range(0x10000), range(0xE0000, 0xE0080))
    return {
        code: None
        for code in codes
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs", "Co") and chr(code) not in "\t\n"
    }


_INVISIBLE = _invisible_characters()


@functools.lru_cache(maxsize=512)
def normalise(text: str, limit: int | None = MAX_MATCHED_CHARACTERS) -> str:
    """Lower-case words separated by single spaces: "Croydon's  OFSTED!" -> "croydons ofsted".

    `limit` cuts the result to about that many characters (None: the whole text).
    """
    if limit is not None:
        text = text[: limit * 2]
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE)
    text = _APOSTROPHES.sub("", text.casefold()).replace("&", " and ")
    words = " ".join(_NOT_WORD.sub(" ", text).split())
    return words if limit is None else words[:limit].strip()


def years_named(text: str) -> list[int]:
    """Four-digit years a message names, in order: "rating in 2017?" -> [2017]."""
    return [int(year) for year in _YEAR.findall(text)]


def is_year(word: str) -> bool:
    return _YEAR.fullmatch(word) is not None


def stem(words: Sequence[str]) -> list[str]:
    return _stemmer.stemWords(list(words))


class Vocabulary:
    """Resident words -> the FAQ's words, applied alike to questions and to the corpus.

    Variants may be phrases ("social services"); the longest variant starting at a word wins.
    """

    def __init__(self, synonyms: Iterable[Synonym]):
        self._replacements: dict[tuple[str, ...], tuple[str, ...]] = {}
        for synonym in synonyms:
            canonical = tuple(normalise(synonym.canonical).split())
            for variant in synonym.variants:
                words = tuple(normalise(variant).split())
                if words and words != canonical:
                    self._replacements[words] = canonical
        self._longest = max((len(words) for words in self._replacements), default=0)

    def apply(self, words: Sequence[str]) -> list[str]:
        result: list[str] = []
        position = 0
        while position < len(words):
            for length in range(min(self._longest, len(words) - position), 0, -1):
                replacement = self._replacements.get(tuple(words[position : position + length]))
                if replacement is not None:
                    result.extend(replacement)
                    position += length
                    break
            else:
                result.append(words[position])
                position += 1
        return result
