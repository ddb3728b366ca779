"""A linear classifier trained, at load time, on the FAQ's own questions and alternatives.

Similarity to the single closest wording misses what many wordings say together: that "spent",
"invested" and "funding" all point to one entry, and that "grades for each area" means the
judgements, not the overall rating. A regularised least-squares classifier (one-vs-rest ridge
regression, solved in closed form) learns that from every wording at once, over each wording's
embedding and its word stems and stem pairs.

It is solved in its dual (kernel) form, a system the size of the number of wordings whatever
the vocabulary: 0.1 s for the Croydon FAQ's 700 wordings, about 8 s for 6,000. The solution is
then turned into one weight vector per feature, so a question costs a few small sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

# Chosen on the tuning sets (benchmarks/tune_matcher.py): strong enough to generalise from a
# dozen wordings per entry, weak enough not to memorise them.
REGULARISATION = 0.3


def word_features(stems: Sequence[str]) -> list[str]:
    """Stems and neighbouring stem pairs: "requires improvement" is more than its two words."""
    return [*stems, *(f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False))]


def _weight(features: set[str]) -> float:
    """Each of a text's features counts 1/sqrt(n), so every text's word vector has length 1."""
    return 1.0 / np.sqrt(len(features)) if features else 0.0


class WordingClassifier:
    """Scores, for a question, each label (an entry, or one topic's versions) from 0 to 1."""

    def __init__(
        self,
        vectors: np.ndarray,
        stems: Sequence[Sequence[str]],
        labels: np.ndarray,
        label_count: int,
        regularisation: float = REGULARISATION,
    ):
        rows_with: dict[str, list[int]] = defaultdict(list)
        self._row_weight = np.zeros(len(stems))
        for row, wording in enumerate(stems):
            features = set(word_features(wording))
            self._row_weight[row] = _weight(features)
            for feature in features:
                rows_with[feature].append(row)
        self._rows = {f: np.asarray(rows, dtype=np.int64) for f, rows in rows_with.items()}

        # Similarity of every pair of wordings: embeddings' dot product plus shared features.
        gram = vectors.astype(np.float64) @ vectors.T.astype(np.float64)
        for rows in self._rows.values():
            weights = self._row_weight[rows]
            gram[np.ix_(rows, rows)] += np.outer(weights, weights)
        gram[np.diag_indices_from(gram)] += regularisation
        targets = np.zeros((len(labels), label_count))
        targets[np.arange(len(labels)), labels] = 1.0
        coefficients = np.linalg.solve(gram, targets)

        # Back to one weight vector (over the labels) per embedding dimension and per feature.
        self._vector_weights = (vectors.T @ coefficients).astype(np.float32)
        self._feature_index = {feature: n for n, feature in enumerate(self._rows)}
        self._feature_weights = np.zeros((len(self._rows), label_count), dtype=np.float32)
        for n, rows in enumerate(self._rows.values()):
            self._feature_weights[n] = self._row_weight[rows] @ coefficients[rows]

    def scores(self, vector: np.ndarray, stems: Sequence[str]) -> np.ndarray:
        result = vector @ self._vector_weights
        features = set(word_features(stems))
        known = [self._feature_index[f] for f in features if f in self._feature_index]
        if known:
            # Weighted as in training, counting words the FAQ never uses: a long message
            # with one familiar word is weaker evidence than that word alone.
            result = result + _weight(features) * self._feature_weights[known].sum(axis=0)
        return np.clip(result, 0.0, 1.0)
