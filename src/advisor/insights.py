"""Content-team insights from the question analytics: gaps (unanswered topics), thumbs-down, FAQ candidates,
citations per document, volume and latency. Topics are e5 vectors clustered with scikit-learn."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

import numpy as np

# Refusals that say "our publications do not cover this"; guardrail refusals (harmful, legal, injection) are
# not content gaps and are only counted.
GAP_REASONS = ("not_in_sources", "no_passages", "metadata_missing")
MAX_CLUSTERED = 3000  # most recent questions clustered per group (agglomerative clustering is quadratic)
_SINCE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")


def parse_since(text: str) -> timedelta:
    """'30d', '12h', '2w' -> a timedelta; a clear error otherwise."""
    match = _SINCE.match(text or "")
    if not match:
        raise ValueError(f"--since {text!r}: use a number with h, d or w, e.g. 30d")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=amount) if unit == "h" else timedelta(days=amount * (7 if unit == "w" else 1))


def cluster(vectors: np.ndarray, *, max_topics: int = 20) -> np.ndarray:
    """Topic label per row of unit vectors: Ward clustering (on unit vectors Euclidean distance orders like cosine),
    the number of topics chosen by the cosine silhouette score, so nobody has to guess how many themes there are.
    (Average linkage and HDBSCAN were tried on a planted session: both merged or dropped themes more often.)"""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    n = len(vectors)
    if n < 3:
        return np.arange(n)
    best, best_score = np.zeros(n, dtype=int), -1.0
    for k in range(2, min(max_topics, n - 1) + 1):
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(vectors)
        score = silhouette_score(vectors, labels, metric="cosine")
        if score > best_score:
            best, best_score = labels, score
    return best


def topics(rows: Sequence[dict[str, Any]], embed: Callable[[str], np.ndarray], *, representatives: int = 5
           ) -> list[dict[str, Any]]:
    """Rows grouped into topics, largest first; each with its size, representative questions and reasons."""
    rows = list(rows)[-MAX_CLUSTERED:]
    if not rows:
        return []
    cache: dict[str, np.ndarray] = {}
    for row in rows:
        if row["question"] not in cache:
            cache[row["question"]] = np.asarray(embed(row["question"]), dtype=np.float32)
    vectors = np.stack([cache[r["question"]] for r in rows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    labels = cluster(vectors)
    out = []
    for label in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == label)
        centroid = vectors[members].mean(axis=0)
        order = members[np.argsort(-(vectors[members] @ centroid))]
        reps = list(dict.fromkeys(rows[i]["question"] for i in order))[:representatives]
        reasons = Counter(rows[i]["reason"] for i in members)
        out.append({"size": int(len(members)), "questions": reps, "reasons": dict(reasons.most_common()),
                    "reason": reasons.most_common(1)[0][0], "question_ids": [int(rows[i]["id"]) for i in members],
                    "days": sorted({rows[i]["asked_hour"].date().isoformat() for i in members})})
    out.sort(key=lambda t: (-t["size"], t["questions"][0]))
    return out


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if len(values) < 2:
        only = values[0] if values else None
        return {"p50": only, "p90": only, "p95": only, "p99": only}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p90": round(cuts[89], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


def build_insights(db, advisor, *, since: timedelta = timedelta(days=30), now: datetime | None = None,
                   top_topics: int = 15) -> dict[str, Any]:
    """The whole report as JSON-ready data (the HTML renders exactly this)."""
    now = now or datetime.now(timezone.utc)
    start = now - since
    rows = db.questions(start)
    documents = {d["id"]: d for d in advisor.snapshot().documents()}

    def doc(doc_id: str) -> dict[str, Any]:
        d = documents.get(doc_id, {})
        return {"id": doc_id, "title": d.get("title") or doc_id, "url": d.get("url")}

    gaps = [r for r in rows if not r["answered"] and r["reason"] in GAP_REASONS]
    answered = [r for r in rows if r["answered"]]
    unanswered = topics(gaps, advisor.embedder.embed_query)[:top_topics]
    for topic in unanswered:  # the publications that came closest, for the editor deciding what to write
        best: dict[str, float] = {}
        for p in advisor.retrieve(topic["questions"][0], top_n=8):
            best[p.chunk.document_id] = max(best.get(p.chunk.document_id, 0.0), p.dense_score or 0.0)
        topic["nearest"] = [doc(d) | {"similarity": round(score, 3)}
                            for d, score in sorted(best.items(), key=lambda kv: -kv[1])[:3]]
    popular = topics(answered, advisor.embedder.embed_query)[:top_topics]
    cited_by_id = {r["id"]: r["cited"] for r in answered}
    for topic in popular:
        cited = Counter(d for i in topic["question_ids"] for d in cited_by_id[i])
        topic["cited"] = [doc(d) | {"count": n} for d, n in cited.most_common(3)]
    by_answer = defaultdict(list)
    for r in rows:
        by_answer[r["answer_id"]].append(r)
    thumbs_down = []
    for f in db.feedback():
        if f["rating"] != "down" or f["created_at"] < start.timestamp():
            continue
        asked = by_answer.get(f["answer_id"], [])
        cited = asked[-1]["cited"] if asked else []
        thumbs_down.append({"answer_id": f["answer_id"], "comment": f["comment"],
                            "question": f["question"] or (asked[-1]["question"] if asked else None),
                            "answered": asked[-1]["answered"] if asked else None,
                            "reason": asked[-1]["reason"] if asked else None, "cited": [doc(d) for d in cited],
                            "at": datetime.fromtimestamp(f["created_at"], timezone.utc).isoformat(timespec="minutes")})
    citations = Counter(d for r in answered for d in r["cited"])
    per_day: dict[str, dict[str, int]] = defaultdict(lambda: {"asked": 0, "answered": 0})
    for r in rows:
        day = per_day[r["asked_hour"].date().isoformat()]
        day["asked"] += 1
        day["answered"] += int(bool(r["answered"]))
    latencies = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    return {
        "generated_at": now.isoformat(timespec="minutes"), "since": start.isoformat(timespec="minutes"),
        "index_version": advisor.snapshot().version,
        "totals": {"questions": len(rows), "answered": len(answered), "unanswered": len(gaps),
                   "guardrail_refusals": sum(1 for r in rows if not r["answered"] and r["reason"] not in GAP_REASONS),
                   "answered_share": round(len(answered) / len(rows), 3) if rows else None,
                   "thumbs_up": sum(1 for r in rows if r["rating"] == "up"),
                   "thumbs_down": sum(1 for r in rows if r["rating"] == "down")},
        "unanswered_topics": unanswered,
        "thumbs_down": thumbs_down,
        "answered_topics": popular,
        "faq_suggestions": [t["questions"][0] for t in popular],
        "documents": {"most_cited": [doc(d) | {"count": n} for d, n in citations.most_common(10)],
                      "never_cited": sorted((doc(d) for d in documents if d not in citations), key=lambda d: d["title"])},
        "per_day": [{"day": d, **v} for d, v in sorted(per_day.items())],
        "latency_ms": _percentiles(latencies) | {"count": len(latencies)},
    }
