"""Personal data out of residents' messages before anything is written to disk.

Residents write about themselves and their children. The question log keeps only what staff
need to improve the FAQ, so every email address, phone number, postcode, street address, URL
with a query string, card or bank number, NHS or National Insurance number, date (of birth or
otherwise) and name introduced as such is replaced by a tag such as "[email]" before the text
leaves memory.

The patterns lean towards removing too much: a lost word costs staff a little context, a kept
phone number is a breach. They leave alone what questions about Ofsted are made of: years
("in 2017"), month and year ("December 2024"), amounts ("£10 million") and capitalised words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TAGS = (
    "[email]",
    "[phone]",
    "[postcode]",
    "[address]",
    "[url]",
    "[card]",
    "[bank]",
    "[nhs]",
    "[ni]",
    "[date]",
    "[name]",
)

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"

# A URL that carries a query string or fragment: tokens, tracking ids, emails and case numbers
# travel there. A bare address ("www.croydon.gov.uk/ofsted") says what a question is about.
_URL_WITH_QUERY = re.compile(r"(?:https?://|www\.)[^\s?#<>\"']*[?#][^\s<>\"']*", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# +44 20 7946 0958, 0044 7700 900123, +1 (212) 555-0100: a country code, then digit groups.
_INTERNATIONAL_PHONE = re.compile(
    r"(?<![\w+])(?:\+|\b00)\s?\d{1,4}(?:[\s.-]?\(?\d{1,5}\)?){1,6}(?!\d)"
)
# 13 to 19 digits in groups of four (Visa, Mastercard) or 4-6-5 (Amex), or in one run.
_CARD = re.compile(r"(?<![\d+])(?:\d{4}[ -]?\d{6}[ -]?\d{5}|(?:\d{4}[ -]?){3}\d{1,7})(?![\d])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){3,7}(?:\s?[A-Z0-9]{1,3})?\b")
# A sort code (12-34-56) or an account number (eight digits), with or without their label.
_SORT_CODE = re.compile(r"(?<![\d-])\d{2}[- ]\d{2}[- ]\d{2}(?![\d-])")
_ACCOUNT_NUMBER = re.compile(r"(?<![\d])\d{8}(?!\d)")
# 020 7946 0958, (01632) 960001, 07700-900-123: a leading 0 and ten or eleven digits in all.
_UK_PHONE = re.compile(r"(?<![\w+])\(?0\d{2,4}\)?(?:[\s.-]?\d{2,4}){1,4}(?!\d)")
_LABELLED_SORT_CODE = re.compile(
    r"(?P<lead>\bsort\s*code\b[\s:.-]*)\d{2}[- ]?\d{2}[- ]?\d{2}\b", re.I
)
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/.-])")
_ISO_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-\d{1,2}-\d{1,2}(?!\d)")
# "3rd of May 2015", "3 May", "May 3rd, 2015": a day with its month. "May 2015" is not a date of
# anything personal and stays; so does a lone year.
_WORDY_DATE = re.compile(
    rf"\b{_DAY}(?:\s+of)?\s+{_MONTHS}\b\.?(?:,?\s+(?:19|20)\d\d\b)?"
    rf"|\b{_MONTHS}\.?\s+{_DAY}\b(?:,?\s+(?:19|20)\d\d\b)?",
    re.IGNORECASE,
)
# After "born" or "date of birth", even a year or a month and year is a date of birth.
_BIRTH = re.compile(
    rf"\b(?P<lead>(?:born|d\.?o\.?b\.?|date of birth|birthday)\b[\s:,-]*(?:(?:on|in)\s+)?"
    rf"(?:the\s+)?)(?P<date>(?:{_DAY}(?:\s+of)?\s+)?(?:{_MONTHS}\.?\s+)?(?:19|20)\d\d\b"
    rf"|{_DAY}(?:\s+of)?\s+{_MONTHS}\b)",
    re.IGNORECASE,
)
# An NHS number: ten digits, mostly written 3-3-4 ("943 476 5919"). Any ten digits in that shape
# are taken, whatever the check digit: if not an NHS number, they are someone's number anyway.
_NHS_NUMBER = re.compile(r"(?<![\d+])\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)")
# A National Insurance number: two letters, six digits and A, B, C or D ("QQ 12 34 56 C"). Without
# its last letter, or after a word ("is 123456 a"), only with capital letters.
_NATIONAL_INSURANCE = re.compile(
    r"\b(?P<letters>[A-Za-z]{2})\s?\d{2}\s?\d{2}\s?\d{2}(?:\s?(?P<suffix>[A-Da-d]))?\b"
)
# A street address: a house number, one to three words, and a kind of street ("12 Acacia Avenue",
# "45b high st", "Flat 3, 45 High Street"). Kinds that are everyday words too ("a 24 hour
# Drive", "2 family Court hearings") count only with a capital; the words between must not be
# ordinary ones ("3 homes on the road").
_ADDRESS = re.compile(
    r"(?:\b(?i:flat|apartment|apt|unit)\s*\d{1,4}[A-Za-z]?\s*,?\s*)?"
    r"(?<![\w£$€.,/-])\d{1,4}[A-Za-z]?(?:-\d{1,4}[A-Za-z]?)?,?\s+"
    r"(?P<street>(?:[A-Za-z][A-Za-z'’-]*\s+){1,3}?)"
    r"(?:(?i:street|st|road|rd|avenue|ave|lane|crescent|terrace|gardens|grove|mews)"
    r"|Drive|Close|Court|Way|Place|Park|Hill|Rise|Walk|View|Green|Square|Row|Vale|Parade)\b\.?"
)
_POSTCODE = re.compile(
    r"\b(?:GIR\s?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z]\w{3,31}\b")

# Words that may follow "my son" or "called" without being a name.
_NOT_NAMES = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have he her him his
    how i if in into is it its just me my no not now of on or our she so that the their them then
    there they this to too was we were what when where which who why will with would you your
    yet also always aged age only still never currently recently please hi hello thanks
    """.split()
)
_NAME_WORD = r"[A-Za-z][A-Za-z'’-]*"
_RELATIVE = (
    r"(?:son|daughter|child|kid|baby|boy|girl|grandson|granddaughter|grandchild|nephew|niece|"
    r"stepson|stepdaughter|brother|sister|husband|wife|partner|foster\s+(?:child|son|daughter))"
)
# "my name is Sam Jones", "I'm called sam", "known as Sam": whatever the case, the next one to
# three words that are not ordinary words.
_SELF_INTRODUCTION = re.compile(
    r"\b(?P<lead>my\s+name\s+is|my\s+name'?s|name\s*:|i\s*['’]?\s*a?m\s+called|i\s+am\s+called|"
    r"known\s+as)\s+(?P<name>" + _NAME_WORD + r"(?:\s+" + _NAME_WORD + r"){0,2})",
    re.IGNORECASE,
)
# "my son Jake", "my daughter, Amy Smith,": a capitalised word straight after the relative.
_RELATIVE_NAMED = re.compile(
    r"\b(?P<lead>(?i:my|our)\s+(?i:" + _RELATIVE + r")(?:'s)?\s*,?\s+)"
    r"(?P<name>[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)"
)
# "my son is called jake", "our daughter named Amy": any case after "called" or "named".
_RELATIVE_CALLED = re.compile(
    r"\b(?P<lead>(?:my|our)\s+" + _RELATIVE + r"\s*,?\s+(?:who\s+)?(?:is\s+)?"
    r"(?:called|named)\s+)(?P<name>" + _NAME_WORD + r"(?:\s+" + _NAME_WORD + r")?)",
    re.IGNORECASE,
)
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][A-Za-z'’-]+(?:\s+[A-Z][a-z'’-]+)?")


