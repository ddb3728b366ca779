"""What filing residents' questions (faq/asked.yaml) does for questions not yet filed.

    .venv/bin/python benchmarks/asked_cv.py

Every set filed into faq/asked.yaml is left out in turn: the FAQ as staff wrote it, plus the
questions of every other set (filed by asked_questions.py, less any question the left-out set
also asks), answers the left-out set. The figures are pooled over all the sets, next to the
FAQ with no asked questions at all. Then the style sets, which are never filed, with and without
every filed set's questions. It measures on development data what the next blind sets
measure for real: how much each resident question filed helps the next resident.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from asked_questions import FILED_SETS, curated_faq, file_questions  # noqa: E402
from datasets import CROYDON_FAQ, CROYDON_STYLE_SETS  # noqa: E402
from heldout_figures import line  # noqa: E402

from bot.answering import Responder  # noqa: E402
from bot.evaluation import CaseResult, evaluate, load_cases, summarise  # noqa: E402
from bot.loader import comparable  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=CROYDON_FAQ, help="the FAQ folder")
    arguments = parser.parse_args()
    started = time.perf_counter()
    curated = curated_faq(arguments.faq)
    plain = Responder(curated)
    sets = {path.stem: load_cases(path) for path in FILED_SETS}
    without: list[CaseResult] = []
    left_out: list[CaseResult] = []
    for name, cases in sets.items():
        asked_here = {comparable(case.question) for case in cases}
        others = [
            case
            for other, other_cases in sets.items()
            if other != name
            for case in other_cases
            if comparable(case.question) not in asked_here
        ]
        filed = Responder(curated.with_asked(file_questions(others, curated, plain)))
        report, results = evaluate(filed, cases)
        left_out += results
        without += evaluate(plain, cases)[1]
        print(line(name.removeprefix("cases-"), report))
    print(f"\nAll {len(sets)} sets, each left out in turn ({time.perf_counter() - started:.0f} s):")
    print(line("none", summarise(without)) + "   <- no asked questions")
    print(line("filed", summarise(left_out)) + "   <- the other sets' questions filed")
    styles = [case for path in CROYDON_STYLE_SETS for case in load_cases(path)]
    if styles:
        print(f"\nThe {len(CROYDON_STYLE_SETS)} style sets, never filed:")
        print(line("none", evaluate(plain, styles)[0]) + "   <- no asked questions")
        filed = Responder(
            curated.with_asked(
                file_questions([case for cases in sets.values() for case in cases], curated, plain)
            )
        )
        print(line("filed", evaluate(filed, styles)[0]) + "   <- every filed set's questions")


if __name__ == "__main__":
    main()
