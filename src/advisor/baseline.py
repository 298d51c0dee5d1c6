"""The naive reference pipeline a LangChain tutorial user builds, evaluated beside advisor.

RecursiveCharacterTextSplitter(1000, 200) over each document's text, dense-only top-4 with the same
embedder (exact cosine search in memory: same ranking a vector store returns), no refusal, and the
retrieved text itself as the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .embeddings import Embedder
from .types import Document


@dataclass(frozen=True)
class NaiveChunk:
    id: str
    document_id: str
    text: str


@dataclass(frozen=True)
class NaiveAnswer:
    answered: bool
    answer: str
    chunks: list[NaiveChunk]


class NaivePipeline:
    """Split 1000/200, embed, top-k by cosine, concatenate."""

    def __init__(self, embedder: Embedder, documents: Sequence[Document], *, chunk_size: int = 1000,
                 chunk_overlap: int = 200, k: int = 4) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        self.k = k
        self.embedder = embedder
        self.chunks = [NaiveChunk(f"{doc.id}#{i}", doc.id, piece)
                       for doc in documents for i, piece in enumerate(splitter.split_text(doc.text))]
        self.matrix = embedder.embed_documents([c.text for c in self.chunks])

    def search(self, question: str, k: int) -> list[tuple[NaiveChunk, float]]:
        if not self.chunks:
            return []
        sims = self.matrix @ self.embedder.embed_query(question)
        order = np.argsort(-sims, kind="stable")[:k]
        return [(self.chunks[i], float(sims[i])) for i in order]

    def ask(self, question: str) -> NaiveAnswer:
        hits = [chunk for chunk, _ in self.search(question, self.k)]
        return NaiveAnswer(answered=True, answer="\n\n".join(c.text for c in hits), chunks=hits)
