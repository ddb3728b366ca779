"""A held-out set's figures, and nothing else: no question, no miss, so it stays unseen.

    .venv/bin/python benchmarks/heldout_figures.py 12 13       # sets 12 and 13
    .venv/bin/python benchmarks/heldout_figures.py 12 --faq DIR
    .venv/bin/python benchmarks/heldout_figures.py 14 15       # never run yet: croydon/unrun/

`faqbot eval` lists the misses, which is what staff want and what a blind set must not show
the people tuning the matcher. This prints the figures twice: on every case, and on the
"fresh" cases only, whose question (once cleaned) is in no earlier set and is no FAQ wording.
Helpers writing sets independently repeat common questions word for word ("whats croydons
ofsted rating now"), and a question tuned on before is not a test of new wording.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from datasets import (  # noqa: E402
    CROYDON_FAQ,
    CROYDON_HELDOUT,
    CROYDON_HELDOUT_SETS,
    CROYDON_TUNE,
    CROYDON_UNRUN_SETS,
    set_number,
)

from bot.answering import Responder  # noqa: E402
from bot.evaluation import Case, Report, evaluate, load_cases  # noqa: E402
from bot.text import normalise  # noqa: E402


def earlier_sets(number: int) -> list[Path]:
    """The sets written before held-out set `number`: the tuning set, set 1, then 2 up."""
    return [
        CROYDON_TUNE,
        CROYDON_HELDOUT,
        *(p for p in CROYDON_HELDOUT_SETS if set_number(p) < number),
    ]


def fresh_cases(cases: list[Case], number: int, responder: Responder) -> list[Case]:
    seen = {normalise(c.question) for path in earlier_sets(number) for c in load_cases(path)}
    seen |= {normalise(p) for entry in responder.corpus.entries for p in entry.phrasings}
    return [case for case in cases if normalise(case.question) not in seen]


def line(label: str, report: Report) -> str:
    return (
        f"  {label:5} {report.cases:3} cases ({report.in_scope} in scope, "
        f"{report.out_of_scope} out of scope, {report.safeguarding} safeguarding): "
        f"answered correctly {report.answer_accuracy:.1%}, wrongly {report.wrong_answer_rate:.1%}, "
        f"out of scope not answered {report.out_of_scope_rejection:.1%}, "
        f"suggested {report.suggest_rate:.1%}, "
        f"safeguarding escalated {report.safeguarding_escalation:.1%}, "
        f"false alarms {report.false_alarm_rate:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", type=int, nargs="+", help="held-out set numbers (2 and up)")
    parser.add_argument("--faq", type=Path, default=CROYDON_FAQ, help="the FAQ folder")
    arguments = parser.parse_args()
    responder = Responder.from_directory(arguments.faq)
    paths = {set_number(p): p for p in (*CROYDON_HELDOUT_SETS, *CROYDON_UNRUN_SETS)}
    for number in arguments.sets:
        if number not in paths:
            parser.error(f"there is no held-out set {number} in benchmarks/croydon/")
        cases = load_cases(paths[number])
        print(f"Held-out set {number}:")
        print(line("all", evaluate(responder, cases)[0]))
        print(line("fresh", evaluate(responder, fresh_cases(cases, number, responder))[0]))


if __name__ == "__main__":
    main()
