"""Eval reports: report.json, report.md and a self-contained report.html (inline SVG plots, no scripts)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Sequence

from .evaluation import HEADLINE

_LABELS = {"recall_at_5": "Recall@5", "mrr": "MRR", "ndcg_at_10": "nDCG@10", "fact_recall": "Kernfeiten",
           "groundedness": "Onderbouwd", "citation_validity": "Geldige citaten", "refusal_accuracy": "Terecht geweigerd",
           "false_refusal_rate": "Onterecht geweigerd", "decision_accuracy": "Juiste beslissing",
           "latency_p50_ms": "Latentie p50 (ms)", "latency_p95_ms": "Latentie p95 (ms)",
           "first_citation_source": "Eerste bron juist", "chrome_answers": "Antwoorden met site-chrome",
           "loo_refusal": "Terecht geweigerd zonder brondocument",
           "loo_metadata_refusal": "Metadata geweigerd zonder document",
           "sentence_groundedness": "Zinnen gedekt door hun bron (llm)", "fallback_rate": "Terugval op extractief",
           "llm_asked": "Taalmodel gevraagd", "llm_answers": "Antwoorden van het taalmodel"}
_COLORS = {"advisor": "#1b5e8c", "naive": "#c2571a", "ideaal": "#9a9a9a", "beantwoordbaar": "#1b5e8c", "te weigeren": "#c2571a"}


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.0f}"
    return str(value)


COLUMNS = ("advisor", "similarity", "naive")
COLUMN_LABELS = {"advisor": "advisor", "extractive": "extractief", "similarity": "alleen drempel", "naive": "naive"}
LLM_KEYS = ("sentence_groundedness", "fallback_rate", "llm_asked", "llm_answers")


def columns(report: dict[str, Any]) -> tuple[str, ...]:
    """The report's columns: advisor, then (after an LLM run) the extractive composer, then the baselines."""
    return ("advisor", "extractive", "similarity", "naive") if "extractive" in report else COLUMNS


def column_labels(report: dict[str, Any]) -> list[str]:
    llm = report.get("composer") == "llm"
    return [("advisor (llm)" if llm and c == "advisor" else COLUMN_LABELS[c]) for c in columns(report)]


def headline_table(report: dict[str, Any]) -> list[tuple[str, ...]]:
    """(label, advisor, [extractive,] similarity-threshold baseline, naive baseline) per headline metric."""
    cols = columns(report)
    summaries = [report.get(c, {}).get("summary", {}) for c in cols]
    for summary, column in zip(summaries, cols):
        loo = report.get("loo", {}).get("summary", {}).get("by_kind", {}) if column == "advisor" else {}
        summary.setdefault("loo_refusal", loo.get("refuse_loo", {}).get("decision_accuracy"))
        summary.setdefault("loo_metadata_refusal", loo.get("refuse_loo_metadata", {}).get("decision_accuracy"))
    keys = HEADLINE + ("decision_accuracy", "loo_refusal", "loo_metadata_refusal", "first_citation_source",
                       "chrome_answers",
                       "latency_p50_ms", "latency_p95_ms")
    if report.get("composer") == "llm":
        keys += LLM_KEYS
    return [(_LABELS.get(k, k), *(_fmt(s.get(k)) for s in summaries)) for k in keys]


