"""`advisor bench`: ingest throughput, query latency and peak memory, with a naive pipeline as reference.

The naive reference is what a tutorial builds: dense-only top-4 over the same index, the retrieved text as
the answer, no fusion, no sentence selection, no refusal. Both run in the same process on the same questions,
so the ratio between them is meaningful even on a noisy machine.
"""

from __future__ import annotations

import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

DEFAULT_QUESTIONS = Path("evals/datasets/corpus.jsonl")
_FALLBACK_QUESTIONS = [
    "Waarom is mandaat belangrijk voor een samenwerkingsverband?",
    "Hoe betrek je moederorganisaties bij een samenwerking?",
    "Wat is de hoofdstad van Frankrijk?",
]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _questions(path: Path | None) -> list[str]:
    path = path or DEFAULT_QUESTIONS
    if path.is_file():
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [item["question"] for item in items if not item.get("turns")]
    return list(_FALLBACK_QUESTIONS)


def naive_answer(advisor, question: str, k: int = 4) -> str:
    """The reference pipeline: embed, dense top-k from the same Chroma version, concatenate."""
    snapshot = advisor.snapshot()
    hits = advisor.store.query(snapshot.version, advisor.embedder.embed_query(question), k)
    return "\n\n".join(snapshot.chunks[cid].text for cid, _ in hits if cid in snapshot.chunks)


def _streamed_ms(advisor, question: str) -> tuple[float, float]:
    """(first streamed text, complete answer) in ms, from one call, as a /v1/chat/stream client sees them."""
    started = time.perf_counter()
    first = None
    for event, _ in advisor.stream(question):
        if event == "delta" and first is None:
            first = (time.perf_counter() - started) * 1000
    total = (time.perf_counter() - started) * 1000
    return (first if first is not None else total), total


def _timed(fn, questions: list[str], repeat: int) -> list[float]:
    latencies = []
    for _ in range(repeat):
        for q in questions:
            t = time.perf_counter()
            fn(q)
            latencies.append((time.perf_counter() - t) * 1000)
    return latencies


