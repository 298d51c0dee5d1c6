"""Hybrid retrieval: dense (Chroma) + BM25 (Dutch analysis), fused with reciprocal rank fusion."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .embeddings import Embedder
from .lexical import LexicalIndex, SpellingIndex
from .sanitize import safe_url
from .settings import RetrievalSettings
from .store import VectorStore
from .text import jaccard, tokenize
from .types import Chunk, Passage


def chunk_to_metadata(chunk: Chunk, doc_hash: str, sentence_vectors: np.ndarray | None = None) -> dict[str, Any]:
    """Flat Chroma metadata for a chunk; the full chunk travels as JSON so nothing is lost.

    The chunk's sentence embeddings ride along (float16, base64) so answer composition needs no embedding
    calls per sentence at question time, and copying a chunk to a new version copies them too.
    """
    payload = {"text": chunk.text, "headings": list(chunk.headings), "index": chunk.index,
               "metadata": chunk.metadata, "page": chunk.page}
    meta = {"document_id": chunk.document_id, "doc_hash": doc_hash, "title": str(chunk.metadata.get("title", "")),
            "payload": json.dumps(payload, ensure_ascii=False)}
    if sentence_vectors is not None and len(sentence_vectors):
        matrix = np.asarray(sentence_vectors, dtype=np.float16)
        meta["sentence_vectors"] = base64.b64encode(matrix.tobytes()).decode("ascii")
        meta["sentence_shape"] = f"{matrix.shape[0]}x{matrix.shape[1]}"
    return meta


def sentence_vectors_from_metadata(metadata: dict[str, Any]) -> np.ndarray | None:
    if not metadata.get("sentence_vectors"):
        return None
    rows, dim = (int(x) for x in str(metadata["sentence_shape"]).split("x"))
    raw = np.frombuffer(base64.b64decode(metadata["sentence_vectors"]), dtype=np.float16)
    return raw.reshape(rows, dim).astype(np.float32)


def chunk_from_record(chunk_id: str, metadata: dict[str, Any]) -> Chunk:
    payload = json.loads(metadata["payload"])
    return Chunk(id=chunk_id, document_id=metadata["document_id"], text=payload["text"],
                 headings=tuple(payload["headings"]), index=payload["index"], metadata=payload["metadata"],
                 page=payload.get("page"))


@dataclass
class IndexSnapshot:
    """One published index version as held in memory by a reader: chunks, BM25 and document hashes."""

    version: str
    chunks: dict[str, Chunk]
    lexical: LexicalIndex
    doc_hashes: dict[str, str] = field(default_factory=dict)
    sentence_vectors: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def vocabulary(self) -> set[str]:
        return self.lexical.vocabulary

    @property
    def spelling(self) -> SpellingIndex:
        return self.lexical.spelling

    @classmethod
    def load(cls, store: VectorStore, version: str, settings: RetrievalSettings) -> "IndexSnapshot":
        records = store.read(version)
        chunks = {cid: chunk_from_record(cid, meta) for cid, meta in zip(records.ids, records.metadatas)}
        ordered = sorted(chunks.values(), key=lambda c: (c.document_id, c.index))
        lexical = LexicalIndex([c.id for c in ordered], [c.indexed_text for c in ordered],
                               stemmer=settings.stemmer, compounds=settings.compounds)
        hashes = {meta["document_id"]: meta["doc_hash"] for meta in records.metadatas}
        vectors = {cid: v for cid, meta in zip(records.ids, records.metadatas)
                   if (v := sentence_vectors_from_metadata(meta)) is not None}
        return cls(version=version, chunks=chunks, lexical=lexical, doc_hashes=hashes, sentence_vectors=vectors)

    @cached_property
    def _documents(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for chunk in sorted(self.chunks.values(), key=lambda c: (c.document_id, c.index)):
            if chunk.document_id not in seen:
                meta = chunk.metadata
                seen[chunk.document_id] = {"id": chunk.document_id, "title": meta.get("title", ""),
                                           "url": safe_url(meta.get("url")), "date": meta.get("date"),
                                           "author": meta.get("author"), "kind": meta.get("kind"),
                                           "publisher": meta.get("publisher")}
        return list(seen.values())

    @cached_property
    def documents_by_id(self) -> dict[str, dict[str, Any]]:
        """Document metadata (title, url, date, author, kind, publisher) by id, for metadata answers."""
        return {d["id"]: d for d in self._documents}

    def documents(self) -> list[dict[str, Any]]:
        """One entry per document: id, title, url, date, author, kind (computed once per version)."""
        return [dict(d) for d in self._documents]


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60) -> dict[str, float]:
    """Sum of 1/(k + rank) over the rankings a candidate appears in (rank starts at 1)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, cid in enumerate(ranking, start=1):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (k + rank)
    return fused


