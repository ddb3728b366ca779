"""Accuracy and speed of the matcher and responder, against plain baselines.

    .venv/bin/pip install -e '.[bench]'      # bm25s, for the BM25 baseline
    .venv/bin/python benchmarks/matcher_benchmark.py [--quick]

Prints, for StackFAQ (dev and test) and the Croydon sets (tuning and held-out): top-1 accuracy
of our matcher and of the baselines (rapidfuzz WRatio over questions only; BM25 with a Snowball
stemmer via bm25s), the responder's figures, the time per question (median and p99, one core)
and the index build time; then the time per question on corpora of 1,000 entries.
Figures are recorded by hand in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from collections.abc import Callable, Sequence

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the targets say
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from datasets import (  # noqa: E402
    CROYDON_FAQ,
    CROYDON_HELDOUT,
    CROYDON_HELDOUT_SETS,
    CROYDON_TUNE,
    RetrievalSet,
    set_number,
    stackfaq,
)
from rapidfuzz import process, utils  # noqa: E402

from bot.answering import Responder  # noqa: E402
from bot.corpus import Entry  # noqa: E402
from bot.evaluation import Case, evaluate, load_cases  # noqa: E402
from bot.loader import load_corpus  # noqa: E402
from bot.matching import Matcher  # noqa: E402

logging.getLogger("bm25s").setLevel(logging.WARNING)  # its index-building chatter

Ranker = Callable[[str], list[str]]  # question -> entry ids, best first


def timed(function: Callable[[], object]) -> tuple[object, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def latencies_ms(run: Callable[[str], object], questions: Sequence[str]) -> tuple[float, float]:
    for question in questions[:20]:  # warm caches, as a running bot would have
        run(question)
    times = []
    for question in questions:
        start = time.perf_counter()
        run(question)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def ranking_figures(rank: Ranker, cases: Sequence[Case]) -> tuple[float, float]:
    """P@1 and MRR@10 over cases labelled with an entry id."""
    hits, reciprocal = 0, 0.0
    for case in cases:
        ranked = rank(case.question)[:10]
        hits += bool(ranked) and ranked[0] == case.expect
        if case.expect in ranked:
            reciprocal += 1 / (ranked.index(case.expect) + 1)
    return hits / len(cases), reciprocal / len(cases)


def wratio_ranker(entries: Sequence[Entry]) -> Ranker:
    questions = [entry.question for entry in entries]

    def rank(question: str) -> list[str]:
        found = process.extract(question, questions, processor=utils.default_process, limit=10)
        return [entries[index].id for _, _, index in found]

    return rank


def bm25_ranker(entries: Sequence[Entry]) -> Ranker | None:
    try:
        import bm25s
        import Stemmer
    except ImportError:
        return None
    stemmer = Stemmer.Stemmer("english")
    index = bm25s.BM25()
    index.index(
        bm25s.tokenize(
            [e.question for e in entries], stopwords="en", stemmer=stemmer, show_progress=False
        ),
        show_progress=False,
    )

    def rank(question: str) -> list[str]:
        tokens = bm25s.tokenize([question], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        documents, _ = index.retrieve(tokens, k=min(10, len(entries)), show_progress=False)
        return [entries[i].id for i in documents[0]]

    return rank


def matcher_ranker(matcher: Matcher) -> Ranker:
    return lambda question: [s.entry.id for s in matcher.rank(question, limit=10)]


def report_retrieval(data: RetrievalSet) -> None:
    matcher, build_seconds = timed(lambda: Matcher(data.entries))
    print(f"\n{data.name}: {len(data.entries)} entries, {len(data.cases)} queries")
    print(f"  {'method':<44} {'P@1':>6} {'MRR@10':>7} {'median ms':>10} {'p99 ms':>8}")
    rankers = {
        "faqbot matcher": matcher_ranker(matcher),  # type: ignore[arg-type]
        "rapidfuzz WRatio, questions only": wratio_ranker(data.entries),
        "BM25 + Snowball stemmer (bm25s), questions only": bm25_ranker(data.entries),
    }
    questions = [case.question for case in data.cases]
    for name, rank in rankers.items():
        if rank is None:
            print(f"  {name:<44} (pip install -e '.[bench]' to measure)")
            continue
        p1, mrr = ranking_figures(rank, data.cases)
        median, p99 = latencies_ms(rank, questions)
        print(f"  {name:<44} {p1:6.3f} {mrr:7.3f} {median:10.2f} {p99:8.2f}")
    print(f"  index build: {build_seconds:.2f} s (embedding model already loaded)")


def report_croydon(responder: Responder, name: str, cases: Sequence[Case]) -> None:
    report, _ = evaluate(responder, cases)
    in_scope = [c for c in cases if c.expect not in (None, "safeguarding")]
    print(
        f"\nCroydon {name}: {report.cases} cases ({report.in_scope} in scope, "
        f"{report.out_of_scope} out of scope, {report.safeguarding} safeguarding)"
    )
    print(f"  answered correctly       {report.answer_accuracy:7.1%}")
    print(f"  answered wrongly         {report.wrong_answer_rate:7.1%}")
    print(f"  out of scope not answered {report.out_of_scope_rejection:6.1%}")
    print(f"  suggested instead        {report.suggest_rate:7.1%}")
    print(f"  top-5 recall             {report.top5_recall:7.1%}")
    print(f"  safeguarding escalated   {report.safeguarding_escalation:7.1%}")
    print(f"  safeguarding false alarms {report.false_alarm_rate:6.1%}")
    entries = list(responder.corpus.entries)
    matcher_top1 = sum(
        bool(r.candidates) and r.candidates[0].entry_id == c.expect
        for c in in_scope
        for r in [responder.respond("bench", c.question)]
    ) / len(in_scope)
    print(f"  top-1 of in-scope: faqbot {matcher_top1:.3f}", end="")
    for label, rank in (("WRatio", wratio_ranker(entries)), ("BM25", bm25_ranker(entries))):
        if rank is not None:
            print(f", {label} {ranking_figures(rank, in_scope)[0]:.3f}", end="")
    median, p99 = latencies_ms(lambda q: responder.respond("bench", q), [c.question for c in cases])
    print(f"\n  responder time per question: median {median:.2f} ms, p99 {p99:.2f} ms")


def report_large_corpora(quick: bool) -> None:
    """1,000 entries made from StackFAQ's questions and paraphrases, with 1 and 6 wordings each."""
    dev, test = stackfaq("dev"), stackfaq("test")
    texts = [e.question for e in dev.entries] + [c.question for c in test.cases + dev.cases]
    questions = [c.question for c in dev.cases][: 100 if quick else None]
    print("\nLarge corpora (StackFAQ texts as entries), one core:")
    for wordings in (1, 6):
        entries = [
            Entry(
                id=f"e{n}",
                question=texts[(n * wordings) % len(texts)],
                alternatives=tuple(
                    f"{texts[(n * wordings + k) % len(texts)]} {n}" for k in range(1, wordings)
                ),
                answer="-",
            )
            for n in range(1000)
        ]
        matcher, build_seconds = timed(lambda entries=entries: Matcher(entries))
        median, p99 = latencies_ms(lambda q, m=matcher: m.rank(q), questions)  # type: ignore[misc]
        print(
            f"  1,000 entries x {wordings} wording(s): median {median:.2f} ms, p99 {p99:.2f} ms "
            f"per question; index build {build_seconds:.2f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer questions for the 1,000s")
    arguments = parser.parse_args()

    (_, load_seconds) = timed(lambda: Matcher([Entry("warm-up", "warm up", "-")]))
    print(f"Embedding model load (once per process): {load_seconds:.2f} s")
    for split in ("dev", "test"):
        report_retrieval(stackfaq(split))

    corpus = load_corpus(CROYDON_FAQ)
    responder, build_seconds = timed(lambda: Responder(corpus))
    print(
        f"\nCroydon corpus: {len(corpus.entries)} entries, "
        f"{sum(len(e.phrasings) for e in corpus.entries)} wordings "
        f"({len(responder.matcher._owner)} indexed, with the non-answers' and without the "
        f"near copies); index build {build_seconds:.2f} s"
    )
    report_croydon(responder, "tuning set", load_cases(CROYDON_TUNE))  # type: ignore[arg-type]
    report_croydon(responder, "held-out set", load_cases(CROYDON_HELDOUT))  # type: ignore[arg-type]
    for path in CROYDON_HELDOUT_SETS:
        report_croydon(responder, f"held-out set {set_number(path)}", load_cases(path))  # type: ignore[arg-type]
    report_pooled_time(responder)
    report_large_corpora(arguments.quick)


