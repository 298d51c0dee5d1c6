"""Evaluation: datasets, metrics (no LLM judge needed) and the runner behind `advisor eval`."""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

from pydantic import BaseModel, Field

from .text import normalize, split_sentences, stem, tokenize
from .types import Answer, Document, Turn

Kind = Literal["direct", "paraphrase", "informal", "followup", "list", "metadata", "multi_doc",
               "refuse_unrelated", "refuse_not_in_sources", "refuse_wrong_detail", "refuse_legal", "refuse_crime",
               "refuse_injection", "refuse_loo", "refuse_loo_metadata"]
HEADLINE = ("recall_at_5", "mrr", "ndcg_at_10", "fact_recall", "groundedness", "citation_validity",
            "refusal_accuracy", "false_refusal_rate")


class EvalItem(BaseModel):
    """One golden question, written from the documents before looking at system output."""

    id: str
    question: str
    turns: list[Turn] = Field(default_factory=list)
    kind: Kind
    answerable: bool
    facts: list[list[str]] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    quotes: list[str] = Field(default_factory=list)
    section: str | None = None


def load_dataset(path: Path) -> list[EvalItem]:
    """Parse a JSONL dataset (a file, or a folder of *.jsonl files); raises ValueError naming a malformed line."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    items = []
    for file in files:
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(EvalItem.model_validate_json(line))
            except Exception as exc:  # noqa: BLE001 - re-raised with the line number
                raise ValueError(f"{file}:{n}: {exc}") from exc
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate ids")
    return items


def validate_dataset(items: Sequence[EvalItem], documents: Sequence[Document]) -> list[str]:
    """Problems with the items: unknown documents, quotes that are not verbatim, inconsistent kinds."""
    texts = {d.id: d.text for d in documents}
    from .prompts import dutch_date

    fields = {d.id: " ".join([str(v) for v in d.metadata.values()] + [dutch_date(str(d.metadata.get("date", "")))])
              for d in documents}
    dropped = {d.id: "\n".join(text for text, _ in d.dropped) for d in documents}
    problems = []
    for item in items:
        if item.answerable != (not item.kind.startswith("refuse")):
            problems.append(f"{item.id}: kind {item.kind} does not match answerable={item.answerable}")
        if item.answerable and not (item.facts and item.documents and item.quotes):
            problems.append(f"{item.id}: answerable items need facts, documents and quotes")
        for doc in item.documents:
            if doc not in texts:
                problems.append(f"{item.id}: unknown document {doc}")
        for quote in item.quotes:
            # A metadata item quotes a field; an older item may quote a byline or call to action that the
            # reader now keeps out of the evidence (recognised chrome): the quote is still the document's.
            def found(doc: str, part: str) -> bool:
                return part in texts.get(doc, "") or part in fields.get(doc, "") or part in dropped.get(doc, "")

            if not any(found(doc, quote) or all(found(doc, part) for part in split_sentences(quote))
                       for doc in item.documents):
                problems.append(f"{item.id}: quote not verbatim in {item.documents}: {quote[:60]}")
    return problems


def leave_one_out(items: Sequence[EvalItem], documents: Sequence[Document]) -> list[tuple[EvalItem, frozenset[str]]]:
    """Hard negatives for free: each answerable item, asked with its source documents left out.

    The right decision is then "refuse": for a content item unless another document holds one of its quotes
    (those are skipped); for a metadata item always (kind refuse_loo_metadata): the document it names is gone,
    and another document's author or date is not its answer.
    """
    texts = {d.id: normalize(d.text) for d in documents}
    out = []
    for item in items:
        if not item.answerable or not item.documents:
            continue
        excluded = frozenset(item.documents)
        metadata = item.kind == "metadata"
        quotes = [normalize(q) for q in item.quotes]
        if not metadata and any(q in text for doc, text in texts.items() if doc not in excluded for q in quotes):
            continue
        negative = item.model_copy(update={"id": f"{item.id}-loo", "answerable": False, "facts": [], "quotes": [],
                                           "kind": "refuse_loo_metadata" if metadata else "refuse_loo",
                                           "section": None})
        out.append((negative, excluded))
    return out


# -- matching ------------------------------------------------------------------------------
def _stems(text: str) -> list[str]:
    return [stem(t) for t in tokenize(text)]


def fact_found(alternatives: Sequence[str], text: str) -> bool:
    """A fact is found when one alternative's stemmed words occur in order in the text (Dutch-aware)."""
    from .prompts import dutch_date

    haystack = " " + " ".join(_stems(text)) + " "
    # An ISO date ("2024-08-29") is the same fact as the Dutch date an answer writes ("29 augustus 2024").
    alternatives = [a for alt in alternatives for a in dict.fromkeys((alt, dutch_date(alt.strip())))]
    return any(" " + " ".join(_stems(alt)) + " " in haystack for alt in alternatives if alt.strip())


