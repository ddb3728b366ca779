"""Every process gives a question the same scores, to the last bit.

Python orders a set of strings by a hash it seeds afresh in each process, so sums taken over a
set of stems could add up in another order, and a score near a threshold could answer in one
run and not in the next. The matcher and classifier keep their words in the order they come.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The shipped FAQ with every fourth of the residents' questions filed in it: each kind of
# wording and every step of training, in a tenth of the time all of them take (training
# grows with the cube of the wordings).
SCORES_DIGEST = """
import hashlib, sys
from dataclasses import replace
from pathlib import Path
import yaml
from bot.answering import Responder
from bot.loader import load_corpus
questions = [
    case["question"]
    for path in sorted(Path("benchmarks/croydon").glob("cases-*.yaml"))
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
]
corpus = load_corpus(Path("faq"))
corpus = replace(
    corpus,
    entries=tuple(replace(entry, asked=entry.asked[::4]) for entry in corpus.entries),
    safeguarding=replace(corpus.safeguarding, asked=corpus.safeguarding.asked[::4]),
    elsewhere=tuple(replace(topic, asked=topic.asked[::4]) for topic in corpus.elsewhere),
)
assert sum(len(entry.asked) for entry in corpus.entries) > 1000
digest = hashlib.sha256()
for scores in Responder(corpus).matcher.score_many(questions):
    digest.update(scores.entry_scores.tobytes())
print(len(questions), digest.hexdigest())
"""


def scoring_process(hash_seed: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", SCORES_DIGEST],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def scores_digest(process: subprocess.Popen[str]) -> str:
    output, errors = process.communicate(timeout=600)
    assert process.returncode == 0, errors
    return output


def test_two_processes_with_different_string_hashing_score_every_question_alike():
    # Both at once: each trains the shipped FAQ's index from scratch, on a core of its own.
    processes = scoring_process("1"), scoring_process("2")
    first, second = (scores_digest(process) for process in processes)
    assert int(first.split()[0]) > 300
    assert first == second