def redact(text: str) -> str:
    """`text` with each piece of personal data replaced by its tag ("[email]", "[phone]"...).

    The order matters: URLs and emails first (they contain digits and "@"), then numbers from
    the most specific shape to the least, then dates, postcodes and names.
    """
    text = _URL_WITH_QUERY.sub("[url]", text)
    text = _EMAIL.sub("[email]", text)
    text = _HANDLE.sub("[name]", text)
    text = _IBAN.sub("[bank]", text)
    text = _NATIONAL_INSURANCE.sub(_national_insurance, text)
    text = _INTERNATIONAL_PHONE.sub(_digits_between(7, 15, "[phone]"), text)
    text = _CARD.sub(_card, text)
    text = _BIRTH.sub(lambda m: m.group("lead") + "[date]", text)
    text = _ISO_DATE.sub("[date]", text)
    text = _LABELLED_SORT_CODE.sub(lambda m: m.group("lead") + "[bank]", text)
    text = _NUMERIC_DATE.sub(_numeric_date, text)
    text = _UK_PHONE.sub(_digits_between(10, 11, "[phone]"), text)
    text = _NHS_NUMBER.sub("[nhs]", text)
    text = _SORT_CODE.sub("[bank]", text)
    text = _ACCOUNT_NUMBER.sub("[bank]", text)
    text = _WORDY_DATE.sub("[date]", text)
    text = _ADDRESS.sub(_address, text)
    text = _POSTCODE.sub("[postcode]", text)
    text = _SELF_INTRODUCTION.sub(_name_after_lead, text)
    text = _RELATIVE_CALLED.sub(_name_after_lead, text)
    text = _RELATIVE_NAMED.sub(_name_after_lead, text)
    text = _TITLED.sub("[name]", text)
    return text