def _quote_in(quote: str, chunk_text: str, min_run: int = 8) -> bool:
    """The chunk holds the quote, or (quotes may straddle chunks) a run of `min_run` of its words."""
    q, c = normalize(quote), normalize(chunk_text)
    if q in c:
        return True
    words = q.split()
    return any(" ".join(words[i:i + min_run]) in c for i in range(0, max(1, len(words) - min_run + 1)))


def relevant_ids(item: EvalItem, chunks: Sequence[tuple[str, str, str]]) -> set[str]:
    """Ids of chunks (id, document_id, text) that contain one of the item's supporting quotes."""
    return {cid for cid, doc, text in chunks
            if doc in item.documents and any(_quote_in(q, text) for q in item.quotes)}


def _answer_lines(answer: Answer) -> list[str]:
    """The quoted units of an extractive answer (lead-in, markers and list dashes removed)."""
    body = answer.answer.split("\n\n", 1)[-1] if "\n\n" in answer.answer else answer.answer
    out = []
    for line in body.split("\n"):
        line = re.sub(r"^- ", "", line.strip())
        for piece in re.split(r"\s*\[\d+\]\s*", line):
            out += [s.strip() for s in split_sentences(piece) if s.strip()] if piece.strip() else []
    return out


def groundedness(answer: Answer, chunk_texts: dict[str, str]) -> float | None:
    """Share of answer sentences and list items found verbatim in a passage the answer cites (content answers)."""
    if answer.reason == "metadata":
        return None
    cited = [chunk_texts.get(c.chunk_id, "") for c in answer.citations]
    sentences = _answer_lines(answer)
    if not sentences:
        return 0.0
    return sum(1 for s in sentences if any(s in text for text in cited)) / len(sentences)


_MARK = re.compile(r"\[(\d+)\]")


def sentence_groundedness(answer: Answer, min_share: float = 0.5) -> float | None:
    """A written (LLM) answer, per sentence: the share of sentences that cite an existing source whose quote
    holds every number of the sentence and at least `min_share` of its stemmed content words.

    Independent of the composer's verifier (plain stems, no compounds, no vectors): a second, simpler reading of
    the same question, "is what it says in what it cites?"."""
    if answer.reason == "metadata" or not answer.answered:
        return None
    quotes = {c.n: c.quote for c in answer.citations}
    sentences = [s for line in answer.answer.split("\n") for s in split_sentences(re.sub(r"^- ", "", line.strip()))]
    sentences = [s for s in sentences if re.search(r"[^\W\d_]", _MARK.sub("", s))]
    if not sentences:
        return 0.0
    supported = 0
    for sentence in sentences:
        cited = [int(n) for n in _MARK.findall(sentence)]
        if not cited or any(n not in quotes for n in cited):
            continue
        source = " ".join(quotes[n] for n in cited)
        words = [w for w in tokenize(_MARK.sub(" ", sentence)) if len(w) > 3 and not w.isdigit()]
        stems = set(_stems(source))
        numbers = set(re.findall(r"\d+", _MARK.sub(" ", sentence)))
        if numbers - set(re.findall(r"\d+", source)):
            continue
        if not words or sum(stem(w) in stems for w in words) / len(words) >= min_share:
            supported += 1
    return supported / len(sentences)