def report_pooled_time(responder: Responder) -> None:
    """Time per question over every Croydon set, each timed three times, the fastest counted.

    One set's median moves by a third between runs on a shared machine; the fastest of three
    runs of each of a few thousand questions leaves out most of the other jobs' noise.
    """
    questions = list(
        dict.fromkeys(
            case.question
            for path in (CROYDON_TUNE, CROYDON_HELDOUT, *CROYDON_HELDOUT_SETS)
            for case in load_cases(path)
        )
    )
    matcher = responder.matcher
    for label, run in (
        ("matcher", matcher.score),
        ("responder", lambda q: responder.respond("bench", q)),
    ):
        fastest = []
        for question in questions:
            times = []
            for _ in range(3):
                matcher.prepare.cache_clear()  # nothing of the question kept from a run before
                matcher._vector.cache_clear()
                start = time.perf_counter()
                run(question)
                times.append((time.perf_counter() - start) * 1000)
            fastest.append(min(times))
        fastest.sort()
        print(
            f"\nCroydon, {len(questions)} distinct questions of every set, {label}: median "
            f"{statistics.median(fastest):.2f} ms, p99 {fastest[int(len(fastest) * 0.99)]:.2f} ms"
            " (fastest of 3 runs each)",
            end="",
        )
    print()


if __name__ == "__main__":
    main()
