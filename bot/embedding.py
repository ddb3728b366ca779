"""Static word embeddings (WordLlama), loaded offline from the weights inside the wheel.

They let "get rid of my account" find "delete my account": paraphrases with no shared words.
Each text is the average of its tokens' vectors, so embedding costs a lookup, not a model run.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np

# The vectors shipped have 256 dimensions, trained so that their first dimensions are an
# embedding of their own (Matryoshka). The first 128 match as well on the evaluation sets and
# are half as much to read: every question is compared with every wording, thousands once
# residents' questions are filed, and reading their vectors was the largest part of a
# question's time (benchmarks/README.md, "Sixth session").
_SHIPPED_DIMENSIONS = 256
DIMENSIONS = 128


class Embedder:
    def __init__(self) -> None:
        # WordLlama.load() looks for the bundled tokenizer in the wrong folder and then tries to
        # download it; reading the packaged files directly never touches the network. The
        # package is found, not imported: importing it loads pydantic and requests, 0.6 s.
        from safetensors import safe_open
        from tokenizers import Tokenizer

        package = _package_folder("wordllama")
        tokenizer = Tokenizer.from_file(
            str(package / "tokenizers" / "l2_supercat_tokenizer_config.json")
        )
        weights = package / "weights" / f"l2_supercat_{_SHIPPED_DIMENSIONS}.safetensors"
        with safe_open(str(weights), framework="np", device="cpu") as tensors:
            table = tensors.get_tensor("embedding.weight")[:, :DIMENSIONS]
        self._table = np.ascontiguousarray(table, dtype=np.float32)
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self._word_tokens: dict[str, list[int]] = {}

    def is_common_word(self, word: str) -> bool:
        """True for words the model's vocabulary holds whole: real words, not typos.

        The tokenizer keeps some 30,000 frequent words as single tokens ("friend", "sorted"),
        while a misspelling ("camdem", "ofstead") breaks into pieces.
        """
        return self._tokenizer.token_to_id("\u2581" + word) is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text; a text with no tokens gets a zero row."""
        if len(texts) == 1:
            return self.embed_one(texts[0])[None]
        vectors = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        ids = [self._token_ids(text) for text in texts]
        counts = np.asarray([len(text_ids) for text_ids in ids], dtype=np.intp)
        if counts.any():
            # The average of each text's token vectors, as `mean` adds them up: token by
            # token, from the first, for every text of the batch at once.
            padded = np.zeros((len(texts), counts.max()), dtype=np.intp)
            for row, text_ids in enumerate(ids):
                padded[row, : len(text_ids)] = text_ids
            rows = np.flatnonzero(counts)
            vectors[rows] = self._table[padded[rows, 0]]
            for position in range(1, counts.max()):
                rows = np.flatnonzero(counts > position)
                vectors[rows] += self._table[padded[rows, position]]
            with_tokens = counts > 0
            vectors[with_tokens] = np.true_divide(
                vectors[with_tokens], counts[with_tokens, None], casting="unsafe"
            )
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)

    def embed_one(self, text: str) -> np.ndarray:
        """`embed` of one text (a resident's message), as one vector: the same to the last bit,
        in a third of the steps, which are most of its time.

        The same sums, token by token from the first (a sum down the rows adds them in
        order), the same float64 division by the count, and the length added up as `norm`
        adds it up for each row of a batch.
        """
        ids = self._token_ids(text)
        if not ids:
            return np.zeros(self._table.shape[1], dtype=np.float32)
        total = self._table.take(ids, axis=0).sum(axis=0)
        mean = np.true_divide(total, np.float64(len(ids))).astype(np.float32)
        length = np.sqrt(np.add.reduce(mean * mean))
        return mean / length if length > 0 else np.zeros_like(mean)

    def _token_ids(self, text: str) -> list[int]:
        """The text's tokens: those of its words, each tokenised once.

        The tokenizer writes each space as "\u2581" and no token has one inside, so a text's
        tokens are its words' tokens, one after another. Texts where that may not hold (two
        spaces, "\u2581" itself, special tokens such as "<s>", control characters) go whole.
        """
        if (
            "  " in text
            or "<" in text
            or "\u2581" in text
            or text != text.strip(" ")
            or not text.isprintable()
        ):
            return self._tokenizer.encode(text, add_special_tokens=False).ids
        ids: list[int] = []
        for word in text.split(" "):
            found = self._word_tokens.get(word)
            if found is None:
                found = self._tokenizer.encode(word, add_special_tokens=False).ids
                if len(self._word_tokens) < 100_000:
                    self._word_tokens[word] = found
            ids.extend(found)
        return ids


def _package_folder(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed - run: pip install -e .", name=name)
    return Path(spec.submodule_search_locations[0])


@functools.cache
def shared_embedder() -> Embedder:
    """One embedder per process: the table is 16 MB and read-only, so every corpus shares it."""
    return Embedder()
