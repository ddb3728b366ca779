"""Files the evaluation sets' labelled questions into faq/asked.yaml, as staff file residents'.

    .venv/bin/python benchmarks/asked_questions.py            # rewrite faq/asked.yaml
    .venv/bin/python benchmarks/asked_questions.py --check    # exit 1 if it is out of date

Each labelled question goes under what it should get, the way faq/README.md tells staff to file
what `faqbot unanswered` shows them:
- an FAQ answer: under its entry's id; under its topic instead when the answer is the topic's
  newest version and the question names no year ("is it still inadequate"), so that it follows
  the topic when staff add the next inspection's version;
- out of scope (`null`): under the elsewhere topic it reads most like;
- `safeguarding`: under "safeguarding".

A question the FAQ already has, word for word (ignoring capitals and punctuation), is left out.
asked_cv.py uses the same filing, leaving one set out at a time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml
from datasets import (
    CROYDON_FAQ,
    CROYDON_HELDOUT,
    CROYDON_HELDOUT_SETS,
    CROYDON_STYLE_SETS,
    CROYDON_TUNE,
)

from bot.answering import ELSEWHERE, Responder
from bot.corpus import ASKED_SAFEGUARDING, Corpus
from bot.evaluation import SAFEGUARDING, Case, load_cases
from bot.loader import comparable, load_corpus
from bot.redaction import redact
from bot.text import years_named

ASKED_FILE = "asked.yaml"
# The sets filed: the tuning set, the held-out sets in the order they were written, then the
# style sets. Sets still in croydon/unrun/ never are.
FILED_SETS = [CROYDON_TUNE, CROYDON_HELDOUT, *CROYDON_HELDOUT_SETS, *CROYDON_STYLE_SETS]

HEADER = """\
# yaml-language-server: $schema=./faq.schema.json
# Questions residents asked, word for word, each filed under what it should get: the id of
# the entry that answers it, a topic (its newest version answers, so "is it still
# inadequate" follows the topic when the next inspection's version is added), an elsewhere
# topic (elsewhere.yaml: the FAQ must not answer it), or "safeguarding" (the emergency reply).
# The bot learns from them as from alternatives: the more real wordings, the more residents
# get the right answer. faq/README.md ("Residents' questions") says how to add more from
# `faqbot unanswered`.
#
# The first ones are the labelled questions of the project's evaluation sets
# (benchmarks/croydon/), filed by benchmarks/asked_questions.py.

"""


def curated_faq(directory: Path) -> Corpus:
    """The FAQ folder's content without its asked questions: what they are filed against."""
    return load_corpus(directory).without_asked()


def file_questions(
    cases: Iterable[Case], corpus: Corpus, responder: Responder | None = None
) -> dict[str, list[str]]:
    """Each case's question under the id it is filed under, in the order of `cases`.

    `responder`, over `corpus`, places out-of-scope questions; one is built if not given.
    """
    responder = responder or Responder(corpus)
    entries = {entry.id: entry for entry in corpus.entries}
    newest = corpus.newest_versions()
    seen = {
        comparable(wording)
        for wording in (
            *(w for entry in corpus.entries for w in entry.phrasings),
            *(w for topic in corpus.elsewhere for w in topic.learned),
            *corpus.safeguarding.learned,
        )
    }
    filed: dict[str, list[str]] = {}
    for case in cases:
        # As `faqbot unanswered` shows residents' questions: with personal data left out.
        question = redact(case.question)
        key = comparable(question)
        if not key or key in seen:
            continue
        seen.add(key)
        if case.expect == SAFEGUARDING:
            target = ASKED_SAFEGUARDING
        elif case.expect is None:
            target = nearest_elsewhere_topic(responder, case.question)
        else:
            entry = entries[case.expect]
            is_newest = entry.topic is not None and newest[entry.topic] is entry
            target = entry.topic if is_newest and not years_named(case.question) else entry.id
        filed.setdefault(target, []).append(question)
    return filed


def nearest_elsewhere_topic(responder: Responder, question: str) -> str:
    """The elsewhere topic whose examples the question reads most like."""
    scores = responder.matcher.entry_scores(question)
    topics = [
        (scores[index], entry.id.removeprefix(ELSEWHERE))
        for index, entry in enumerate(responder.matcher.entries)
        if entry.id.startswith(ELSEWHERE)
    ]
    return max(topics)[1]


def asked_yaml(filed: dict[str, list[str]], corpus: Corpus) -> str:
    """faq/asked.yaml's text: groups in the FAQ's order, elsewhere topics, then safeguarding."""
    order: list[str] = []
    for entry in corpus.entries:
        order += [entry.topic, entry.id] if entry.topic else [entry.id]
    order += [topic.id for topic in corpus.elsewhere]
    order.append(ASKED_SAFEGUARDING)
    assert set(filed) <= set(order), set(filed) - set(order)
    groups = [
        {"id": target, "questions": filed[target]}
        for target in dict.fromkeys(order)
        if target in filed
    ]
    body = yaml.dump(
        {"asked": groups},
        Dumper=_IndentedDumper,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    return HEADER + body


class _IndentedDumper(yaml.SafeDumper):
    """Lists indented under their key, as staff write the other files."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def filed_cases(sets: Sequence[Path]) -> list[Case]:
    return [case for path in sets for case in load_cases(path)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--faq", type=Path, default=CROYDON_FAQ)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args()
    corpus = curated_faq(args.faq)
    text = asked_yaml(file_questions(filed_cases(FILED_SETS), corpus), corpus)
    path = args.faq / ASKED_FILE
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        print(f"{path} is {'up to date' if current == text else 'out of date'}")
        return 0 if current == text else 1
    path.write_text(text, encoding="utf-8")
    count = sum(len(group["questions"]) for group in yaml.safe_load(text)["asked"])
    print(f"wrote {path}: {count} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
