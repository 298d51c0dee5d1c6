"""BM25 over Dutch-analysed chunk text (bm25s); built in memory from one index version."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .decision import SpellingIndex
from .text import CompoundSplitter, analyze, tokenize


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

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) with a positive score."""
        # Typos ("wijkagnet") are corrected to a corpus word one edit away before analysis.
        tokens = tokenize(query)
        terms = self.analyze(" ".join(self.spelling.correct(t) or t for t in tokens))
        if not terms or not self.ids:
            return []
        scores = np.asarray(self._bm25.get_scores(terms))
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
