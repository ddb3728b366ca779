"""Turning what residents type into comparable words: case, punctuation, synonyms, stems."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

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


# Big enough that the texts of one batch of the matcher (bot/matching.py) are still here when
# the responder reads them again, both whole and cut to the matched length.
@functools.lru_cache(maxsize=2048)
def normalise(text: str, limit: int | None = MAX_MATCHED_CHARACTERS) -> str:
    """Lower-case words separated by single spaces: "Croydon's  OFSTED!" -> "croydons ofsted".

    `limit` cuts the result to about that many characters (None: the whole text).
    """
    if limit is None:
        return _clean(text)
    if len(text) <= limit * 2:
        # Nothing is cut before cleaning, so this is the whole text's cleaning, cut: the same
        # work as for the callers that read all of it (the safeguarding check), done once.
        return normalise(text, limit=None)[:limit].strip()
    return _clean(text[: limit * 2])[:limit].strip()


# Most messages are ASCII, cleaned here with byte tables rather than Unicode regular
# expressions, five times faster: what the general path deletes (control characters and
# apostrophes) is deleted, "&" spelt out, and every other byte but letters and digits made a
# space. tests/test_text_normalise.py checks that both paths agree on every ASCII character.
_ASCII_DELETED = bytes(code for code in range(128) if code in _INVISIBLE or chr(code) in "'`")
_ASCII_SPACED = bytes(code if chr(code).isalnum() else ord(" ") for code in range(256))


def _clean(text: str) -> str:
    if text.isascii():
        data = text.encode("ascii").translate(None, _ASCII_DELETED).lower()
        data = data.replace(b"&", b" and ").translate(_ASCII_SPACED)
        return b" ".join(data.split()).decode("ascii")
    return _clean_unicode(text)


def _clean_unicode(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_INVISIBLE)
    text = _APOSTROPHES.sub("", text.casefold()).replace("&", " and ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


# A year in two digits: after an apostrophe ("in '17") or a month or season ("the oct 24
# inspection", "summer of 18"). Not a bare number, which is mostly an age ("my daughter is 15"),
# nor "may", which is mostly a verb, nor a day or a range ("march 18th", "18/19").
_SHORT_YEAR = re.compile(
    r"(?:(?<![\w'\u2018\u2019])['\u2018\u2019](?P<clipped>\d\d)"
    r"|\b(?P<when>(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
    r"|january|february|march|april|june|july|august|september|october|november|december"
    r"|spring|summer|autumn|winter)(?P<gap>\s+(?:of\s+)?['\u2018\u2019]?)(?P<year>\d\d))"
    r"\b(?![/:.]\d)",
    re.IGNORECASE,
)


# A year in words, as residents type or dictate it: "twenty seventeen", "twenty twenty-four",
# "two thousand and eighteen". Not "twenty" alone, nor "twenty one", nor "two thousand and
# five", which are mostly numbers, nor anything followed by "hundred" or "pounds".
_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_SPELT_YEAR = re.compile(
    rf"\b(?:twenty[\s-]+(?P<teen>{'|'.join(_TEENS)})"
    rf"|twenty[\s-]+twenty(?:[\s-]+(?P<twenties>{'|'.join(_UNITS)}))?"
    rf"|two[\s-]+thousand(?:[\s-]+and)?[\s-]+(?:(?P<thousand_teen>{'|'.join(_TEENS)})"
    rf"|twenty(?:[\s-]+(?P<thousand_twenties>{'|'.join(_UNITS)}))?))"
    r"\b(?![\s-]+(?:hundred|thousand|million|pounds|quid)\b)",
    re.IGNORECASE,
)


def with_full_years(text: str) -> str:
    """The text with two-digit years and years in words written in full: "the oct 24
    inspection" -> "the oct 2024 inspection", "in '17" -> "in 2017", "twenty twenty" -> "2020"."""
    if any(map(str.isdigit, text)):
        text = _SHORT_YEAR.sub(_full_year, text)
    lowered = text.lower()
    if "twenty" in lowered or "thousand" in lowered:
        text = _SPELT_YEAR.sub(_spelt_year, text)
    return text


def _spelt_year(found: re.Match[str]) -> str:
    teen = found.group("teen") or found.group("thousand_teen")
    if teen:
        return str(2010 + _TEENS.index(teen.lower()))
    unit = found.group("twenties") or found.group("thousand_twenties")
    return str(2020 + (_UNITS.index(unit.lower()) + 1 if unit else 0))


def _full_year(found: re.Match[str]) -> str:
    clipped = found.group("clipped") or found.group("year")
    year = f"{'19' if int(clipped) >= 50 else '20'}{clipped}"
    if found.group("clipped"):
        return year
    return f"{found.group('when')}{found.group('gap')}{year}"


def years_named(text: str) -> list[int]:
    """The years a message names, in order: "rating in 2017?" -> [2017]; "in '17" too."""
    return _four_digit_years(with_full_years(text))