def without_tags(text: str) -> str:
    """Redacted text with its tags removed, for matching: "[name]" is not a word anyone asked."""
    for tag in TAGS:
        text = text.replace(tag, " ")
    return " ".join(text.split())


def _digits_between(fewest: int, most: int, tag: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        digits = sum(character.isdigit() for character in match.group())
        return tag if fewest <= digits <= most else match.group()

    return replace


def _card(match: re.Match[str]) -> str:
    """A card number, unless the digits are a run of years ("2017 2018 2019 2020")."""
    groups = re.split(r"[ -]", match.group())
    if len(groups) > 1 and all(re.fullmatch(r"(?:19|20)\d\d", group) for group in groups):
        return match.group()
    return "[card]"


def _national_insurance(match: re.Match[str]) -> str:
    letters = match.group("letters")
    if letters.isupper() or (match.group("suffix") and letters.lower() not in _NOT_NAMES):
        return "[ni]"
    return match.group()


def _address(match: re.Match[str]) -> str:
    """A street address, unless the words before the kind of street are ordinary words."""
    words = [word.lower().strip("'’") for word in match.group("street").split()]
    return match.group() if any(word in _NOT_NAMES for word in words) else "[address]"


def _numeric_date(match: re.Match[str]) -> str:
    """A day and month in either order (3/12 or 12/3); "12-34-56" is no date (a sort code?)."""
    first, second = (int(part) for part in re.split(r"[/.-]", match.group())[:2])
    is_date = (first <= 31 and 1 <= second <= 12) or (1 <= first <= 12 and second <= 31)
    return "[date]" if is_date and min(first, second) >= 1 else match.group()


def _name_after_lead(match: re.Match[str]) -> str:
    """Keep the words that introduce a name; tag the name, stopping at the first ordinary word.

    "my name is sam and I ..." becomes "my name is [name] and I ...".
    """
    words = match.group("name").split()
    name_words = 0
    for word in words:
        if word.lower().strip("'’") in _NOT_NAMES:
            break
        name_words += 1
    if name_words == 0:
        return match.group()
    rest = " ".join(words[name_words:])
    between = match.string[match.end("lead") : match.start("name")]
    return f"{match.group('lead')}{between}[name]{' ' + rest if rest else ''}"