def run_bench(*, corpus: Path | None = None, repeat: int = 3, questions_file: Path | None = None) -> dict:
    """Run the benchmark in a throw-away data folder and print the figures."""
    from .advisor import Advisor
    from .corpus import load_corpus
    from .settings import get_settings

    base = get_settings()
    corpus = corpus or base.corpus_dir
    rss_start = _peak_rss_mb()
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as tmp:
        settings = base.model_copy(update={"data_dir": Path(tmp)})
        advisor = Advisor.from_settings(settings)
        t = time.perf_counter()
        advisor.embedder  # model load is reported separately from ingest
        load_s = time.perf_counter() - t
        documents, _ = load_corpus(corpus)
        words = sum(len(d.text.split()) for d in documents)
        t = time.perf_counter()
        report = advisor.ingest(corpus)
        ingest_s = time.perf_counter() - t
        t = time.perf_counter()
        unchanged = advisor.ingest(corpus)
        reingest_s = time.perf_counter() - t
        questions = _questions(questions_file)
        advisor.ask(questions[0])  # load the snapshot and BM25 once; not part of any figure
        clear = getattr(advisor.embedder, "clear_cache", lambda: None)
        # Cold: every question new to the embedder's cache, as for a real user. Each pipeline starts cold.
        clear()
        embed = _timed(advisor.embedder.embed_query, questions, 1)  # the query embedding alone, cold
        clear()
        naive = _timed(lambda q: naive_answer(advisor, q), questions, 1)
        clear()
        streamed = [_streamed_ms(advisor, q) for q in questions]
        first, full = [f for f, _ in streamed], [t for _, t in streamed]
        # Warm: the same questions again (an FAQ, a repeated widget question): cached question vectors.
        warm = _timed(lambda q: advisor.ask(q), questions, repeat)
        # Hostile input costs what a normal question costs: analysis and turn text are capped, and nothing on
        # the request path embeds single words (the adversarial run found 45 s for a 20 KB follow-up).
        import random

        rng = random.Random(7)
        vocabulary = [w for q in questions for w in q.split()] or ["woord"]
        noise = lambda n: " ".join(rng.choice(vocabulary) + str(rng.randint(0, 999)) for _ in range(n))  # noqa: E731
        # The inputs are made before the clock starts: generating 20 KB of noise is not the advisor's time.
        long_questions = {q: noise(250)[:2000] for q in questions[:10]}
        long_turns = {q: [{"role": "user", "content": noise(2500)[:20000]}] for q in questions[:10]}
        clear()
        long_q = _timed(lambda q: advisor.ask(long_questions[q]), questions[:10], 1)
        clear()
        long_turn = _timed(lambda q: advisor.ask("En dat?", turns=long_turns[q]), questions[:10], 1)
    figures = {
        "embedder": advisor.embedder.name,
        "model_load_s": round(load_s, 3),
        "ingest": {"documents": report.documents, "chunks": report.chunks, "words": words,
                   "seconds": round(ingest_s, 3), "words_per_s": round(words / ingest_s, 1) if ingest_s else None,
                   "chunks_per_s": round(report.chunks / ingest_s, 2) if ingest_s else None,
                   "unchanged_reingest_s": round(reingest_s, 3), "unchanged_reported": not unchanged.changed_anything},
        "questions": len(questions),
        "warm_ms": {"p50": round(_percentile(warm, 50), 2), "p95": round(_percentile(warm, 95), 2)},
        "advisor_ms": {"p50": round(_percentile(full, 50), 2), "p95": round(_percentile(full, 95), 2),
                       "mean": round(statistics.fmean(full), 2)},
        "first_delta_ms": {"p50": round(_percentile(first, 50), 2), "p95": round(_percentile(first, 95), 2)},
        "embed_ms": {"p50": round(_percentile(embed, 50), 2), "p95": round(_percentile(embed, 95), 2)},
        "hostile_ms": {"question_2000_chars_p50": round(_percentile(long_q, 50), 2),
                       "follow_up_20kb_turn_p50": round(_percentile(long_turn, 50), 2)},
        "naive_ms": {"p50": round(_percentile(naive, 50), 2), "p95": round(_percentile(naive, 95), 2),
                     "mean": round(statistics.fmean(naive), 2)},
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "rss_at_start_mb": round(rss_start, 1),
    }
    figures["advisor_vs_naive_p50"] = round(figures["advisor_ms"]["p50"] / figures["naive_ms"]["p50"], 2)
    # The whole pipeline against its one unavoidable model call: the rest must be cheap.
    figures["answer_vs_embed_p50"] = round(figures["advisor_ms"]["p50"] / figures["embed_ms"]["p50"], 2)
    figures["answer_p95_vs_embed_p50"] = round(figures["advisor_ms"]["p95"] / figures["embed_ms"]["p50"], 2)
    print(f"embedder            {figures['embedder']} (load {figures['model_load_s']} s)")
    ing = figures["ingest"]
    print(f"ingest              {ing['documents']} docs, {ing['chunks']} chunks, {ing['words']} words in "
          f"{ing['seconds']} s ({ing['words_per_s']} words/s, {ing['chunks_per_s']} chunks/s)")
    print(f"re-ingest unchanged {ing['unchanged_reingest_s']} s (reported unchanged: {ing['unchanged_reported']})")
    print(f"questions           {len(questions)} (cold: each new to the question-vector cache)")
    print(f"advisor latency     p50 {figures['advisor_ms']['p50']} ms, p95 {figures['advisor_ms']['p95']} ms")
    print(f"first streamed text p50 {figures['first_delta_ms']['p50']} ms, p95 {figures['first_delta_ms']['p95']} ms "
          "(time to first delta of /v1/chat/stream)")
    print(f"naive latency       p50 {figures['naive_ms']['p50']} ms, p95 {figures['naive_ms']['p95']} ms "
          f"(dense-only top-4, same index)")
    print(f"ratio advisor/naive p50 x{figures['advisor_vs_naive_p50']}")
    print(f"query embedding     p50 {figures['embed_ms']['p50']} ms, p95 {figures['embed_ms']['p95']} ms (cold, alone)")
    print(f"answer / embedding  p50 x{figures['answer_vs_embed_p50']}, p95 x{figures['answer_p95_vs_embed_p50']} "
          "(whole pipeline against its one query embedding)")
    print(f"advisor, repeated   p50 {figures['warm_ms']['p50']} ms, p95 {figures['warm_ms']['p95']} ms "
          f"({repeat} more passes, cached question vectors)")
    hostile = figures["hostile_ms"]
    print(f"hostile input       2,000-character question p50 {hostile['question_2000_chars_p50']} ms "
          f"(x{hostile['question_2000_chars_p50'] / figures['advisor_ms']['p50']:.2f} of a normal question), "
          f"follow-up with a 20 KB turn p50 {hostile['follow_up_20kb_turn_p50']} ms "
          f"(x{hostile['follow_up_20kb_turn_p50'] / figures['advisor_ms']['p50']:.2f})")
    print(f"peak memory (RSS)   {figures['peak_rss_mb']} MB")
    return figures