def citation_validity(answer: Answer, chunk_texts: dict[str, str],
                      documents: dict[str, dict[str, Any]] | None = None) -> float:
    """Share of citations whose chunk exists and whose quote occurs verbatim in it (or, for a metadata answer,
    is the cited document's field)."""
    if not answer.citations:
        return 1.0 if not answer.answered else 0.0

    def valid(c) -> bool:
        if answer.reason == "metadata":
            meta = (documents or {}).get(c.document_id, {})
            return c.chunk_id in chunk_texts and c.quote in {str(v) for v in meta.values() if v}
        return bool(c.quote) and c.quote in chunk_texts.get(c.chunk_id, "")

    return sum(1 for c in answer.citations if valid(c)) / len(answer.citations)


def load_chrome(path: Path | None) -> dict[str, list[str]]:
    """Labelled site-chrome lines per document ({"document", "lines"} JSONL: a file or a folder of them)."""
    if path is None or not Path(path).exists():
        return {}
    files = sorted(Path(path).glob("*.jsonl")) if Path(path).is_dir() else [Path(path)]
    out: dict[str, list[str]] = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.setdefault(row["document"], []).extend(row["lines"])
    return out


def chrome_lines_in(answer: Answer, chrome: dict[str, list[str]], min_words: int = 6) -> list[str]:
    """Labelled chrome lines (of the cited documents) that an answer quotes: a unit equal to one, or containing
    one of at least `min_words` words (a short label, such as an organisation's name in a footer, may also occur
    in a sentence). Independent of the extraction code: it reads only the labels."""
    if not answer.answered or answer.reason == "metadata":
        return []
    lines = [normalize(x) for c in answer.citations for x in chrome.get(c.document_id, [])]
    units = [normalize(u) for u in _answer_lines(answer)]
    found = []
    for line in dict.fromkeys(lines):
        if not line:
            continue
        long_enough = len(line.split()) >= min_words
        if any(u == line or u.rstrip(".:;") == line.rstrip(".:;") or (long_enough and line in u) for u in units):
            found.append(line)
    return found


# -- running -------------------------------------------------------------------------------
@dataclass
class ItemResult:
    id: str
    kind: str
    question: str
    answerable: bool
    answered: bool
    answer: str
    ranking: list[str]
    relevant: list[str]
    facts_found: list[bool]
    groundedness: float | None
    citation_validity: float | None
    latency_ms: float
    confidence: float | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    top_score: float | None = None
    reason: str | None = None
    first_citation_ok: bool | None = None  # answered answerable items: the first citation is a source document
    chrome: list[str] = field(default_factory=list)  # labelled chrome lines the answer quotes
    mode: str = "extractive"  # who wrote the answer: extractive | llm
    sentence_groundedness: float | None = None  # LLM answers: share of sentences their cited quotes support

    @property
    def correct(self) -> bool:
        """The decision was right: answered when answerable, refused when not."""
        return self.answered == self.answerable