@lru_cache(maxsize=65_536)
def _token_set(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def _near_duplicate(a: Chunk, b: Chunk, threshold: float = 0.9) -> bool:
    ta, tb = _token_set(a.text), _token_set(b.text)
    if not ta or not tb:
        return a.text == b.text
    return jaccard(ta, tb) >= threshold


class HybridRetriever:
    """Dense + BM25 candidates, fused by RRF, de-duplicated; dense-only when hybrid is off."""

    def __init__(self, store: VectorStore, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings

    def retrieve(self, snapshot: IndexSnapshot, query: str, *, top_n: int | None = None,
                 vector: np.ndarray | None = None, exclude: frozenset[str] = frozenset()) -> list[Passage]:
        """Passages for `query` (its vector when already computed); `exclude` leaves documents out, as if the
        index had been built without them (used for leave-one-out evaluation)."""
        top_n = top_n or self.settings.top_n
        vector = self.embedder.embed_query(query) if vector is None else vector
        where = {"document_id": {"$nin": sorted(exclude)}} if exclude else None
        dense = self.store.query(snapshot.version, vector, self.settings.dense_k, where=where)
        dense_scores = dict(dense)
        rankings = [[cid for cid, _ in dense]]
        lexical_scores: dict[str, float] = {}
        if self.settings.hybrid:
            lexical = snapshot.lexical.search(query, self.settings.lexical_k * (4 if exclude else 1))
            if exclude:
                lexical = [(cid, s) for cid, s in lexical
                           if cid in snapshot.chunks and snapshot.chunks[cid].document_id not in exclude]
                lexical = lexical[:self.settings.lexical_k]
            lexical_scores = dict(lexical)
            rankings.append([cid for cid, _ in lexical])
        fused = reciprocal_rank_fusion(rankings, self.settings.rrf_k)
        # Ties (common in small corpora) are broken by dense similarity, then id, so results are stable.
        order = sorted(fused, key=lambda cid: (-fused[cid], -dense_scores.get(cid, 0.0), cid))
        passages: list[Passage] = []
        for cid in order:
            chunk = snapshot.chunks.get(cid)
            if chunk is None or any(_near_duplicate(chunk, p.chunk) for p in passages):
                continue
            passages.append(Passage(chunk=chunk, score=fused[cid], dense_score=dense_scores.get(cid),
                                    lexical_score=lexical_scores.get(cid), rank=len(passages) + 1))
            if len(passages) >= top_n:
                break
        return passages


def as_langchain_retriever(advisor: Any, k: int | None = None):
    """A langchain_core BaseRetriever over an Advisor's hybrid retrieval (LangChain stays at this edge)."""
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever

    class AdvisorRetriever(BaseRetriever):
        """Hybrid Dutch retrieval from advisor, as LangChain Documents."""

        top_k: int | None = None

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                    ) -> list[LCDocument]:
            return [
                LCDocument(page_content=p.chunk.text, id=p.chunk.id,
                           metadata={**p.chunk.metadata, "chunk_id": p.chunk.id, "document_id": p.chunk.document_id,
                                     "headings": " > ".join(p.chunk.headings), "score": p.score,
                                     "dense_score": p.dense_score, "lexical_score": p.lexical_score})
                for p in advisor.retrieve(query, top_n=self.top_k)
            ]

    return AdvisorRetriever(top_k=k)
