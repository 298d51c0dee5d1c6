"""Retrieval ablations behind the README's tables: which part of the pipeline earns its keep.

For each variant (hybrid or dense-only fusion, BM25 alone; compound splitting on or off; Snowball `dutch`
or `dutch_porter`) it measures Recall@5, MRR and nDCG@10 on a dataset's answerable items, on one ingest.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .evaluation import DatasetSpec, ItemResult, _ir_metrics, load_dataset, relevant_ids

VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "dense only": {"hybrid": False},
    "rrf_k 60": {"rrf_k": 60},
    "no compound splitting": {"compounds": False},
    "stemmer dutch": {"stemmer": "dutch"},
    "BM25 only": {"lexical_only": True},
    "BM25 only, no compounds": {"lexical_only": True, "compounds": False},
}


def run_ablations(spec: DatasetSpec, settings, *, embedder=None) -> dict[str, dict[str, float]]:
    """Retrieval metrics per variant for the answerable items of `spec`."""
    from .advisor import Advisor
    from .query import resolve_follow_up
    from .retrieval import HybridRetriever, IndexSnapshot

    items = [i for i in load_dataset(spec.path) if i.answerable]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="advisor-ablation-") as tmp:
        base = settings.model_copy(update={"data_dir": Path(tmp), "corpus_dir": spec.corpus, "chroma_url": None})
        advisor = Advisor(base, embedder=embedder)
        advisor.ingest(spec.corpus)
        version = advisor.snapshot().version
        rows = [(c.id, c.document_id, c.text) for c in advisor.snapshot().chunks.values()]
        for name, change in VARIANTS.items():
            lexical_only = change.get("lexical_only", False)
            retrieval = base.retrieval.model_copy(update={k: v for k, v in change.items() if k != "lexical_only"})
            snapshot = IndexSnapshot.load(advisor.store, version, retrieval)
            retriever = HybridRetriever(advisor.store, advisor.embedder, retrieval)
            scored = []
            for item in items:
                query = resolve_follow_up(item.question, item.turns)
                ranking = [cid for cid, _ in snapshot.lexical.search(query, 10)] if lexical_only else \
                    [p.chunk.id for p in retriever.retrieve(snapshot, query, top_n=10)]
                scored.append(ItemResult(id=item.id, kind=item.kind, question=item.question, answerable=True,
                                         answered=True, answer="", ranking=ranking,
                                         relevant=sorted(relevant_ids(item, rows)), facts_found=[],
                                         groundedness=None, citation_validity=None, latency_ms=0.0))
            results[name] = {k: round(v, 3) for k, v in _ir_metrics(scored).items()}
    return results