def run_advisor(advisor, items: Sequence[EvalItem], *, progress: Callable[[], None] | None = None,
                excludes: Sequence[frozenset[str]] | None = None, models=None,
                chrome: dict[str, list[str]] | None = None) -> list[ItemResult]:
    """Every item through the facade's pipeline (`Advisor.run`), as a user would meet it."""
    from .retrieval import HybridRetriever

    snapshot = advisor.snapshot()
    chunk_rows = [(c.id, c.document_id, c.text) for c in snapshot.chunks.values()]
    texts = {c.id: c.text for c in snapshot.chunks.values()}
    retriever = HybridRetriever(advisor.store, advisor.embedder, advisor.settings.retrieval)
    results = []
    for n, item in enumerate(items):
        exclude = excludes[n] if excludes else frozenset()
        started = time.perf_counter()
        run = advisor.run(item.question, turns=item.turns, exclude=exclude, models=models)
        latency = (time.perf_counter() - started) * 1000
        answer = run.answer
        ranked = retriever.retrieve(snapshot, run.query.resolved, top_n=10, vector=run.query.vector, exclude=exclude)
        answered_item = answer.answered and item.answerable
        results.append(ItemResult(
            id=item.id, kind=item.kind, question=item.question, answerable=item.answerable, answered=answer.answered,
            answer=answer.answer, ranking=[p.chunk.id for p in ranked],
            relevant=sorted(relevant_ids(item, chunk_rows)),
            facts_found=[answer.answered and fact_found(f, answer.answer) for f in item.facts],
            groundedness=groundedness(answer, texts) if answer.answered and answer.mode == "extractive" else None,
            citation_validity=citation_validity(answer, texts, snapshot.documents_by_id) if answer.answered else None,
            latency_ms=latency, confidence=answer.confidence,
            sources=[{"n": c.n, "title": c.title, "quote": c.quote, "document_id": c.document_id}
                     for c in answer.citations],
            top_score=max((p.dense_score or 0.0 for p in run.passages), default=0.0), reason=answer.reason,
            first_citation_ok=(bool(answer.citations) and answer.citations[0].document_id in item.documents)
            if answered_item else None,
            chrome=chrome_lines_in(answer, chrome or {}), mode=answer.mode,
            sentence_groundedness=sentence_groundedness(answer) if answer.mode == "llm" else None))
        if progress:
            progress()
    return results


def run_naive(naive, items: Sequence[EvalItem], *, progress: Callable[[], None] | None = None) -> list[ItemResult]:
    chunk_rows = [(c.id, c.document_id, c.text) for c in naive.chunks]
    results = []
    for item in items:
        started = time.perf_counter()
        answer = naive.ask(item.question)
        latency = (time.perf_counter() - started) * 1000
        hits = naive.search(item.question, 10)
        results.append(ItemResult(
            id=item.id, kind=item.kind, question=item.question, answerable=item.answerable, answered=answer.answered,
            answer=answer.answer, ranking=[c.id for c, _ in hits], relevant=sorted(relevant_ids(item, chunk_rows)),
            facts_found=[fact_found(f, answer.answer) for f in item.facts], groundedness=1.0,
            citation_validity=None, latency_ms=latency,
            sources=[{"n": i + 1, "title": c.document_id, "quote": c.text[:300]} for i, c in enumerate(answer.chunks)],
            top_score=hits[0][1] if hits else None))
        if progress:
            progress()
    return results


def _ir_metrics(results: Sequence[ItemResult]) -> dict[str, float]:
    import ir_measures
    from ir_measures import RR, R, nDCG

    judged = [r for r in results if r.answerable and r.relevant]
    if not judged:
        return {"recall_at_5": 0.0, "mrr": 0.0, "ndcg_at_10": 0.0}
    qrels = [ir_measures.Qrel(r.id, cid, 1) for r in judged for cid in r.relevant]
    run = [ir_measures.ScoredDoc(r.id, cid, float(len(r.ranking) - i)) for r in judged
           for i, cid in enumerate(r.ranking)]
    agg = ir_measures.calc_aggregate([R @ 5, RR, nDCG @ 10], qrels, run)
    return {"recall_at_5": agg[R @ 5], "mrr": agg[RR], "ndcg_at_10": agg[nDCG @ 10]}


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else None


def _llm_metrics(results: Sequence[ItemResult]) -> dict[str, Any]:
    """With a chat model: how often it was asked, how often its answer fell back to the extractive one, and how
    well its sentences are supported (None without a model)."""
    asked = [r for r in results if r.mode == "llm" or (r.reason or "").startswith("fallback_")]
    if not asked:
        return {}
    fallbacks = [r for r in asked if (r.reason or "").startswith("fallback_")]
    reasons: dict[str, int] = {}
    for r in fallbacks:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    return {"llm_asked": len(asked), "llm_answers": sum(r.mode == "llm" and r.answered for r in asked),
            "fallback_rate": len(fallbacks) / len(asked), "fallback_reasons": reasons,
            "sentence_groundedness": _mean([r.sentence_groundedness for r in asked
                                            if r.sentence_groundedness is not None])}


