"""BM25 over Dutch-analysed chunk text (bm25s); built in memory from one index version."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from .text import STOPWORDS, CompoundSplitter, analyze, make_stemmer, tokenize


class SpellingIndex:
    """Corrects a word to a corpus word one edit away (symspellpy's symmetric deletes), for typos in informal
    questions."""

    def __init__(self, vocabulary: Iterable[str], min_length: int = 5) -> None:
        from symspellpy import SymSpell

        self.vocabulary = set(vocabulary)
        self.min_length = min_length
        self._symspell = SymSpell(max_dictionary_edit_distance=1, prefix_length=max(7, min_length + 2))
        for word in sorted(self.vocabulary):
            if len(word) >= min_length and word.isalpha():
                self._symspell.create_dictionary_entry(word, 1)

    def correct(self, word: str) -> str | None:
        """The corpus word meant by `word`, or None when it is known already or nothing is close."""
        from symspellpy import Verbosity

        if word in self.vocabulary or len(word) < self.min_length:
            return None
        candidates = {s.term for s in self._symspell.lookup(word, Verbosity.ALL, max_edit_distance=1,
                                                            transfer_casing=False)}
        # Prefer the candidate that keeps the first letter; ties break alphabetically for stable results.
        ranked = sorted(candidates, key=lambda c: (c[0] != word[0], abs(len(c) - len(word)), c))
        return ranked[0] if ranked else None


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
        df: dict[str, int] = {}
        for tokens in corpus_tokens:
            for term in set(tokens):
                df[term] = df.get(term, 0) + 1
        n = max(1, len(corpus_tokens))
        # Inverse document frequency of analysed terms over chunks: how much a term says (unknown: most).
        self._idf = {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}
        self.max_idf = math.log((n + 1) / 0.5)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if self.ids:
            self._bm25.index(corpus_tokens, show_progress=False)

    def idf(self, term: str) -> float:
        return self._idf.get(term, self.max_idf)

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
