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
        # download it; building the inference object from the packaged files never touches the net.
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        package = Path(wordllama.__file__).parent
        tokenizer = Tokenizer.from_file(
            str(package / "tokenizers" / "l2_supercat_tokenizer_config.json")
        )
        weights = package / "weights" / f"l2_supercat_{_DIMENSIONS}.safetensors"
        with safe_open(str(weights), framework="np", device="cpu") as tensors:
            table = tensors.get_tensor("embedding.weight")
        self._model = WordLlamaInference(table, tokenizer)

    def is_common_word(self, word: str) -> bool:
        """True for words the model's vocabulary holds whole: real words, not typos.

        The tokenizer keeps some 30,000 frequent words as single tokens ("friend", "sorted"),
        while a misspelling ("camdem", "ofstead") breaks into pieces.
        """
        return self._model.tokenizer.token_to_id("\u2581" + word) is not None

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text; an empty text gets a zero row."""
        if not texts:
            return np.zeros((0, _DIMENSIONS), dtype=np.float32)
        vectors = np.asarray(self._model.embed(texts, norm=False), dtype=np.float32)
        lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


@functools.cache
def shared_embedder() -> Embedder:
    """One embedder per process: the table is 32 MB and read-only, so every corpus shares it."""
    return Embedder()