def render_markdown(report: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
    lines = [f"# Evaluatie: {report['dataset']}", "",
             f"{report['items']} items, corpus `{report['corpus']}`, embedder `{report['embedder']}`.", "",
             "| metriek | " + " | ".join(column_labels(report)) + " |",
             "| --- |" + " ---: |" * len(columns(report))]
    lines += [f"| {' | '.join(row)} |" for row in headline_table(report)]
    lines += ["", "## Per soort vraag (juiste beslissing / kernfeiten)", "", "| soort | items | advisor | naive |",
              "| --- | ---: | ---: | ---: |"]
    naive_kinds = report.get("naive", {}).get("summary", {}).get("by_kind", {})
    for kind, row in report["advisor"]["summary"]["by_kind"].items():
        n = naive_kinds.get(kind, {})
        lines.append(f"| {kind} | {row['items']} | {_fmt(row['decision_accuracy'])} / {_fmt(row['fact_recall'])} | "
                     f"{_fmt(n.get('decision_accuracy'))} / {_fmt(n.get('fact_recall'))} |")
    for kind, row in report.get("loo", {}).get("summary", {}).get("by_kind", {}).items():  # generated negatives
        lines.append(f"| {kind} | {row['items']} | {_fmt(row['decision_accuracy'])} / – | – |")
    wrong = [r for r in report["advisor"]["results"] if not r["correct"]]
    lines += ["", f"## Verkeerde beslissingen van advisor ({len(wrong)})", ""]
    lines += [f"- `{r['id']}` ({r['kind']}): {'beantwoord' if r['answered'] else 'geweigerd'} — {r['question']}"
              for r in wrong] or ["- geen"]
    if comparison:
        lines += ["", "## Vergelijking met het vorige rapport", "", "| metriek | was | nu |", "| --- | ---: | ---: |"]
        lines += [f"| {_LABELS.get(k, k)} | {_fmt(a)} | {_fmt(b)} |" for k, (a, b) in comparison["deltas"].items()]
        lines += ["", "Items met een andere uitkomst:"]
        lines += [f"- `{c['id']}`: beantwoord {c['before']} → {c['after']}, feiten {c['facts_before']} → "
                  f"{c['facts_after']}" for c in comparison["changed"]] or ["- geen"]
    return "\n".join(lines) + "\n"


# -- SVG plots -------------------------------------------------------------------------------
def _bars(title: str, groups: Sequence[str], series: dict[str, Sequence[float]], width: int = 640) -> str:
    height, top, bottom, left = 240, 30, 60, 40
    plot_h = height - top - bottom
    slot = (width - left - 10) / max(1, len(groups))
    bar = slot / (len(series) + 1)
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" viewBox="0 0 {width} {height}" width="{width}">',
             f'<text x="{left}" y="18" font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#333"/>']
    for tick in (0, 0.5, 1):
        y = top + plot_h * (1 - tick)
        parts.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end" font-size="10">{tick}</text>')
    for i, group in enumerate(groups):
        for j, (name, values) in enumerate(series.items()):
            value = values[i] if values[i] is not None else 0.0
            h = plot_h * max(0.0, min(1.0, value))
            x = left + i * slot + (j + 0.5) * bar
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar * 0.9:.1f}" '
                         f'height="{h:.1f}" fill="{_COLORS.get(name, "#666")}"><title>{html.escape(name)} '
                         f'{html.escape(group)}: {value:.2f}</title></rect>')
        parts.append(f'<text x="{left + (i + 0.5) * slot:.1f}" y="{top + plot_h + 14}" font-size="9" '
                     f'text-anchor="middle" transform="rotate(20 {left + (i + 0.5) * slot:.1f},{top + plot_h + 14})">'
                     f'{html.escape(group)}</text>')
    parts += _legend(series, width)
    return "".join(parts) + "</svg>"


def _legend(series: dict[str, Any], width: int) -> list[str]:
    return [f'<rect x="{width - 150}" y="{8 + 14 * i}" width="10" height="10" fill="{_COLORS.get(n, "#666")}"/>'
            f'<text x="{width - 135}" y="{17 + 14 * i}" font-size="11">{html.escape(n)}</text>'
            for i, n in enumerate(series)]


def _histogram(title: str, series: dict[str, Sequence[float]], bins: int = 20, width: int = 640,
               marker: float | None = None, marker_label: str = "") -> str:
    values = [v for vs in series.values() for v in vs if v is not None]
    if not values:
        return f"<p>{html.escape(title)}: geen gegevens</p>"
    lo, hi = min(values + ([marker] if marker is not None else [])), max(values + ([marker] if marker else []))
    hi = hi if hi > lo else lo + 1
    step = (hi - lo) / bins
    height, top, bottom, left = 220, 30, 40, 40
    plot_h, plot_w = height - top - bottom, width - left - 20
    counts = {n: [0] * bins for n in series}
    for name, vs in series.items():
        for v in vs:
            if v is not None:
                counts[name][min(bins - 1, int((v - lo) / step))] += 1
    peak = max(max(c) for c in counts.values()) or 1
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" viewBox="0 0 {width} {height}" width="{width}">',
             f'<text x="{left}" y="18" font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
             f'<text x="{left}" y="{height - 8}" font-size="10">{lo:.2f}</text>',
             f'<text x="{left + plot_w}" y="{height - 8}" font-size="10" text-anchor="end">{hi:.2f}</text>']
    width_bin = plot_w / bins
    for j, (name, c) in enumerate(counts.items()):
        for i, count in enumerate(c):
            if count:
                h = plot_h * count / peak
                x = left + i * width_bin + j * width_bin / len(counts)
                parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                             f'width="{width_bin / len(counts) * 0.9:.1f}" height="{h:.1f}" '
                             f'fill="{_COLORS.get(name, "#888")}" fill-opacity="0.85"><title>{html.escape(name)}: '
                             f'{count}</title></rect>')
    if marker is not None:
        x = left + plot_w * (marker - lo) / (hi - lo)
        parts.append(f'<line class="threshold" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                     f'stroke="#000" stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="{top + 10}" font-size="10">'
                     f'{html.escape(marker_label)}</text>')
    parts += _legend(series, width)
    return "".join(parts) + "</svg>"


