"""A linear classifier trained, at load time, on the FAQ's own questions and alternatives.

Similarity to the single closest wording misses what many wordings say together: that "spent",
"invested" and "funding" all point to one entry, and that "grades for each area" means the
judgements, not the overall rating. A regularised least-squares classifier (one-vs-rest ridge
regression, solved in closed form) learns that from every wording at once, over each wording's
embedding and its word stems and stem pairs.

It is solved in its dual (kernel) form, a system the size of the number of wordings whatever
the vocabulary: 0.1 s for the FAQ's own 700 wordings, several seconds once residents' filed
questions take it past 6,000, growing with the cube. The solution is then turned into one
weight vector per feature, so a question costs a few small sums. An `IndexCache` keeps it, so
the next start from the same wordings reads it back instead of solving again.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from bot.index_cache import IndexCache, TrainedWeights

# Chosen on the tuning sets (benchmarks/tune_matcher.py): strong enough to generalise from a
# dozen wordings per entry, weak enough not to memorise them.
REGULARISATION = 0.3


def word_features(stems: Sequence[str]) -> list[str]:
    """Stems and neighbouring stem pairs: "requires improvement" is more than its two words."""
    return [*stems, *(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False))]


def _weight(features: Collection[str]) -> np.float64:
    """Each of a text's features counts 1/sqrt(n), so every text's word vector has length 1.

    A numpy float, so that it makes float32 scores float64, as `scores_many`'s array does.
    """
    return np.float64(1.0 / math.sqrt(len(features)) if features else 0.0)


def training_digest(
    vectors: np.ndarray,
    stems: Sequence[Sequence[str]],
    labels: np.ndarray,
    label_count: int,
    regularisation: float,
) -> str:
    """A digest of everything `_train` reads, this module's code included: equal digests, the
    same training."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"{regularisation!r} {label_count} {vectors.shape} {vectors.dtype}".encode())
    digest.update(np.ascontiguousarray(vectors).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    for wording in stems:
        digest.update("\x1f".join(wording).encode() + b"\x1e")
    return digest.hexdigest()


def _train(
    vectors: np.ndarray,
    stems: Sequence[Sequence[str]],
    labels: np.ndarray,
    label_count: int,
    regularisation: float,
) -> TrainedWeights:
    rows_with: dict[str, list[int]] = defaultdict(list)
    row_weight = np.zeros(len(stems))
    for row, wording in enumerate(stems):
        # In order (dict.fromkeys, not set), so the sums below add up in the same order in
        # every process: a set's order follows Python's per-process string hashing.
        features = dict.fromkeys(word_features(wording))
        row_weight[row] = _weight(features)
        for feature in features:
            rows_with[feature].append(row)
    rows = {f: np.asarray(found, dtype=np.int64) for f, found in rows_with.items()}

    # Similarity of every pair of wordings: embeddings' dot product plus shared features.
    gram = vectors.astype(np.float64) @ vectors.T.astype(np.float64)
    for found in rows.values():
        weights = row_weight[found]
        gram[np.ix_(found, found)] += np.outer(weights, weights)
    gram[np.diag_indices_from(gram)] += regularisation
    targets = np.zeros((len(labels), label_count))
    targets[np.arange(len(labels)), labels] = 1.0
    coefficients = _solve_positive_definite(gram, targets)

    # Back to one weight vector (over the labels) per embedding dimension and per feature.
    feature_weights = np.zeros((len(rows), label_count), dtype=np.float32)
    for n, found in enumerate(rows.values()):
        feature_weights[n] = row_weight[found] @ coefficients[found]
    return TrainedWeights(
        features=tuple(rows),
        vector_weights=(vectors.T @ coefficients).astype(np.float32),
        feature_weights=feature_weights,
    )


# Rows of the triangular factor solved at a time: small blocks for LAPACK, the rest matrix
# products.
_BLOCK = 256


def _solve_positive_definite(matrix: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """`np.linalg.solve(matrix, targets)` for a symmetric positive definite matrix, as the
    regularised Gram matrix is: by its Cholesky factor, which takes over a quarter less time than
    np.linalg.solve's LU factors for the shipped FAQ's ten thousand wordings.

    numpy has no triangular solve, so the two triangular systems are solved a block of rows
    at a time: a small system for the block, a matrix product for everything before it.
    """
    lower = np.linalg.cholesky(matrix)
    size = len(matrix)
    starts = range(0, size, _BLOCK)
    forward = np.empty_like(targets)
    for start in starts:  # lower @ forward = targets
        end = min(start + _BLOCK, size)
        known = targets[start:end] - lower[start:end, :start] @ forward[:start]
        forward[start:end] = np.linalg.solve(lower[start:end, start:end], known)
    upper = lower.T
    solution = np.empty_like(targets)
    for start in reversed(starts):  # upper @ solution = forward
        end = min(start + _BLOCK, size)
        known = forward[start:end] - upper[start:end, end:] @ solution[end:]
        solution[start:end] = np.linalg.solve(upper[start:end, start:end], known)
    return solution


class WordingClassifier:
    """Scores, for a question, each label (an entry, or one topic's versions) from 0 to 1."""

    def __init__(
        self,
        vectors: np.ndarray,
        stems: Sequence[Sequence[str]],
        labels: np.ndarray,
        label_count: int,
        regularisation: float = REGULARISATION,
        cache: IndexCache | None = None,
    ):
        weights = None
        if cache:
            digest = training_digest(vectors, stems, labels, label_count, regularisation)
            weights = cache.load(digest)
        if weights is None:
            weights = _train(vectors, stems, labels, label_count, regularisation)
            if cache:
                cache.store(digest, weights)
        self._vector_weights = weights.vector_weights
        self._feature_index = {feature: n for n, feature in enumerate(weights.features)}
        self._feature_weights = weights.feature_weights

    def scores(self, vector: np.ndarray, stems: Sequence[str]) -> np.ndarray:
        result = vector @ self._vector_weights
        features = dict.fromkeys(word_features(stems))
        index = self._feature_index
        known = [index[f] for f in features if f in index]
        if known:
            # Weighted as in training, counting words the FAQ never uses: a long message
            # with one familiar word is weaker evidence than that word alone.
            added = self._feature_weights.take(known, axis=0).sum(axis=0)
            result = result + _weight(features) * added
        # np.clip's values, in two steps where np.clip takes several.
        return np.minimum(np.maximum(result, 0.0), 1.0)

    def scores_many(self, vectors: np.ndarray, stems: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """`scores` of each question of a batch (a row of `vectors` each), in fewer steps.

        The arithmetic is `scores`' own, question by question: one matrix-vector product each
        (np.matmul makes one per row), the feature weights added one after another in the
        order they are found, float32 scores for a question with no known feature and float64
        for the others. So the scores are the same to the last bit (tests/test_batch_matching).
        """
        results = np.matmul(vectors[:, None, :], self._vector_weights)[:, 0]
        known: list[list[int]] = []
        feature_counts: list[int] = []
        for question_stems in stems:
            features = dict.fromkeys(word_features(question_stems))
            feature_counts.append(len(features))
            known.append([self._feature_index[f] for f in features if f in self._feature_index])
        with_known = [row for row, found in enumerate(known) if found]
        scores: list[np.ndarray] = list(np.clip(results, 0.0, 1.0))
        if with_known:
            weights = 1.0 / np.sqrt(np.asarray([feature_counts[row] for row in with_known]))
            added = self._sum_rows([known[row] for row in with_known])
            combined = np.clip(results[with_known] + weights[:, None] * added, 0.0, 1.0)
            for row, values in zip(with_known, combined, strict=True):
                scores[row] = values
        return scores

    def _sum_rows(self, rows: list[list[int]]) -> np.ndarray:
        """For each list, the weights of its features added up one after another.

        That is the order `sum(axis=0)` adds rows in (np.add.reduceat adds in another), here
        for every list at once: the first features of all lists, then the second...
        """
        longest = max(len(found) for found in rows)
        padded = np.zeros((len(rows), longest), dtype=np.intp)
        for position, found in enumerate(rows):
            padded[position, : len(found)] = found
        counts = np.asarray([len(found) for found in rows])
        total = self._feature_weights[padded[:, 0]]
        for column in range(1, longest):
            more = np.flatnonzero(counts > column)
            total[more] += self._feature_weights[padded[more, column]]
        return total
