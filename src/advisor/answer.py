"""Answer composition: the extractive composer (default). It selects source sentences; it never writes content."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol, Sequence

import numpy as np

from . import prompts
from .decision import (HARMFUL, LEGAL, Decision, SpellingIndex, TermMatcher, contrastive_word, focus_word,
                       question_type, type_matches, unknown_names)
from .embeddings import Embedder
from .settings import AdvisorSettings
from .text import CompoundSplitter, analyze, jaccard, split_sentences, tokenize
from .types import Answer, Citation, Passage


class Answerer(Protocol):
    """Composes an Answer from a question and retrieved passages."""

    def answer(self, question: str, passages: Sequence[Passage], **context) -> Answer: ...


@dataclass
class _Candidate:
    sentence: str
    passage: Passage
    start: int  # offset of the sentence within the chunk text
    position: int
    lexical: float = 0.0
    dense: float = 0.0
    bonus: float = 0.0
    score: float = 0.0
    terms: set[str] = field(default_factory=set)


def chunk_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs of a chunk; the same split is used when sentence vectors are stored."""
    out, cursor = [], 0
    for sentence in split_sentences(text):
        start = text.find(sentence, cursor)
        cursor = start + len(sentence)
        out.append((start, sentence))
    return out


class ExtractiveAnswerer:
    """Selects the sentences that best answer the question and cites them."""

    mode = "extractive"

    def __init__(self, settings: AdvisorSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.matcher = TermMatcher(embedder, stemmer=settings.retrieval.stemmer,
                                   threshold=settings.retrieval.term_similarity)
        self._term_cache: dict[tuple, frozenset[str]] = {}

    def _terms(self, sentence: str, splitter: CompoundSplitter | None, stemmer: str) -> set[str]:
        """Analysed terms of a source sentence or header, cached: they come back question after question."""
        key = (id(splitter), stemmer, sentence)
        terms = self._term_cache.get(key)
        if terms is None:
            terms = frozenset(analyze(sentence, splitter, stemmer=stemmer))
            if len(self._term_cache) > 100_000:
                self._term_cache.clear()
            self._term_cache[key] = terms
        return set(terms)

    # -- sentence selection ---------------------------------------------------------------
    def select(self, question: str, passages: Sequence[Passage], groups, splitter: CompoundSplitter | None,
               sentence_vectors: Mapping[str, np.ndarray] | None = None) -> list[_Candidate]:
        """Query-focused sentence scoring with redundancy removal (MMR-style)."""
        stemmer = self.settings.retrieval.stemmer
        qtype = question_type(question)
        candidates: list[_Candidate] = []
        query_vector = self.embedder.embed_query(question) if self.embedder is not None else None
        for passage in passages:
            # Words the title and headings already cover are context shared by every chunk of the document,
            # not evidence: a sentence that merely restates the title must not win on them.
            header = self._terms(passage.chunk.context_header, splitter, stemmer)
            focus = [g for g in groups if not g[1] & header] or groups
            sentences = chunk_sentences(passage.chunk.text)
            stored = (sentence_vectors or {}).get(passage.chunk.id)
            if query_vector is not None and (stored is None or len(stored) != len(sentences)):
                stored = self.embedder.embed_documents([s for _, s in sentences])  # not precomputed: do it now
            for position, (start, sentence) in enumerate(sentences):
                if sentence.rstrip().endswith("?") or len(sentence.split()) < 4:
                    continue  # questions and fragments do not answer anything
                cand = _Candidate(sentence, passage, start, position,
                                  terms=self._terms(sentence, splitter, stemmer))
                cand.lexical = self.matcher.coverage(focus, cand.terms)
                if query_vector is not None:
                    cand.dense = float(stored[position] @ query_vector)
                # A sentence that names a person, a date or a number is far more likely to answer "wie",
                # "wanneer" or "hoeveel" than one that merely shares words with the question.
                weight = {"why": 0.1, "who": 0.25, "when": 0.25, "quantity": 0.25}.get(qtype, 0.0)
                cand.bonus = weight if type_matches(qtype, sentence) else 0.0
                cand.score = 0.4 * cand.lexical + 0.5 * cand.dense + cand.bonus + 0.03 / passage.rank
                candidates.append(cand)
        ranked = sorted(candidates, key=lambda c: -c.score)
        selected: list[_Candidate] = []
        for cand in ranked:
            if len(selected) >= self.settings.answer.max_sentences or cand.score < self.settings.answer.min_relative_score * ranked[0].score:
                break
            if any(jaccard(cand.terms, s.terms) > 0.6 for s in selected):
                continue  # redundant with a sentence already chosen
            selected.append(cand)
        return selected

    # -- the decision ---------------------------------------------------------------------
    def assess(self, question: str, passages: Sequence[Passage], *, splitter: CompoundSplitter | None = None,
               spelling: SpellingIndex | None = None, vocabulary: set[str] | None = None,
               sentence_vectors: Mapping[str, np.ndarray] | None = None, retrieval_query: str | None = None
               ) -> tuple[Decision, list[_Candidate]]:
        """Whether the sources answer the question, and the evidence sentences selected for it."""
        r = self.settings.retrieval
        query = retrieval_query or question
        # Guardrails and names look at what the user typed now; coverage at the resolved (follow-up) query.
        if HARMFUL.search(question):
            return Decision(False, 0.0, "harmful"), []
        if LEGAL.search(question):
            return Decision(False, 0.0, "legal"), []
        groups = self.matcher.groups(query, splitter, spelling)
        # A follow-up's own words say what is asked now; the earlier question only supplies the topic.
        own = self.matcher.groups(question, splitter, spelling) if query != question else groups
        selected = self.select(query, passages, own or groups, splitter, sentence_vectors)
        if not passages or not selected:
            return Decision(False, 0.0, "no_passages"), selected
        max_dense = max((p.dense_score or 0.0) for p in passages)
        stems: set[str] = set()
        words: set[str] = set()
        for c in selected:
            stems |= c.terms | self._terms(c.passage.chunk.context_header, None, r.stemmer)
            words |= set(tokenize(c.sentence))
        cov = self.matcher.coverage(groups, stems, words)
        similarity = min(1.0, max(0.0, (max_dense - (r.min_dense - 0.1)) / 0.2))
        confidence = round(0.6 * cov + 0.4 * similarity, 3)

        def verdict(answerable: bool, reason: str) -> Decision:
            return Decision(answerable or not r.refuse, confidence, reason if r.refuse else "answered", cov,
                            max_dense)

        if max_dense < r.min_dense:
            return verdict(False, "low_similarity"), selected
        if vocabulary is not None and unknown_names(question, vocabulary):
            return verdict(False, "unknown_name"), selected
        if cov < r.min_coverage:
            return verdict(False, "low_coverage"), selected
        contrast = contrastive_word(question)
        if contrast and not self.matcher.covers_focus(contrast, stems, words, None, None):
            return verdict(False, "focus_missing"), selected
        focus = focus_word(question) or (focus_word(query) if query != question else None)
        if focus and not self.matcher.covers_focus(focus, stems, words, splitter, spelling):
            return verdict(False, "focus_missing"), selected
        qtype = question_type(query)
        # "wie" is often answered with roles ("leidinggevenden"), so only reasons, dates and numbers are required.
        if qtype in ("why", "when", "quantity") and not any(type_matches(qtype, c.sentence) for c in selected):
            return verdict(False, "wrong_type"), selected
        return verdict(True, "answered"), selected

    # -- composing ------------------------------------------------------------------------
    def answer(self, question: str, passages: Sequence[Passage], *, titles: Sequence[str] = (), **context) -> Answer:
        """Compose the Answer (or the polite refusal) for `question` from `passages`."""
        decision, selected = self.assess(question, passages, **context)
        if not decision.answerable:
            return Answer(answered=False, confidence=decision.confidence,
                          answer=prompts.refusal(publisher=self.settings.publisher, contact=self.settings.contact,
                                                 titles=titles, reason=decision.reason))
        return self._compose(selected, decision.confidence)

    def _compose(self, selected: Sequence[_Candidate], confidence: float) -> Answer:
        ordered = sorted(selected, key=lambda c: (c.passage.rank, c.position))
        numbers: dict[str, int] = {}
        spans: dict[str, list[_Candidate]] = {}
        for cand in ordered:
            cid = cand.passage.chunk.id
            numbers.setdefault(cid, len(numbers) + 1)
            spans.setdefault(cid, []).append(cand)
        citations = []
        for cid, cands in spans.items():
            chunk = cands[0].passage.chunk
            first = min(cands, key=lambda c: c.start)
            last = max(cands, key=lambda c: c.start + len(c.sentence))
            quote = chunk.text[first.start:last.start + len(last.sentence)]  # verbatim span of the source
            citations.append(Citation(n=numbers[cid], chunk_id=cid, document_id=chunk.document_id,
                                      title=str(chunk.metadata.get("title", "")), url=chunk.metadata.get("url"),
                                      quote=quote, page=chunk.page))
        body = " ".join(f"{c.sentence} [{numbers[c.passage.chunk.id]}]" for c in ordered)
        documents = {c.passage.chunk.document_id for c in ordered}
        if len(documents) == 1:
            meta = ordered[0].passage.chunk.metadata
            kind = prompts.KIND_NAMES.get(str(meta.get("kind", "")), prompts.KIND_DEFAULT)
            lead = prompts.ANSWER_LEAD_IN_ONE.format(kind=kind, title=meta.get("title", ""))
        else:
            lead = prompts.ANSWER_LEAD_IN
        return Answer(answered=True, answer=f"{lead}\n\n{body}", citations=citations, confidence=confidence,
                      mode="extractive")
