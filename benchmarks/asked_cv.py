"""What filing residents' questions (faq/asked.yaml) does for questions not yet filed.

    .venv/bin/python benchmarks/asked_cv.py                             # every filed set
    .venv/bin/python benchmarks/asked_cv.py --leave-out 19,21,23,25     # these held-out sets
    .venv/bin/python benchmarks/asked_cv.py --leave-out 19,21,23,25 --unfiled style
    .venv/bin/python benchmarks/asked_cv.py --near-copy-cosine none     # index every one

Each filed set is left out in turn: the FAQ as staff wrote it, plus the questions of every other
set (filed by asked_questions.py, less any question the left-out set also asks), answers the
left-out set. The figures are pooled over the sets, next to the FAQ with no asked questions at
all, and over the held-out and the style sets apart. `--leave-out` names the held-out sets to
leave out (the hard ones, written to avoid stock phrasings, are 19, 21, 23 and 25); `--unfiled`
files no set whose name starts so, to measure what those sets add. It measures on development
data what the next blind sets measure for real: how much each question filed helps the next
resident. `--near-copy-cosine` sets bot.matching.NEAR_COPY_COSINE, to compare the near-copy
rule's figures with those of another closeness, or with every filed question indexed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from asked_questions import FILED_SETS, curated_faq, file_questions  # noqa: E402
from datasets import CROYDON_FAQ  # noqa: E402
from heldout_figures import line  # noqa: E402

import bot.matching  # noqa: E402
from bot.answering import Responder  # noqa: E402
from bot.evaluation import CaseResult, evaluate, load_cases, summarise  # noqa: E402
from bot.loader import comparable  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=CROYDON_FAQ, help="the FAQ folder")
    parser.add_argument("--leave-out", help="held-out set numbers, comma-separated (default all)")
    parser.add_argument("--unfiled", help="file no set whose name starts so (heldout, style)")
    parser.add_argument(
        "--near-copy-cosine",
        help="index filed questions this close to their entry's wordings ('none': all of them)",
    )
    arguments = parser.parse_args()
    if arguments.near_copy_cosine:
        chosen = arguments.near_copy_cosine
        bot.matching.NEAR_COPY_COSINE = None if chosen == "none" else float(chosen)
    started = time.perf_counter()
    curated = curated_faq(arguments.faq)
    plain = Responder(curated)
    sets = {path.stem: load_cases(path) for path in FILED_SETS}
    if arguments.unfiled:
        sets = {n: c for n, c in sets.items() if not n.startswith(f"cases-{arguments.unfiled}")}
    leave_out = list(sets)
    if arguments.leave_out:
        leave_out = [f"cases-heldout-{number}" for number in arguments.leave_out.split(",")]
    without: list[CaseResult] = []
    left_out: list[CaseResult] = []
    results_of: dict[str, list[CaseResult]] = {}
    for name in leave_out:
        cases = sets[name]
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
        results_of[name] = results
        without += evaluate(plain, cases)[1]
        print(line(name.removeprefix("cases-"), report))
    seconds = time.perf_counter() - started
    print(f"\n{len(leave_out)} sets, each left out in turn ({seconds:.0f} s):")
    print(line("none", summarise(without)) + "   <- no asked questions")
    print(line("filed", summarise(left_out)) + "   <- the other sets' questions filed")
    for kind in ("heldout", "style"):
        chosen = [name for name in leave_out if name.startswith(f"cases-{kind}")]
        if chosen:
            picked = [result for name in chosen for result in results_of[name]]
            print(line(f"{kind} ({len(chosen)})", summarise(picked)) + "   <- each left out")


if __name__ == "__main__":
    main()
