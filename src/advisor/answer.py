"""Answer composition: the extractive composer (default) and the decision whether sources answer at all."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol, Sequence

import numpy as np

from . import prompts
from .embeddings import Embedder
from .settings import AdvisorSettings
from .text import STOPWORDS, CompoundSplitter, analyze, detect_question_type, split_sentences, stem, tokenize
from .types import Answer, Citation, Passage

# Evidence for a "why" question has to state a reason or consequence.
_CAUSAL = re.compile(
    r"\b(omdat|doordat|want|daardoor|waardoor|zodat|leidt tot|leiden tot|anders|reden|risico|belang|"
    r"belangrijk|nodig|om te|zorgt|daarom)\b", re.IGNORECASE)
_DATE = re.compile(r"\b(\d{4}|\d{1,2}[-/.]\d{1,2}|januari|februari|maart|april|mei|juni|juli|augustus|"
                   r"september|oktober|november|december)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]+ (?:(?:van|de|der|den|ter|ten)\s)*[A-Z][a-zà-ÿ]+")
# Requests we refuse whatever the sources say: help with crime, and legal judgements on a specific case.
_HARMFUL = re.compile(
    r"\b(witwas\w*|wit te wassen|smokkel\w*|ontduik\w*|omzeil\w*|ontloop\w*|ontwijk\w*|"
    r"zonder dat (de )?(politie|gemeente|belastingdienst|om|fiod|riec)\w* (het )?(merk|ontdek|ziet)\w*|"
    r"buiten beeld (blijven|houden)|uit handen van (de )?politie|valse? (facturen|administratie|papieren)|"
    r"dekmantel|omkop\w*|afpers\w*|hennepkwekerij (opzetten|beginnen))\b",
    re.IGNORECASE)
_LEGAL = re.compile(
    r"\b(is (dit|dat|het) (wel )?(legaal|rechtmatig|wettelijk toegestaan|toegestaan|strafbaar)|"
    r"(rechtmatig|onrechtmatig|aansprakelijk)\w*|bezwaar (maken|indienen)|in (mijn|onze) zaak|"
    r"juridisch (oordeel|advies)|maak ik kans|winnen (we|wij|ik)|"
    r"(mag|mogen) (de|het|onze|mijn|een) (gemeente|burgemeester|politie|riec|om|belastingdienst)\b.*\b(ons|mij|mijn|onze))",
    re.IGNORECASE)


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


@dataclass(frozen=True)
class Decision:
    answerable: bool
    confidence: float
    reason: str  # answered | no_passages | low_similarity | low_coverage | wrong_type | harmful | legal
    coverage: float = 0.0
    max_dense: float = 0.0


def question_groups(question: str, splitter: CompoundSplitter | None, stemmer: str) -> list[set[str]]:
    """One set of acceptable stems per content word of the question (the word itself and its compound parts)."""
    groups: list[set[str]] = []
    for token in tokenize(question):
        if token in STOPWORDS or len(token) < 2:
            continue
        stems = {stem(token, stemmer)}
        if splitter is not None:
            stems |= {stem(p, stemmer) for p in splitter.split(token) if p not in STOPWORDS}
        if stems not in groups:
            groups.append(stems)
    return groups


def coverage(groups: Sequence[set[str]], terms: set[str]) -> float:
    """Share of the question's content words that the evidence terms cover."""
    if not groups:
        return 0.0
    return sum(1 for g in groups if g & terms) / len(groups)


def _type_matches(qtype: str, text: str) -> bool:
    if qtype == "why":
        return bool(_CAUSAL.search(text))
    if qtype == "when":
        return bool(_DATE.search(text))
    if qtype == "who":
        return bool(_NAME.search(text)) or bool(re.search(r"\b[A-Z]{2,}", text))
    return True


