"""`faqbot check`'s warnings that need the matcher: alternatives that would not get their answer."""

from __future__ import annotations

from pathlib import Path

from conftest import write_faq

from bot.content_checks import check_content, misplaced_alternatives
from bot.corpus import Corpus, Entry
from bot.loader import load_corpus

SAFEGUARDING = """\
safeguarding:
  reply: If a child is in danger, call 999.
  phrases: [report a concern]
  child_words: [child, kid]
  harm_words: [abuse, hurt]
"""
MESSAGES = """\
messages:
  fallback: Sorry, I can't answer that. Please contact the council.
  suggest_intro: "Did you mean:"
  empty: Please type a question.
  too_long: That message is very long.
"""
ELSEWHERE = """\
elsewhere:
  - id: bins
    examples:
      - when are the bins collected
      - bin collection day
      - missed bin collection
      - which day do they empty the recycling bins
"""


def faq(ofsted_alternatives: list[str], money_alternatives: list[str]) -> str:
    def listed(alternatives: list[str]) -> str:
        return "".join(f"      - {a}\n" for a in alternatives)

    return (
        "faqs:\n"
        "  - id: what-is-ofsted\n"
        "    question: What is Ofsted?\n"
        "    answer: Ofsted inspects services for children.\n"
        "    reviewed: 2026-11-01\n"
        "    sources: [seed]\n"
        "    alternatives:\n" + listed(ofsted_alternatives) + "  - id: money-invested\n"
        "    question: How much money has the council invested in children's services?\n"
        "    answer: An extra 10 million pounds a year.\n"
        "    reviewed: 2026-11-01\n"
        "    sources: [seed]\n"
        "    alternatives:\n" + listed(money_alternatives)
    )


def faq_folder(tmp_path: Path, faqs: str) -> Path:
    return write_faq(
        tmp_path / "faq",
        {
            "faqs.yaml": faqs,
            "safeguarding.yaml": SAFEGUARDING,
            "messages.yaml": MESSAGES,
            "elsewhere.yaml": ELSEWHERE,
        },
    )


def warnings_for(tmp_path: Path, faqs: str) -> list[str]:
    problems = check_content(faq_folder(tmp_path, faqs))
    assert not [p for p in problems if not p.is_warning]
    return [f"{p.location.file.name}:{p.location.line}: {p.message}" for p in problems]


GOOD_OFSTED = ["who are ofsted", "what does ofsted do"]
GOOD_MONEY = ["how much has been spent on childrens services", "how much was invested"]


def test_alternatives_that_get_their_own_answer_raise_no_warning(tmp_path: Path) -> None:
    assert warnings_for(tmp_path, faq(GOOD_OFSTED, GOOD_MONEY)) == []


def test_an_alternative_closer_to_another_entry_is_named_with_both(tmp_path: Path) -> None:
    money = [*GOOD_MONEY, "who are ofsted and what do they do"]

    warnings = warnings_for(tmp_path, faq(GOOD_OFSTED, money))

    assert any(
        w.startswith("faqs.yaml:18: ")  # the alternative's own line, not its entry's (10)
        and '"who are ofsted and what do they do" of "money-invested"' in w
        and 'closer to the entry "what-is-ofsted"' in w
        for w in warnings
    ), warnings


def test_an_alternative_that_gets_the_emergency_reply_is_warned_about(tmp_path: Path) -> None:
    money = [*GOOD_MONEY, "where do i report a concern about the money"]

    warnings = warnings_for(tmp_path, faq(GOOD_OFSTED, money))

    assert any(
        w.startswith("faqs.yaml:18: ")
        and '"where do i report a concern about the money" of "money-invested" gets the emergency'
        in w
        for w in warnings
    ), warnings


class _MatcherFinding:
    """A matcher whose only finding is one alternative scored a hair closer to another entry."""

    def __init__(self, corpus: Corpus, own: float, rival: float):
        self._finding = (corpus.entries[1], corpus.entries[1].alternatives[0], corpus.entries[0])
        self._scores = (own, rival)

    def confusable_alternatives(self) -> list[tuple[Entry, str, Entry, float, float]]:
        return [(*self._finding, *self._scores)]


def test_a_hair_closer_is_shown_with_the_decimals_that_tell_the_scores_apart(
    tmp_path: Path,
) -> None:
    corpus = load_corpus(faq_folder(tmp_path, faq(GOOD_OFSTED, GOOD_MONEY)))

    def message(own: float, rival: float) -> str:
        matcher = _MatcherFinding(corpus, own, rival)
        [warning] = misplaced_alternatives(corpus, matcher)  # type: ignore[arg-type]
        return warning.message

    assert '"what-is-ofsted" (90) than to its own other wording (72)' in message(72.2, 89.9)
    assert "(83.8) than to its own other wording (83.7)" in message(83.71, 83.76)
    assert "(83.72) than to its own other wording (83.71)" in message(83.711, 83.716)