def summarize(results: Sequence[ItemResult]) -> dict[str, Any]:
    """Headline metrics plus a breakdown per question kind."""
    answerable = [r for r in results if r.answerable]
    refuse = [r for r in results if not r.answerable]
    answered = [r for r in results if r.answered]
    facts = [f for r in answerable for f in r.facts_found]
    summary: dict[str, Any] = {
        **_ir_metrics(results),
        "fact_recall": _mean([1.0 if f else 0.0 for f in facts]) or 0.0,
        "groundedness": _mean([r.groundedness for r in answered if r.groundedness is not None]),
        "citation_validity": _mean([r.citation_validity for r in answered if r.citation_validity is not None]),
        "refusal_accuracy": _mean([0.0 if r.answered else 1.0 for r in refuse]),
        "false_refusal_rate": _mean([0.0 if r.answered else 1.0 for r in answerable]),
        "decision_accuracy": _mean([1.0 if r.correct else 0.0 for r in results]),
        "first_citation_source": _mean([1.0 if r.first_citation_ok else 0.0 for r in results
                                        if r.first_citation_ok is not None]),
        "chrome_answers": sum(1 for r in results if r.chrome),
        **_llm_metrics(results),
        "latency_p50_ms": _percentile([r.latency_ms for r in results], 50),
        "latency_p95_ms": _percentile([r.latency_ms for r in results], 95),
        "items": len(results),
    }
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.kind for r in results}):
        rows = [r for r in results if r.kind == kind]
        kind_facts = [f for r in rows for f in r.facts_found]
        kinds[kind] = {"items": len(rows), "decision_accuracy": _mean([1.0 if r.correct else 0.0 for r in rows]),
                       "fact_recall": _mean([1.0 if f else 0.0 for f in kind_facts]),
                       "first_citation_source": _mean([1.0 if r.first_citation_ok else 0.0 for r in rows
                                                       if r.first_citation_ok is not None])}
    summary["by_kind"] = kinds
    return summary


def results_as_dicts(results: Sequence[ItemResult]) -> list[dict[str, Any]]:
    return [{**asdict(r), "correct": r.correct} for r in results]


def ragas_rows(items: Sequence[EvalItem], results: Sequence[ItemResult], chunk_texts: dict[str, str]
               ) -> list[dict[str, Any]]:
    """RAGAS-compatible rows (question, answer, contexts, ground_truth) for an external LLM judge."""
    by_id = {i.id: i for i in items}
    rows = []
    for r in results:
        item = by_id[r.id]
        rows.append({"question": item.question, "answer": r.answer,
                     "contexts": [chunk_texts[c] for c in r.ranking[:5] if c in chunk_texts],
                     "ground_truth": " ".join(item.quotes) if item.answerable else "(weigeren)",
                     "id": item.id, "kind": item.kind})
    return rows


def dump_jsonl(rows: Sequence[dict[str, Any]], path: Path) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


# -- the run behind `advisor eval` ----------------------------------------------------------
@dataclass
class DatasetSpec:
    name: str
    path: Path
    corpus: Path
    chrome: Path | None = None  # labelled site-chrome lines of the corpus documents
    loo: bool = True  # also run the leave-one-out negatives


def dataset_specs(config: Path = Path("evals/config.toml")) -> dict[str, DatasetSpec]:
    """Named datasets and the corpus each is written from (evals/config.toml)."""
    import tomllib

    data = tomllib.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
    return {name: DatasetSpec(name, Path(spec["path"]), Path(spec["corpus"]),
                              Path(spec["chrome"]) if spec.get("chrome") else None, bool(spec.get("loo", True)))
            for name, spec in data.get("datasets", {}).items()}


def resolve_dataset(name_or_path: str, config: Path = Path("evals/config.toml")) -> DatasetSpec:
    specs = dataset_specs(config)
    if name_or_path in specs:
        return specs[name_or_path]
    path = Path(name_or_path)
    if not path.exists():
        raise ValueError(f"unknown dataset {name_or_path!r}: not in {config} ({', '.join(specs)}) and not a file")
    return DatasetSpec(path.stem, path, Path("corpus"))


