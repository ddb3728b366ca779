"""Choose the matcher's signal weights and the responder's thresholds on the tuning sets only.

    .venv/bin/python benchmarks/tune_matcher.py

Weights are scored by top-1 accuracy on StackFAQ dev and the Croydon tuning set together;
thresholds by the Croydon tuning set's answer accuracy, subject to the targets for wrong
answers and out-of-scope rejection. The held-out sets are never read here. The chosen values
are copied into bot/matching.py (Weights) and bot/answering.py (Thresholds) by hand.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
from datasets import CROYDON_FAQ, CROYDON_TUNE, stackfaq

from bot.answering import Responder, Thresholds
from bot.evaluation import evaluate, load_cases
from bot.loader import load_corpus
from bot.matching import SIGNALS, Matcher, Weights


def cache_signals(matcher: Matcher) -> None:
    """Signals don't depend on the weights: compute each question's once for the whole grid.

    The cache holds the fuzzy signal of every phrasing; the shipped matcher computes it only
    for its shortlist, which changes nothing near the top of the ranking.
    """
    signals = functools.lru_cache(maxsize=None)(matcher.signals)
    matcher.phrasing_scores = lambda question: matcher._weight_vector @ signals(question)  # type: ignore[method-assign]


def top1(matcher: Matcher, cases) -> float:
    ids = [entry.id for entry in matcher.entries]
    hits = 0
    for case in cases:
        best = matcher.rank(case.question, limit=1)[0]
        hits += ids.index(best.entry.id) == ids.index(case.expect)
    return hits / len(cases)


def main() -> None:
    stack = stackfaq("dev")
    stack_matcher = Matcher(stack.entries)
    cache_signals(stack_matcher)

    corpus = load_corpus(CROYDON_FAQ)
    responder = Responder(corpus)
    cache_signals(responder.matcher)
    croydon_cases = load_cases(CROYDON_TUNE)
    in_scope = [c for c in croydon_cases if c.expect not in (None, "safeguarding")]

    print("Each signal alone (top-1):")
    for name in SIGNALS:
        alone = Weights(**{other: float(other == name) for other in SIGNALS})
        stack_matcher.weights = responder.matcher.weights = alone
        print(
            f"  {name:<18} StackFAQ dev {top1(stack_matcher, stack.cases):.3f}  "
            f"Croydon tune {_croydon_top1(responder, in_scope):.3f}"
        )

    grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    results = []
    for coverage, phrasing, fuzzy in itertools.product(grid, grid, grid):
        weights = Weights(1.0, coverage, phrasing, fuzzy)
        stack_matcher.weights = responder.matcher.weights = weights
        stack_score = top1(stack_matcher, stack.cases)
        croydon_score = _croydon_top1(responder, in_scope)
        results.append(((stack_score + croydon_score) / 2, stack_score, croydon_score, weights))
    results.sort(key=lambda row: row[:3], reverse=True)
    print("\nBest weights (embedding fixed at 1.0), mean of the two top-1 scores:")
    for mean, stack_score, croydon_score, weights in results[:8]:
        print(
            f"  {mean:.3f}  StackFAQ dev {stack_score:.3f}  Croydon tune {croydon_score:.3f}  "
            f"{weights}"
        )

    chosen = Weights()
    responder.matcher.weights = chosen
    print(f"\nThresholds on the Croydon tuning set, with the shipped weights {chosen}:")
    rows = []
    for answer, lead, suggest in itertools.product(
        np.arange(50, 80, 2.0), [0.0, 2.0, 4.0, 6.0, 8.0], np.arange(36, 60, 2.0)
    ):
        if suggest > answer:
            continue
        responder.thresholds = Thresholds(answer=answer, lead=lead, suggest=suggest)
        report, _ = evaluate(responder, croydon_cases)
        meets = report.wrong_answer_rate <= 0.02 and report.out_of_scope_rejection >= 0.95
        rows.append(
            (meets, report.answer_accuracy, -report.suggest_rate, answer, lead, suggest, report)
        )
    rows.sort(key=lambda row: row[:3], reverse=True)
    for meets, accuracy, _, answer, lead, suggest, report in rows[:10]:
        print(
            f"  answer>={answer:.0f} lead>={lead:.0f} suggest>={suggest:.0f}: "
            f"accuracy {accuracy:.3f} wrong {report.wrong_answer_rate:.3f} "
            f"out-of-scope {report.out_of_scope_rejection:.3f} "
            f"suggest {report.suggest_rate:.3f} {'meets targets' if meets else ''}"
        )


def _croydon_top1(responder: Responder, cases) -> float:
    hits = 0
    for case in cases:
        reply = responder.respond("tune", case.question)
        hits += bool(reply.candidates) and reply.candidates[0].entry_id == case.expect
    return hits / len(cases)


if __name__ == "__main__":
    main()
