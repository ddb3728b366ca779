"""The embedder tokenises each word once and still gives every text WordLlama's own vector.

bot.embedding keeps each word's tokens and averages a batch's token vectors in one pass. Both
must give, to the last bit, what tokenising the whole text and averaging its vectors gave.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.embedding import Embedder, shared_embedder
from bot.text import normalise

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return shared_embedder()


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The FAQ's own wordings and residents' questions, cleaned, with typos, and odd ones."""
    rng = random.Random(2)
    found = []
    for path in sorted((ROOT / "faq").glob("*.yaml")):
        for entry in (yaml.safe_load(path.read_text("utf-8")) or {}).get("faqs") or []:
            found += [entry["question"], *entry.get("alternatives", [])]
    for path in sorted((ROOT / "benchmarks" / "croydon").glob("cases-*.yaml")):
        found += [case["question"] for case in yaml.safe_load(path.read_text("utf-8"))["cases"]]
    cleaned = [normalise(text) for text in found]
    misspelt = ["".join(rng.sample(text, len(text))) for text in rng.sample(cleaned, 200)]
    odd = ["", " ", "a  b", " leading", "trailing ", "<s> ofsted", "\u2581rating", "tab\there"]
    return cleaned + misspelt + odd + ["ünïcödé wörds", "日本語 ofsted", "ofsted " * 400]


def whole_text_vectors(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Each text tokenised whole and its token vectors averaged, as before words were kept."""
    vectors = np.zeros((len(texts), embedder._table.shape[1]), dtype=np.float32)
    for row, encoding in enumerate(
        embedder._tokenizer.encode_batch(texts, add_special_tokens=False)
    ):
        if encoding.ids:
            vectors[row] = embedder._table[encoding.ids].mean(axis=0)
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


def test_a_texts_tokens_are_its_words_tokens_one_after_another(
    embedder: Embedder, texts: list[str]
):
    for text in texts:
        whole = embedder._tokenizer.encode(text, add_special_tokens=False).ids
        assert embedder._token_ids(text) == whole, text[:80]


def test_a_batch_of_texts_gets_the_vectors_of_each_text_tokenised_whole(
    embedder: Embedder, texts: list[str]
):
    assert np.array_equal(embedder.embed(texts), whole_text_vectors(embedder, texts))
    for text in texts[:50]:
        assert np.array_equal(embedder.embed([text]), whole_text_vectors(embedder, [text]))