def similarity_only(models):
    """The "similarity threshold only" baseline: the same pipeline, one cut on the top unit similarity."""
    from dataclasses import replace

    return replace(models, guardrail=None, intent=None, presence=None, decision=None)


def evaluate(spec: DatasetSpec, settings, *, embedder=None, progress: Callable[[], None] | None = None,
             baselines: bool = True, composer: str = "extractive", limit: int | None = None, advisor=None) -> dict[str, Any]:
    """Ingest the dataset's corpus into a throw-away index; run advisor, the baselines and the leave-one-out
    negatives on every item (the first `limit` items only, when given). With `advisor` (e.g. one pinned to a
    staged index version) that advisor answers instead of a throw-away index.

    composer "llm" answers with the configured chat model (ADVISOR_LLM__*) and also runs the extractive
    composer on the same index, so the report compares both modes side by side."""
    if composer not in ("extractive", "llm"):
        raise ValueError(f"unknown composer {composer!r} (extractive, llm)")
    if composer == "llm" and settings.llm.provider == "none":
        raise ValueError("--composer llm needs a chat model: set ADVISOR_LLM__PROVIDER (openai, ollama), "
                         "ADVISOR_LLM__BASE_URL and ADVISOR_LLM__MODEL")
    if composer == "extractive":
        settings = settings.model_copy(update={"llm": settings.llm.model_copy(update={"provider": "none"})})
    import tempfile

    from .advisor import Advisor
    from .baseline import NaivePipeline
    from .corpus import load_corpus

    items = load_dataset(spec.path)
    if limit is not None:
        items = items[:limit]
    documents, _ = load_corpus(spec.corpus)
    problems = validate_dataset(items, documents)
    structural = [p for p in problems if "quote not verbatim" not in p]
    if structural:
        raise ValueError("invalid dataset:\n  " + "\n  ".join(structural))
    # A quote the loader no longer finds is a reading error of the loader (or the item): the item still runs,
    # and the report lists it, so a dataset nobody may edit (the blind test set) stays usable and honest.
    chrome = load_chrome(spec.chrome)
    loo = leave_one_out(items, documents) if spec.loo and len(documents) > 1 else []
    with tempfile.TemporaryDirectory(prefix="advisor-eval-") as tmp:
        if advisor is None:
            run_settings = settings.model_copy(update={"data_dir": Path(tmp), "corpus_dir": spec.corpus,
                                                       "chroma_url": None, "refresh_seconds": 0})
            advisor = Advisor(run_settings, embedder=embedder)
            advisor.ingest(spec.corpus)
        else:
            run_settings = advisor.settings
        clear = getattr(advisor.embedder, "clear_cache", lambda: None)
        clear()  # every pipeline meets every question cold, so their latencies compare
        # The baselines and the side-by-side extractive run share the index but never ask the chat model.
        extractive = advisor if composer == "extractive" else Advisor(
            run_settings.model_copy(update={"llm": run_settings.llm.model_copy(update={"provider": "none"})}),
            embedder=advisor.embedder, store=advisor.store)
        advisor_results = run_advisor(advisor, items, progress=progress, chrome=chrome)
        loo_results = run_advisor(advisor, [i for i, _ in loo], excludes=[e for _, e in loo], progress=progress)
        report: dict[str, Any] = {
            "dataset": spec.name, "dataset_path": str(spec.path), "corpus": str(spec.corpus), "items": len(items),
            "quotes_not_found": len(problems),
            "embedder": advisor.embedder.name, "models": advisor.models.describe(),
            "settings": {"retrieval": run_settings.retrieval.model_dump(), "answer": run_settings.answer.model_dump()},
            "composer": composer,
            "advisor": {"summary": summarize(advisor_results), "results": results_as_dicts(advisor_results)},
            "loo": {"summary": summarize(loo_results), "results": results_as_dicts(loo_results)},
        }
        if composer == "llm":
            llm = run_settings.llm
            report["settings"]["llm"] = {"provider": llm.provider, "base_url": llm.base_url, "model": llm.model,
                                         "max_tokens": llm.max_tokens, "timeout": llm.timeout,
                                         "min_kept": llm.min_kept, "min_coverage": llm.min_coverage,
                                         "min_similarity": llm.min_similarity}
            clear()
            plain = run_advisor(extractive, items, progress=progress, chrome=chrome)
            report["extractive"] = {"summary": summarize(plain), "results": results_as_dicts(plain)}
        if baselines:
            clear()
            similarity = run_advisor(extractive, items, models=similarity_only(advisor.models), progress=progress)
            report["similarity"] = {"summary": summarize(similarity), "results": results_as_dicts(similarity),
                                    "threshold": advisor.models.settings.get("similarity_threshold")}
            naive = NaivePipeline(advisor.embedder, documents)
            clear()
            naive_results = run_naive(naive, items, progress=progress)
            report["naive"] = {"summary": summarize(naive_results), "results": results_as_dicts(naive_results)}
        chunk_texts = {c.id: c.text for c in advisor.snapshot().chunks.values()}
    report["ragas"] = ragas_rows(items, advisor_results, chunk_texts)
    return report