class ExtractiveAnswerer:
    """Selects the sentences that best answer the question and cites them; never writes new content."""

    mode = "extractive"

    def __init__(self, settings: AdvisorSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder

    # -- the decision ---------------------------------------------------------------------
    def decide(self, question: str, passages: Sequence[Passage], selected: Sequence[_Candidate],
               groups: Sequence[set[str]]) -> Decision:
        """Do the sources answer this? Passage similarity AND the evidence covering what is asked."""
        r = self.settings.retrieval
        if _HARMFUL.search(question):
            return Decision(False, 0.0, "harmful")
        if _LEGAL.search(question):
            return Decision(False, 0.0, "legal")
        if not passages or not selected:
            return Decision(False, 0.0, "no_passages")
        max_dense = max((p.dense_score or 0.0) for p in passages)
        evidence_terms: set[str] = set()
        for c in selected:
            evidence_terms |= c.terms
            evidence_terms |= set(analyze(c.passage.chunk.context_header, None, stemmer=r.stemmer))
        cov = coverage(groups, evidence_terms)
        similarity = min(1.0, max(0.0, (max_dense - (r.min_dense - 0.1)) / 0.2))
        confidence = round(0.6 * cov + 0.4 * similarity, 3)
        if not r.refuse:
            return Decision(True, confidence, "answered", cov, max_dense)
        if max_dense < r.min_dense:
            return Decision(False, confidence, "low_similarity", cov, max_dense)
        if cov < r.min_coverage:
            return Decision(False, confidence, "low_coverage", cov, max_dense)
        qtype = detect_question_type(question)
        if not any(_type_matches(qtype, c.sentence) for c in selected):
            return Decision(False, confidence, "wrong_type", cov, max_dense)
        return Decision(True, confidence, "answered", cov, max_dense)

    # -- sentence selection ---------------------------------------------------------------
    def select(self, question: str, passages: Sequence[Passage], groups: Sequence[set[str]],
               splitter: CompoundSplitter | None) -> list[_Candidate]:
        """Query-focused sentence scoring with redundancy removal (MMR-style)."""
        stemmer = self.settings.retrieval.stemmer
        qtype = detect_question_type(question)
        candidates: list[_Candidate] = []
        for passage in passages:
            text = passage.chunk.text
            cursor = 0
            for position, sentence in enumerate(split_sentences(text)):
                start = text.find(sentence, cursor)
                cursor = start + len(sentence)
                if sentence.rstrip().endswith("?") or len(sentence.split()) < 4:
                    continue  # questions and fragments do not answer anything
                terms = set(analyze(sentence, splitter, stemmer=stemmer))
                cand = _Candidate(sentence, passage, start, position, terms=terms)
                cand.lexical = coverage(groups, terms)
                cand.bonus = 1.0 if qtype in ("why", "when", "who") and _type_matches(qtype, sentence) else 0.0
                candidates.append(cand)
        if not candidates:
            return []
        if self.embedder is not None:
            q = self.embedder.embed_query(question)
            sims = self.embedder.embed_documents([c.sentence for c in candidates]) @ q
            for cand, sim in zip(candidates, np.asarray(sims, dtype=float)):
                cand.dense = float(sim)
        for cand in candidates:
            cand.score = (0.45 * cand.lexical + 0.45 * cand.dense + 0.1 * cand.bonus
                          + 0.05 / cand.passage.rank)
        ranked = sorted(candidates, key=lambda c: -c.score)
        best = ranked[0].score
        selected: list[_Candidate] = []
        for cand in ranked:
            if len(selected) >= self.settings.answer.max_sentences or cand.score < 0.8 * best:
                break
            if any(len(cand.terms & s.terms) / max(1, len(cand.terms | s.terms)) > 0.6 for s in selected):
                continue  # redundant with a sentence already chosen
            selected.append(cand)
        return selected

    # -- composing ------------------------------------------------------------------------
    def answer(self, question: str, passages: Sequence[Passage], *, splitter: CompoundSplitter | None = None,
               titles: Sequence[str] = (), retrieval_query: str | None = None) -> Answer:
        """Compose the Answer (or the refusal) for `question` from `passages`."""
        query = retrieval_query or question
        groups = question_groups(query, splitter, self.settings.retrieval.stemmer)
        selected = self.select(query, passages, groups, splitter)
        decision = self.decide(question if _HARMFUL.search(question) or _LEGAL.search(question) else query,
                               passages, selected, groups)
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
            kind = {"blog": "de blog", "whitepaper": "het whitepaper"}.get(str(meta.get("kind", "")), "de publicatie")
            lead = f"In {kind} ‘{meta.get('title', '')}’ staat hierover:"
        else:
            lead = prompts.ANSWER_LEAD_IN
        return Answer(answered=True, answer=f"{lead}\n\n{body}", citations=citations, confidence=confidence,
                      mode="extractive")
