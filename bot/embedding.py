"""Static word embeddings (WordLlama), loaded offline from the weights inside the wheel.

They let "get rid of my account" find "delete my account": paraphrases with no shared words.
Each text is the average of its tokens' vectors, so embedding costs a lookup, not a model run.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

_DIMENSIONS = 256


class Embedder:
    def __init__(self) -> None:
        # WordLlama.load() looks for the bundled tokenizer in the wrong folder and then tries to
        # download it; reading the packaged files directly never touches the network.
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer

        package = Path(wordllama.__file__).parent
        tokenizer = Tokenizer.from_file(
            str(package / "tokenizers" / "l2_supercat_tokenizer_config.json")
        )
        weights = package / "weights" / f"l2_supercat_{_DIMENSIONS}.safetensors"
        with safe_open(str(weights), framework="np", device="cpu") as tensors:
            self._table = tensors.get_tensor("embedding.weight").astype(np.float32)
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer

    def is_common_word(self, word: str) -> bool:
        """True for words the model's vocabulary holds whole: real words, not typos.

        The tokenizer keeps some 30,000 frequent words as single tokens ("friend", "sorted"),
        while a misspelling ("camdem", "ofstead") breaks into pieces.
        """
        return self._tokenizer.token_to_id("\u2581" + word) is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text; a text with no tokens gets a zero row."""
        vectors = np.zeros((len(texts), self._table.shape[1]), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            # The average of the text's token vectors, as WordLlama computes it, without its
            # batching and padding: one question takes a tenth of a millisecond.
            if encoding.ids:
                vectors[row] = self._table[encoding.ids].mean(axis=0)
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


@functools.cache
def shared_embedder() -> Embedder:
    """One embedder per process: the table is 32 MB and read-only, so every corpus shares it."""
    return Embedder()