def _four_digit_years(text: str) -> list[int]:
    if "19" not in text and "20" not in text:
        return []  # most messages: no year can start anywhere
    return [int(year) for year in _YEAR.findall(text)]


# "rated before 2024", "before the 2024 inspection": the time asked about is just before the
# year. Not "after": "rated after the 2020 re-inspection" asks for that inspection's rating.
_BEFORE_YEAR = re.compile(r"\b(?:before|prior to) (?:the )?(?:19[5-9]\d|20\d\d)\b")
# "better or worse since 2020", "changed since the 2017 report": the time from the year until
# now, which the newest version speaks of.
_SINCE_YEAR = re.compile(r"\bsince (?:the )?(?:19[5-9]\d|20\d\d)\b")


@dataclass(frozen=True)
class TimeAsked:
    """The first year a message names, and whether it asks about then, before, or since.

    `then` holds the other years named, in order: the time asked about when the first
    precedes every version of a fact ("in care in 2016 and 2017": the 2017 findings).
    """

    year: int
    relation: Literal["in", "before", "since"] = "in"
    then: tuple[int, ...] = ()


def time_asked(text: str) -> TimeAsked | None:
    """"rating in 2017" -> 2017; "rated before the 2024 inspection" -> before 2024; "better
    since 2020" -> since 2020; else None."""
    full = with_full_years(text)
    years = _four_digit_years(full)
    if not years:
        return None
    cleaned = normalise(full)
    relation: Literal["in", "before", "since"] = "in"
    if _said_of(years[0], _BEFORE_YEAR, cleaned):
        relation = "before"
    elif _said_of(years[0], _SINCE_YEAR, cleaned):
        relation = "since"
    return TimeAsked(years[0], relation, tuple(years[1:]))


def _said_of(year: int, pattern: re.Pattern[str], text: str) -> bool:
    """Whether the first phrase `pattern` finds in `text` is about `year`."""
    found = pattern.search(text)
    return found is not None and found.group().endswith(str(year))


# Words that ask about the present: with no year named, the newest version of a fact answers.
_NOW_WORDS = frozenset(
    "now current currently latest newest recent recently still today nowadays presently "
    "anymore yet last".split()
)
_NOW_PHRASES = (" at the moment ", " these days ", " up to date ", " at present ", " so far ")


# Verbs in the present tense, and in the past: "what is croydon rated" asks about now, "what
# was croydon rated" about then.
_PRESENT_VERBS = frozenset("is are isnt arent has have hasnt havent does do doesnt dont".split())
_PAST_VERBS = frozenset("was were wasnt werent had hadnt did didnt used".split())


def asks_about_now(text: str) -> bool:
    """True for "is it still inadequate?", "the latest report", "what is croydon rated"."""
    words = normalise(text).split()
    if not _NOW_WORDS.isdisjoint(words):
        return True
    padded = f" {' '.join(words)} "
    if any(phrase in padded for phrase in _NOW_PHRASES):
        return True
    return not _PRESENT_VERBS.isdisjoint(words) and _PAST_VERBS.isdisjoint(words)


# "the one before the latest inspection", "the inspection before the most recent one": the
# version before the newest, though "latest" and "current" are words for the present.
_BEFORE_THE_LATEST = re.compile(
    r"\bbefore (?:the |this )?(?:latest|most recent|current|newest|last|recent)\b"
)


def asks_before_the_latest(text: str) -> bool:
    """True for "the one before the latest inspection", "the report before the current one"."""
    return _BEFORE_THE_LATEST.search(normalise(text)) is not None


def is_year(word: str) -> bool:
    return len(word) == 4 and _YEAR.fullmatch(word) is not None


def without_years(words: list[str]) -> list[str]:
    """Cleaned words less the years in them, in figures or in words ("twenty seventeen")."""
    if "twenty" in words or "thousand" in words:
        words = _SPELT_YEAR.sub(" ", " ".join(words)).split()
    return [word for word in words if not is_year(word)]


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
        # The lengths of the variants starting with each word, longest first: most words
        # start none, and are passed over without a look-up per length.
        lengths: dict[str, set[int]] = {}
        for words in self._replacements:
            lengths.setdefault(words[0], set()).add(len(words))
        self._lengths_from = {word: sorted(n, reverse=True) for word, n in lengths.items()}

    def apply(self, words: Sequence[str]) -> list[str]:
        if self._lengths_from.keys().isdisjoint(words):
            return list(words)  # most messages: no word starts a variant
        result: list[str] = []
        position = 0
        count = len(words)
        while position < count:
            for length in self._lengths_from.get(words[position], ()):
                if position + length > count:
                    continue
                replacement = self._replacements.get(tuple(words[position : position + length]))
                if replacement is not None:
                    result.extend(replacement)
                    position += length
                    break
            else:
                result.append(words[position])
                position += 1
        return result
