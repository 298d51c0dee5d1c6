"""The versioned Chroma store: write, publish atomically, read, prune."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.errors import ConfigurationError
from advisor.store import VectorStore, new_version_id


def _vectors(n: int, dim: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    m = rng.normal(size=(n, dim)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def _write(store: VectorStore, ids: list[str], vectors: np.ndarray) -> str:
    version = new_version_id()
    store.create(version)
    store.add(version, ids, vectors, [f"tekst {i}" for i in ids],
              [{"document_id": "d", "doc_hash": "h", "payload": "{}"} for _ in ids])
    return version


def test_unpublished_version_is_invisible_until_published(tmp_path):
    store = VectorStore(tmp_path)
    assert store.current() is None
    version = _write(store, ["a", "b"], _vectors(2))
    assert store.current() is None  # written, not yet published
    store.publish(version, "hash-8")
    pointer = store.current()
    assert pointer.version == version and pointer.embedder == "hash-8"


def test_query_returns_cosine_similarity_nearest_first(tmp_path):
    store = VectorStore(tmp_path)
    vectors = _vectors(5)
    version = _write(store, [f"c{i}" for i in range(5)], vectors)
    hits = store.query(version, vectors[3], k=3)
    assert hits[0][0] == "c3"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert hits[1][1] <= hits[0][1]


def test_read_with_filter_and_embeddings(tmp_path):
    store = VectorStore(tmp_path)
    version = new_version_id()
    store.create(version)
    store.add(version, ["x", "y"], _vectors(2), ["een", "twee"],
              [{"document_id": "d1", "doc_hash": "h", "payload": "{}"},
               {"document_id": "d2", "doc_hash": "h", "payload": "{}"}])
    got = store.read(version, embeddings=True, where={"document_id": {"$in": ["d2"]}})
    assert got.ids == ["y"] and got.documents == ["twee"]
    assert got.embeddings.shape == (1, 8)


def test_prune_keeps_current_and_previous_and_drops_abandoned(tmp_path):
    store = VectorStore(tmp_path)
    versions = []
    for _ in range(3):
        v = _write(store, ["a"], _vectors(1))
        store.publish(v, "hash-8")
        versions.append(v)
    abandoned = _write(store, ["a"], _vectors(1))  # an ingest that died before publishing
    dropped = store.prune(keep=2)
    assert set(dropped) == {versions[0], abandoned}
    assert store.versions() == versions[1:]
    with pytest.raises(ConfigurationError):
        store.drop(versions[2])  # the published version is never dropped


def test_bad_chroma_url_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError):
        VectorStore(tmp_path, chroma_url="localhost:8000")


def test_version_ids_sort_in_creation_order_across_a_second_boundary(monkeypatch):
    import time

    readings = iter([1000.999, 1001.001, 1001.002, 1001.003])  # each id may read the clock more than once
    monkeypatch.setattr(time, "time", lambda: next(readings))
    first, second = new_version_id(), new_version_id()
    assert first[:19] < second[:19]
    assert first[1:15] == time.strftime("%Y%m%d%H%M%S", time.localtime(1000.999)) and first[15:18] == "999"