def _reliability(results: Sequence[dict[str, Any]], bins: int = 5, width: int = 640) -> str:
    """Reliability plot: per confidence bin, the share of decisions that were right (the diagonal is perfect)."""
    edges = [0.5 + i * 0.5 / bins for i in range(bins + 1)]
    groups, values = [], []
    for lo, hi in zip(edges, edges[1:]):
        rows = [r for r in results if r.get("confidence") is not None and lo <= r["confidence"] < hi + (hi >= 1.0)]
        groups.append(f"{lo:.1f}-{hi:.1f} (n={len(rows)})")
        values.append(sum(r["correct"] for r in rows) / len(rows) if rows else None)
    ideal = [(lo + hi) / 2 for lo, hi in zip(edges, edges[1:])]
    return _bars("Betrouwbaarheid: zekerheid tegen juiste beslissingen", groups,
                 {"advisor": values, "ideaal": ideal}, width)


def render_html(report: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
    adv = report["advisor"]
    naive = report.get("naive", {"summary": {"by_kind": {}}, "results": []})
    kinds = list(adv["summary"]["by_kind"])
    per_kind = _bars("Juiste beslissing per soort vraag", kinds, {
        "advisor": [adv["summary"]["by_kind"][k]["decision_accuracy"] for k in kinds],
        "naive": [naive["summary"]["by_kind"].get(k, {}).get("decision_accuracy") for k in kinds]})
    latency = _histogram("Latentie per vraag (ms)", {"advisor": [r["latency_ms"] for r in adv["results"]],
                                                     "naive": [r["latency_ms"] for r in naive["results"]]})
    threshold = report.get("similarity", {}).get("threshold") or 0.0
    scores = _histogram("Hoogste gelijkenis: beantwoordbaar vs. te weigeren", {
        "beantwoordbaar": [r["top_score"] for r in adv["results"] if r["answerable"]],
        "te weigeren": [r["top_score"] for r in adv["results"] if not r["answerable"]]},
        marker=threshold, marker_label=f"drempel {threshold}")
    reliability = _reliability(adv["results"])
    rows = []
    for r in adv["results"]:
        sources = "".join(f"<li>[{s['n']}] {html.escape(s['title'])}: <q>{html.escape(s['quote'])}</q></li>"
                          for s in r["sources"])
        facts = " ".join("✔" if f else "✘" for f in r["facts_found"]) or "–"
        rows.append(f"<tr class=\"{'ok' if r['correct'] else 'wrong'}\"><td>{html.escape(r['id'])}</td>"
                    f"<td>{html.escape(r['kind'])}</td><td>{html.escape(r['question'])}</td>"
                    f"<td>{'ja' if r['answered'] else 'nee'}</td><td>{facts}</td>"
                    f"<td><div class=\"answer\">{html.escape(r['answer'])}</div><ul>{sources}</ul></td></tr>")
    table = "".join(f"<tr><th scope=\"row\">{html.escape(row[0])}</th>" + "".join(f"<td>{v}</td>" for v in row[1:])
                    + "</tr>" for row in headline_table(report))
    compare = ""
    if comparison:
        compare = "<h2>Vergelijking</h2><pre>" + html.escape(json.dumps(comparison, indent=1, ensure_ascii=False)) \
            + "</pre>"
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Evaluatie {html.escape(report['dataset'])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a;max-width:1200px}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}
tr.wrong{{background:#fde8e8}}.answer{{white-space:pre-wrap;max-width:520px}}svg{{display:block;margin:1rem 0}}</style>
</head><body><h1>Evaluatie: {html.escape(report['dataset'])}</h1>
<p>{report['items']} items · corpus <code>{html.escape(report['corpus'])}</code> · embedder
<code>{html.escape(report['embedder'])}</code></p>
<h2>Kerncijfers</h2><table><tr><th>metriek</th>{''.join(f"<th>{html.escape(c)}</th>" for c in column_labels(report))}</tr>{table}
</table>
<h2>Grafieken</h2>{per_kind}{latency}{scores}{reliability}{compare}
<h2>Per item</h2><table id="items"><tr><th>id</th><th>soort</th><th>vraag</th><th>beantwoord</th><th>feiten</th>
<th>antwoord en bronnen</th></tr>{''.join(rows)}</table></body></html>
"""


def write_reports(report: dict[str, Any], out: Path, comparison: dict[str, Any] | None = None) -> list[Path]:
    """Write report.json, report.md, report.html and ragas.jsonl into `out`."""
    from .evaluation import dump_jsonl

    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "report.json", out / "report.md", out / "report.html", out / "ragas.jsonl"]
    paths[0].write_text(json.dumps({k: v for k, v in report.items() if k != "ragas"}, ensure_ascii=False, indent=1),
                        encoding="utf-8")
    paths[1].write_text(render_markdown(report, comparison), encoding="utf-8")
    paths[2].write_text(render_html(report, comparison), encoding="utf-8")
    dump_jsonl(report["ragas"], paths[3])
    return paths
