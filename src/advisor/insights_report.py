"""The insights report as one self-contained HTML page (inline SVG plots, no scripts, nothing fetched) + JSON."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Sequence

_BLUE, _ORANGE = "#1b5e8c", "#c2571a"
_REASONS = {"not_in_sources": "staat niet in de bronnen", "no_passages": "geen passages gevonden",
            "metadata_missing": "gegeven ontbreekt in de metadata"}


def _e(text: Any) -> str:
    return html.escape("" if text is None else str(text))


def _volume(per_day: Sequence[dict[str, Any]], width: int = 720) -> str:
    """Stacked bars per day: answered (blue) and not answered (orange)."""
    if not per_day:
        return "<p>Nog geen vragen in deze periode.</p>"
    height, top, bottom, left = 230, 30, 50, 40
    plot_h = height - top - bottom
    peak = max(d["asked"] for d in per_day) or 1
    slot = (width - left - 10) / len(per_day)
    parts = [f'<svg id="plot-volume" role="img" aria-label="Vragen per dag" viewBox="0 0 {width} {height}" '
             f'width="{width}"><text x="{left}" y="18" font-weight="bold">Vragen per dag (blauw: beantwoord, '
             f'oranje: niet beantwoord)</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#333"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="10">{peak}</text>']
    for i, day in enumerate(per_day):
        x = left + i * slot + slot * 0.1
        h_ok = plot_h * day["answered"] / peak
        h_no = plot_h * (day["asked"] - day["answered"]) / peak
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h_ok:.1f}" width="{slot * 0.8:.1f}" '
                     f'height="{h_ok:.1f}" fill="{_BLUE}"><title>{_e(day["day"])}: {day["answered"]} beantwoord'
                     f'</title></rect>')
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h_ok - h_no:.1f}" width="{slot * 0.8:.1f}" '
                     f'height="{h_no:.1f}" fill="{_ORANGE}"><title>{_e(day["day"])}: '
                     f'{day["asked"] - day["answered"]} niet beantwoord</title></rect>')
        if len(per_day) <= 31:
            parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{top + plot_h + 14}" font-size="9" text-anchor="middle">'
                         f'{_e(day["day"][5:])}</text>')
    return "".join(parts) + "</svg>"


def _hbars(plot_id: str, title: str, rows: Sequence[tuple[str, int]], color: str, width: int = 720) -> str:
    """Horizontal bars (topic or document -> count)."""
    if not rows:
        return f"<p>{_e(title)}: geen gegevens.</p>"
    line, left, top = 22, 330, 30
    height = top + line * len(rows) + 10
    peak = max(n for _, n in rows) or 1
    parts = [f'<svg id="{plot_id}" role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" '
             f'width="{width}"><text x="0" y="18" font-weight="bold">{_e(title)}</text>']
    for i, (label, n) in enumerate(rows):
        y = top + i * line
        w = (width - left - 50) * n / peak
        short = label if len(label) <= 46 else label[:45] + "…"
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="11">{_e(short)}</text>'
                     f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{line - 6}" fill="{color}">'
                     f'<title>{_e(label)}: {n}</title></rect>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11">{n}</text>')
    return "".join(parts) + "</svg>"


def _links(docs: Sequence[dict[str, Any]]) -> str:
    out = []
    for d in docs:
        url = d.get("url") or ""
        title = _e(d["title"]) + (f" ({d['count']}×)" if "count" in d else "") + (
            f" (gelijkenis {d['similarity']:.2f})" if "similarity" in d else "")
        out.append(f'<a href="{_e(url)}">{title}</a>' if url.startswith(("http://", "https://")) else title)
    return ", ".join(out) or "–"


def render_insights_html(data: dict[str, Any]) -> str:
    t = data["totals"]
    share = "–" if t["answered_share"] is None else f"{t['answered_share'] * 100:.0f} %"
    lat = data["latency_ms"]
    gaps = "".join(
        f'<tr class="topic"><td>{i}</td><td>{topic["size"]}</td><td><ul>'
        + "".join(f"<li>{_e(q)}</li>" for q in topic["questions"]) + "</ul></td>"
        f'<td>{_links(topic.get("nearest", []))}</td>'
        f'<td>{_e(_REASONS.get(topic["reason"], topic["reason"]))}</td></tr>'
        for i, topic in enumerate(data["unanswered_topics"], start=1))
    popular = "".join(
        f'<tr><td>{topic["size"]}</td><td><ul>' + "".join(f"<li>{_e(q)}</li>" for q in topic["questions"][:3])
        + f'</ul></td><td>{_links(topic.get("cited", []))}</td></tr>' for topic in data["answered_topics"])
    downs = "".join(
        f'<tr><td>{_e(d["at"])}</td><td>{_e(d["question"])}</td><td>{_e(d["comment"]) or "–"}</td>'
        f'<td>{_links(d["cited"])}</td></tr>' for d in data["thumbs_down"])
    never = "".join(f"<li>{_links([d])}</li>" for d in data["documents"]["never_cited"]) or "<li>geen</li>"
    topic_plot = _hbars("plot-gaps", "Niet beantwoorde onderwerpen (aantal vragen)",
                        [(tp["questions"][0], tp["size"]) for tp in data["unanswered_topics"]], _ORANGE)
    cited_plot = _hbars("plot-cited", "Meest geciteerde publicaties",
                        [(d["title"], d["count"]) for d in data["documents"]["most_cited"]], _BLUE)
    faq = "".join(f"<li>{_e(q)}</li>" for q in data["faq_suggestions"]) or "<li>geen</li>"
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Inzichten voor de redactie</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a;max-width:1100px}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;
text-align:left}}ul{{margin:0;padding-left:1.2rem}}svg{{display:block;margin:1rem 0;max-width:100%;height:auto}}
.cards{{display:flex;gap:1rem;flex-wrap:wrap}}.card{{border:1px solid #ccc;border-radius:6px;padding:.6rem 1rem}}
.card b{{display:block;font-size:1.6rem}}</style></head><body>
<h1>Inzichten voor de redactie</h1>
<p>Vragen van {_e(data["since"][:10])} tot {_e(data["generated_at"][:10])} · indexversie
<code>{_e(data["index_version"])}</code> · vragen zijn vóór opslag ontdaan van persoonsgegevens.</p>
<div class="cards"><div class="card"><b>{t["questions"]}</b>vragen</div>
<div class="card"><b>{share}</b>beantwoord</div><div class="card"><b>{t["unanswered"]}</b>niet in de bronnen</div>
<div class="card"><b>{t["guardrail_refusals"]}</b>geweigerd (buiten de opdracht)</div>
<div class="card"><b>{t["thumbs_up"]} / {t["thumbs_down"]}</b>duim omhoog / omlaag</div>
<div class="card"><b>{_e(lat["p50"])} / {_e(lat["p95"])} ms</b>latentie p50 / p95</div></div>
<h2>Volume</h2>{_volume(data["per_day"])}
<p>Latentie (ms): p50 {_e(lat["p50"])}, p90 {_e(lat["p90"])}, p95 {_e(lat["p95"])}, p99 {_e(lat["p99"])}
over {lat["count"]} vragen.</p>
<h2>Wat onze publicaties niet beantwoorden</h2>{topic_plot}
<table id="gaps"><tr><th>#</th><th>vragen</th><th>voorbeelden</th><th>dichtstbijzijnde publicaties</th>
<th>waarom geen antwoord</th></tr>{gaps}</table>
<h2>Duim omlaag</h2><table id="thumbs-down"><tr><th>wanneer</th><th>vraag</th><th>opmerking</th>
<th>geciteerde bronnen</th></tr>{downs}</table>
<h2>Meest gestelde beantwoorde onderwerpen</h2><table id="answered"><tr><th>vragen</th><th>voorbeelden</th>
<th>geciteerd</th></tr>{popular}</table>
<p>Voorstel voor de "Meer weten?"-FAQ (<code>advisor faq suggest</code>):</p><ol id="faq">{faq}</ol>
<h2>Publicaties</h2>{cited_plot}<h3>Nooit geciteerd</h3><ul id="never-cited">{never}</ul>
</body></html>
"""


def write_insights(data: dict[str, Any], out: Path) -> list[Path]:
    """insights.json and insights.html in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "insights.json", out / "insights.html"]
    paths[0].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    paths[1].write_text(render_insights_html(data), encoding="utf-8")
    return paths
