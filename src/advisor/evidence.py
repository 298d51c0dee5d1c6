"""Evidence: the candidate answer units of the retrieved passages, each with its features and provenance.

Units are sentences, list items (with the lead-in that introduces them) and the documents' metadata fields.
Features are measured here once, from stored vectors and analysed terms: nothing on this path embeds text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from cachetools import LRUCache

from .chunking import chunk_units
from .query import QUESTION_WORDS, Query
from .types import Passage

META_FIELDS = ("author", "date", "title", "url", "publisher")
_DATE = re.compile(r"\b(?:\d{1,2}\s+(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
                   r"november|december)|(?:19|20)\d{2}|\d{1,2}[-/]\d{1,2}[-/]\d{2,4})\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d")
_NUMBER_WORDS = re.compile(r"\b(?:twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|dertig|veertig|"
                           r"vijftig|honderd|duizend|miljoen|miljard|helft|procent)\b", re.IGNORECASE)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-Ý][\wà-ÿ'-]+")

UNIT_FEATURES = (
    "dense", "dense_gap", "lex_own", "lex_all", "passage_rrf", "chunk_dense", "inv_rank", "position", "words",
    "is_item", "is_lead_in", "has_date", "has_number", "has_name", "ends_question",
    "when_date", "howmany_number", "who_name", "header_overlap",
    "lex_local", "lex_local_gap", "lex_gap", "dense_rank", "prev_dense", "next_dense", "prev_lex",
)


@dataclass
class Unit:
    """One candidate: a sentence, a list item or a metadata field, where it comes from, and its features."""

    kind: str  # sentence | item | meta
    text: str
    document_id: str
    passage: Passage | None = None
    start: int = 0  # offset in the chunk text (sentences and items)
    position: int = 0  # index among the chunk's units
    meta_field: str | None = None  # for meta units
    value: str | None = None  # for meta units (None: the document does not state it)
    terms: frozenset[str] = frozenset()
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0  # set by the selection model
    lead_in: "Unit | None" = None  # for items: the sentence that introduces their list
    items: list["Unit"] = field(default_factory=list)  # for lead-ins: the items of their list


@dataclass
class Evidence:
    """Everything `decide` and `compose` need to know about what the sources say on a query."""

    query: Query
    passages: list[Passage]
    units: list[Unit]
    meta_units: list[Unit]
    features: dict[str, float]  # query-level features (the unit features are on the units)
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    idf: Callable[[str], float] | None = None  # how much a term says (for features of a selection)
    max_idf: float = 1.0


_TERMS: LRUCache = LRUCache(maxsize=200_000)


def _terms(text: str, analyze: Callable[[str], list[str]], key: str) -> frozenset[str]:
    cache_key = (key, text)
    terms = _TERMS.get(cache_key)
    if terms is None:
        terms = frozenset(analyze(text))
        _TERMS[cache_key] = terms
    return terms


def weighted_coverage(terms: Sequence[str], present: frozenset[str] | set[str], idf: Callable[[str], float]) -> float:
    """IDF-weighted share of `terms` found in `present` (rare words count most)."""
    if not terms:
        return 0.0
    total = sum(idf(t) for t in terms)
    return sum(idf(t) for t in terms if t in present) / total if total else 0.0


def _relative_features(query: Query, units: list[Unit]) -> None:
    """Features of a unit against the other candidates of the same question: which of the question's words are
    rare among the candidates (a word every candidate shares says nothing about which one answers), how far a unit
    is from the best one, and what its neighbours in the same passage say (a detail often follows the sentence
    that names the topic)."""
    own = list(dict.fromkeys(query.own_terms or query.terms))
    n = len(units)
    weight = {t: np.log((n + 1) / (sum(t in u.terms for u in units) + 0.5)) for t in own}
    total = sum(weight.values()) or 1.0
    dense = sorted((u.features["dense"] for u in units), reverse=True)
    rank = {v: i for i, v in reversed(list(enumerate(dense)))}  # ties share the better rank
    best_dense, best_lex = (dense[0] if dense else 0.0), max((u.features["lex_own"] for u in units), default=0.0)
    for u in units:
        f = u.features
        f["lex_local"] = sum(weight[t] for t in own if t in u.terms) / total
        f["dense_gap"] = best_dense - f["dense"]
        f["lex_gap"] = best_lex - f["lex_own"]
        f["dense_rank"] = 1.0 / (1 + rank[f["dense"]])
    best_local = max((u.features["lex_local"] for u in units), default=0.0)
    for i, u in enumerate(units):
        f = u.features
        f["lex_local_gap"] = best_local - f["lex_local"]
        prev = units[i - 1] if i and units[i - 1].passage is u.passage else None
        after = units[i + 1] if i + 1 < n and units[i + 1].passage is u.passage else None
        f["prev_dense"] = prev.features["dense"] if prev else 0.0
        f["next_dense"] = after.features["dense"] if after else 0.0
        f["prev_lex"] = prev.features["lex_local"] if prev else 0.0


def build(query: Query, passages: Sequence[Passage], *, unit_vectors: Mapping[str, np.ndarray],
          analyze: Callable[[str], list[str]], idf: Callable[[str], float], max_idf: float, version: str,
          documents: Mapping[str, Mapping[str, Any]], vocabulary: set[str] | None = None) -> Evidence:
    """Units and features for `query` from the retrieved `passages` (in rank order)."""
    qv = query.vector
    units: list[Unit] = []
    for passage in passages:
        chunk = passage.chunk
        header = _terms(chunk.context_header, analyze, version)
        vectors = unit_vectors.get(chunk.id)
        parts = chunk_units(chunk.text)
        if vectors is not None and len(vectors) != len(parts):
            vectors = None  # an index built by other code: no unit vectors, dense features stay 0
        previous: Unit | None = None  # a list's lead-in is in the same chunk (the chunker keeps them together)
        for position, (start, text, kind) in enumerate(parts):
            unit = Unit(kind=kind, text=text, document_id=chunk.document_id, passage=passage, start=start,
                        position=position, terms=_terms(text, analyze, version))
            f = unit.features
            f["dense"] = float(vectors[position] @ qv) if vectors is not None and qv is not None else 0.0
            f["lex_own"] = weighted_coverage(query.own_terms, unit.terms, idf)
            f["lex_all"] = weighted_coverage(query.terms, unit.terms, idf)
            f["header_overlap"] = weighted_coverage(query.terms, header, idf)
            f["passage_rrf"] = passage.score * 30
            f["chunk_dense"] = passage.dense_score or 0.0
            f["inv_rank"] = 1.0 / passage.rank if passage.rank else 0.0
            f["position"] = min(position, 20) / 20
            f["words"] = min(len(text.split()), 60) / 60
            f["is_item"] = float(kind == "item")
            f["has_date"] = float(bool(_DATE.search(text)))
            f["has_number"] = float(bool(_NUMBER.search(_DATE.sub(" ", text)) or _NUMBER_WORDS.search(text)))
            f["has_name"] = float(bool(_NAME.search(text)))
            f["ends_question"] = float(text.rstrip().endswith("?"))
            f["when_date"] = f["has_date"] * (query.qword == "wanneer")
            f["howmany_number"] = f["has_number"] * (query.qword == "hoeveel")
            f["who_name"] = f["has_name"] * (query.qword == "wie")
            f["is_lead_in"] = 0.0
            if kind == "item" and previous is not None:
                lead = previous if previous.kind == "sentence" else previous.lead_in
                if lead is not None and lead.text.rstrip().endswith(":"):
                    unit.lead_in = lead
                    lead.items.append(unit)
                    lead.features["is_lead_in"] = 1.0
            units.append(unit)
            previous = unit
    _relative_features(query, units)
    meta_units = _meta_units(passages, documents)
    return Evidence(query=query, passages=list(passages), units=units, meta_units=meta_units,
                    features=query_features(query, passages, units, idf, max_idf, vocabulary),
                    documents=documents, idf=idf, max_idf=max_idf)


def selection_features(evidence: Evidence, chosen: Sequence[Unit]) -> dict[str, float]:
    """Features of the units a selection chose: do THEY hold the question's rare words, numbers, names and the
    kind of answer asked for (not just somewhere in the passages)."""
    query = evidence.query
    scores = sorted((u.score for u in evidence.units), reverse=True)
    terms = frozenset().union(*(u.terms for u in chosen)) if chosen else frozenset()
    text = " ".join(u.text for u in chosen)
    idf = evidence.idf or (lambda t: 1.0)
    own = query.own_terms
    uncovered = [idf(t) for t in own if t not in terms]
    numbers = [n in text for n in query.numbers]
    names = [n in terms for n in query.names]
    kind = {"wanneer": "has_date", "hoeveel": "has_number", "wie": "has_name"}.get(query.qword)
    return {
        "sel_top": scores[0] if scores else 0.0,
        "sel_mean3": float(np.mean(scores[:3])) if scores else 0.0,
        "sel_count": min(sum(s >= 0.5 for s in scores), 8) / 8,
        "sel_cov_own": sum(t in terms for t in own) / len(own) if own else 0.0,
        "sel_cov_own_idf": weighted_coverage(own, terms, idf),
        "sel_uncovered_max_idf": max(uncovered, default=0.0) / evidence.max_idf if evidence.max_idf else 0.0,
        "sel_numbers_found": float(np.mean(numbers)) if numbers else 1.0,
        "sel_names_found": float(np.mean(names)) if names else 1.0,
        "sel_type_present": float(any(u.features.get(kind, 0.0) for u in chosen)) if kind else 1.0,
        "sel_items": float(any(u.kind == "item" or u.items for u in chosen)),
        "sel_dense_top": max((u.features.get("dense", 0.0) for u in chosen), default=0.0),
    }


SELECTION_FEATURES = ("sel_top", "sel_mean3", "sel_count", "sel_cov_own", "sel_cov_own_idf", "sel_uncovered_max_idf",
                      "sel_numbers_found", "sel_names_found", "sel_type_present", "sel_items", "sel_dense_top")


def _meta_units(passages: Sequence[Passage], documents: Mapping[str, Mapping[str, Any]]) -> list[Unit]:
    seen: list[str] = []
    for p in passages:
        if p.chunk.document_id not in seen:
            seen.append(p.chunk.document_id)
    out = []
    for rank, doc_id in enumerate(seen[:3], start=1):
        meta = documents.get(doc_id, {})
        for name in META_FIELDS:
            value = meta.get(name)
            out.append(Unit(kind="meta", text=str(value or ""), document_id=doc_id, meta_field=name,
                            value=str(value) if value not in (None, "") else None,
                            features={"doc_rank": float(rank)}))
    return out


QUERY_FEATURES = (
    "top_dense", "dense_margin", "mean3_dense", "top_unit_dense", "mean3_unit_dense", "top_lexical",
    "cov_own_top", "cov_all_top", "cov_own_passages", "cov_all_passages", "uncovered_max_idf",
    "numbers_found", "has_numbers", "names_found", "has_names", "type_present", "follow_up",
    "n_terms", *(f"q_{w}" for w in QUESTION_WORDS),
)


def query_features(query: Query, passages: Sequence[Passage], units: Sequence[Unit], idf, max_idf: float,
                   vocabulary: set[str] | None) -> dict[str, float]:
    """Query-level features of the evidence (before any model picks units)."""
    dense = sorted((p.dense_score or 0.0 for p in passages), reverse=True)
    unit_dense = sorted((u.features["dense"] for u in units), reverse=True)
    top_units = sorted(units, key=lambda u: -u.features["dense"])[:5]
    top_terms = frozenset().union(*(u.terms for u in top_units)) if top_units else frozenset()
    passage_terms = frozenset().union(*(u.terms for u in units)) if units else frozenset()
    uncovered = [idf(t) for t in query.own_terms if t not in passage_terms]
    evidence_text = " ".join(p.chunk.indexed_text for p in passages[:3])
    numbers_found = [n in evidence_text for n in query.numbers]
    names_found = [n in passage_terms for n in query.names]
    type_present = {
        "wanneer": any(u.features["has_date"] for u in top_units),
        "hoeveel": any(u.features["has_number"] for u in top_units),
        "wie": any(u.features["has_name"] for u in top_units),
    }.get(query.qword, True)
    f = {
        "top_dense": dense[0] if dense else 0.0,
        "dense_margin": dense[0] - dense[1] if len(dense) > 1 else 0.0,
        "mean3_dense": float(np.mean(dense[:3])) if dense else 0.0,
        "top_unit_dense": unit_dense[0] if unit_dense else 0.0,
        "mean3_unit_dense": float(np.mean(unit_dense[:3])) if unit_dense else 0.0,
        "top_lexical": float(np.log1p(max((p.lexical_score or 0.0) for p in passages))) if passages else 0.0,
        "cov_own_top": weighted_coverage(query.own_terms, top_terms, idf),
        "cov_all_top": weighted_coverage(query.terms, top_terms, idf),
        "cov_own_passages": weighted_coverage(query.own_terms, passage_terms, idf),
        "cov_all_passages": weighted_coverage(query.terms, passage_terms, idf),
        "uncovered_max_idf": max(uncovered, default=0.0) / max_idf if max_idf else 0.0,
        "numbers_found": float(all(numbers_found)) if numbers_found else 1.0,
        "has_numbers": float(bool(query.numbers)),
        "names_found": float(np.mean(names_found)) if names_found else 1.0,
        "has_names": float(bool(query.names)),
        "type_present": float(type_present),
        "follow_up": float(query.follow_up),
        "n_terms": min(len(query.own_terms), 12) / 12,
    }
    for w in QUESTION_WORDS:
        f[f"q_{w}"] = float(query.qword == w)
    return f
