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
# Written blind on 2026-11-23, after the first held-out set had been looked at in aggregate.
CROYDON_HELDOUT_2 = ROOT / "benchmarks" / "croydon" / "cases-heldout-2.yaml"
# Written blind on 2026-11-23, when set 2's figures had been printed twice.
CROYDON_HELDOUT_3 = ROOT / "benchmarks" / "croydon" / "cases-heldout-3.yaml"
# Written blind on 2026-11-23, when set 3's misses were about to be read.
CROYDON_HELDOUT_4 = ROOT / "benchmarks" / "croydon" / "cases-heldout-4.yaml"
# Written blind on 2026-11-23, when set 4 had been run and one more change was tried.
CROYDON_HELDOUT_5 = ROOT / "benchmarks" / "croydon" / "cases-heldout-5.yaml"
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


__all__ = ["CROYDON_FAQ", "CROYDON_HELDOUT", "CROYDON_TUNE", "Location", "stackfaq"]