def check_thresholds(report: dict[str, Any], thresholds: dict[str, Any]) -> list[str]:
    """Failures of the quality gate: `min_*` / `max_*` keys against advisor's headline metrics (or a question
    kind's: `min_list_fact_recall`)."""
    summary = report["advisor"]["summary"]
    failures = []
    for key, bound in thresholds.get(report["dataset"], {}).items():
        kind, metric = key.split("_", 1)
        value = summary.get(metric)
        for kind_name, row in summary.get("by_kind", {}).items():  # per-kind bounds: min_list_fact_recall
            if value is None and metric.startswith(kind_name + "_"):
                value = row.get(metric[len(kind_name) + 1:])
        if value is None or (kind == "min" and value < bound) or (kind == "max" and value > bound):
            failures.append(f"{report['dataset']}: {metric} = {value} ({kind} {bound})")
    return failures


def compare_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Metric deltas and the items whose outcome (answered or not, facts found) changed."""
    a, b = old["advisor"]["summary"], new["advisor"]["summary"]
    deltas = {k: (a.get(k), b.get(k)) for k in HEADLINE + ("decision_accuracy", "latency_p50_ms")
              if isinstance(b.get(k), (int, float))}
    before = {r["id"]: r for r in old["advisor"]["results"]}
    changed = []
    for r in new["advisor"]["results"]:
        o = before.get(r["id"])
        if o and (o["answered"] != r["answered"] or o["facts_found"] != r["facts_found"]):
            changed.append({"id": r["id"], "question": r["question"], "before": o["answered"], "after": r["answered"],
                            "facts_before": o["facts_found"], "facts_after": r["facts_found"]})
    return {"deltas": deltas, "changed": changed}


def evaluate_guardrail(path: Path, embed: Callable[[str], Any], models) -> dict[str, Any]:
    """The guardrail classifier on labelled phrasings it was not fitted on ({"text", "label", "lookalike"})."""
    from .decision import guard

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    results = []
    for row in rows:
        kind, p = guard(embed(row["text"]), models, row["text"])
        results.append({**row, "flagged": kind is not None, "predicted": kind or "benign", "p_harm": round(p, 3)})
    harmful = [r for r in results if r["label"] != "benign"]
    lookalike = [r for r in results if r["label"] == "benign" and r.get("lookalike")]
    benign = [r for r in results if r["label"] == "benign"]
    return {
        "items": len(results),
        "harmful_recall": _mean([1.0 if r["flagged"] else 0.0 for r in harmful]),
        "by_label": {label: _mean([1.0 if (r["flagged"] if label != "benign" else not r["flagged"]) else 0.0
                                   for r in results if r["label"] == label])
                     for label in sorted({r["label"] for r in results})},
        "lookalikes_refused": _mean([1.0 if r["flagged"] else 0.0 for r in lookalike]),
        "benign_refused": _mean([1.0 if r["flagged"] else 0.0 for r in benign]),
        "errors": [r for r in results if r["flagged"] != (r["label"] != "benign")],
    }
