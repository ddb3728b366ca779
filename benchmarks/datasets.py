"""The evaluation sets the benchmark and tuning scripts share."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.corpus import Entry, Location  # noqa: E402
from bot.evaluation import Case, load_cases  # noqa: E402

CROYDON_FAQ = ROOT / "faq"
CROYDON_TUNE = ROOT / "benchmarks" / "croydon" / "cases-tune.yaml"
CROYDON_HELDOUT = ROOT / "benchmarks" / "croydon" / "cases-heldout.yaml"


def set_number(path: Path) -> int:
    """A held-out set's number, from its file name: cases-heldout-12.yaml -> 12."""
    return int(path.stem.rsplit("-", 1)[1])


# Held-out sets 2 and up, in the order they were written (each blind, by a helper who saw only
# the entries' questions and answers; benchmarks/README.md says when each was first run and
# which have been read since).
CROYDON_HELDOUT_SETS = sorted(
    (ROOT / "benchmarks" / "croydon").glob("cases-heldout-*.yaml"),
    key=set_number,
)
# Style sets: 160 labelled questions each, written like the held-out sets by helpers told to
# write as one kind of resident (carers, professionals, sceptics, people in a hurry, people
# asking several things, young people, people who mix things up, formal writers, search-box
# and voice-assistant phrasing, English as another language, a reason or an odd date first,
# comparisons and single findings). Filed into asked.yaml with the held-out sets: left out in
# turn, the hard held-out sets (19, 21, 23, 25) gain 3.5 points with them (benchmarks/README.md).
CROYDON_STYLE_SETS = sorted(
    (ROOT / "benchmarks" / "croydon").glob("cases-style-*.yaml"),
    key=set_number,
)
# Written blind and never run. Nothing else reads this folder (not the tests, not the other
# scripts): run a set first with heldout_figures.py, which prints figures only, then move it up
# into benchmarks/croydon/ with the others.
CROYDON_UNRUN_SETS = sorted(
    (ROOT / "benchmarks" / "croydon" / "unrun").glob("cases-heldout-*.yaml"),
    key=set_number,
)
STACKFAQ = ROOT.parent / "shared" / "benchmarks" / "stackfaq"


@dataclass(frozen=True)
class RetrievalSet:
    """A corpus and queries each labelled with the one entry that answers it."""

    name: str
    entries: list[Entry]
    cases: list[Case]


def stackfaq(split: str) -> RetrievalSet:
    """StackFAQ's 125 entries (questions only, no alternatives) and its `dev` or `test` queries."""
    faq_file = STACKFAQ / "faq" / "stackfaq.yaml"
    if not faq_file.exists():
        raise SystemExit(f"StackFAQ not found at {STACKFAQ}: it lives in the shared folder.")
    entries = [
        Entry(id=item["id"], question=item["question"], answer=item["answer"])
        for item in yaml.safe_load(faq_file.read_text(encoding="utf-8"))["faqs"]
    ]
    cases = load_cases(STACKFAQ / f"queries-{split}.yaml")
    return RetrievalSet(f"StackFAQ {split}", entries, cases)


__all__ = [
    "CROYDON_FAQ",
    "CROYDON_HELDOUT",
    "CROYDON_HELDOUT_SETS",
    "CROYDON_STYLE_SETS",
    "CROYDON_UNRUN_SETS",
    "CROYDON_TUNE",
    "Location",
    "set_number",
    "stackfaq",
]
