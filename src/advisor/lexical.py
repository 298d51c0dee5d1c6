"""BM25 over Dutch-analysed chunk text (bm25s); built in memory from one index version."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .decision import SpellingIndex
from .text import STOPWORDS, CompoundSplitter, analyze, make_stemmer, tokenize


class LexicalIndex:
    """BM25 with Dutch stemming and compound splitting against the corpus vocabulary."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str], *, stemmer: str = "dutch_porter",
                 compounds: bool = True, k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s

        self.ids = list(ids)
        self.stemmer = stemmer
        vocabulary = {tok for text in texts for tok in tokenize(text)}
        self.vocabulary = vocabulary
        self.spelling = SpellingIndex(vocabulary)
        # The splitter knows the corpus words, so a query compound ("samenwerkingsverband") and a corpus
        # word ("samenwerking"), or the other way round, meet on a shared part.
        self.splitter = CompoundSplitter(vocabulary) if compounds else None
        corpus_tokens = [self.analyze(text) or ["\u2205"] for text in texts]  # bm25s needs a token per doc
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if self.ids:
            self._bm25.index(corpus_tokens, show_progress=False)

    def analyze(self, text: str) -> list[str]:
        return analyze(text, self.splitter, stemmer=self.stemmer)

    def query_terms(self, query: str) -> list[str]:
        """Query analysis: typo correction, and compound parts only for words the corpus does not contain.

        Documents are indexed with their compound parts, so a query word "samenwerking" already finds
        "samenwerkingsverband". Splitting a query word the corpus knows as a whole would only add its generic
        parts ("verband") and match unrelated chunks; splitting an unknown one ("governancemodel") lets it
        meet the corpus on a part.
        """
        stem = make_stemmer(self.stemmer)
        terms = []
        for token in tokenize(query):
            token = self.spelling.correct(token) or token  # "wijkagnet" -> "wijkagent"
            if token in STOPWORDS or (len(token) < 2 and not token.isdigit()):
                continue
            terms.append(stem(token))
            if self.splitter is not None and token not in self.vocabulary:
                terms.extend(stem(p) for p in self.splitter.split(token) if p not in STOPWORDS)
        return terms

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) with a positive score."""
        terms = self.query_terms(query)
        if not terms or not self.ids:
            return []
        scores = np.asarray(self._bm25.get_scores(terms))
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
