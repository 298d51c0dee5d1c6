"""Gated publishing: stage the new index version, run the eval datasets of the serving corpus against it, and
publish only when no gated metric falls below evals/thresholds.toml; otherwise report what would get worse."""

from __future__ import annotations

import json
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .evaluation import check_thresholds, compare_reports, dataset_specs, evaluate, load_dataset
from .ingest import Progress, publish_version
from .types import IngestReport


@dataclass
class GateResult:
    """What a gated ingest did."""

    published: bool
    version: str | None  # the version now serving
    staged: str | None  # the version that was checked (None: nothing changed)
    datasets: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    worse: list[dict[str, Any]] = field(default_factory=list)  # metric and item changes of a refused version
    report: str | None = None  # where the gate report was written
    ingest: IngestReport | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.ingest is not None:
            data["ingest"]["skipped"] = [{"path": s.path, "reason": s.reason} for s in self.ingest.skipped]
        return data


def _same(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def gated_ingest(advisor, path: Path | None = None, *, config: Path | None = None, thresholds: Path | None = None,
                 out: Path | None = None, progress: Progress | None = None) -> GateResult:
    """Stage, evaluate, and publish only what keeps every gated metric within its bound."""
    settings = advisor.settings
    root = Path(path or settings.corpus_dir)
    config, thresholds = Path(config or settings.gate.config), Path(thresholds or settings.gate.thresholds)
    for needed in (config, thresholds):
        if not needed.is_file():
            raise ConfigurationError(f"the eval gate needs {needed} (run from the project folder or set "
                                     "ADVISOR_GATE__CONFIG / ADVISOR_GATE__THRESHOLDS)")
    bounds = tomllib.loads(thresholds.read_text(encoding="utf-8"))
    specs = [s for s in dataset_specs(config).values() if _same(s.corpus, root)]
    before = advisor.store.current()
    report = advisor.stage(root, progress=progress)
    result = GateResult(published=False, version=before.version if before else None, staged=report.version,
                        datasets=[s.name for s in specs], ingest=report)
    if report.version is None:
        return result  # nothing changed: the serving version stays, nothing to check
    covered = {d for s in specs for item in load_dataset(s.path) for d in item.documents}
    uncovered = [d for d in report.added if d not in covered]
    if uncovered:
        result.warnings.append("new documents without any eval item: " + ", ".join(uncovered))
    if not specs:
        result.warnings.append(f"no eval dataset in {config} belongs to the corpus {root}: nothing was gated")
    staged = advisor.pinned(report.version)
    reports = {}
    try:
        for spec in specs:
            reports[spec.name] = evaluate(spec, settings, advisor=staged, baselines=False)
            result.failures += check_thresholds(reports[spec.name], bounds)
    except BaseException:
        advisor.store.drop(report.version)  # a gate that could not run publishes nothing and leaves nothing
        raise
    if not result.failures:
        publish_version(report.version, settings=settings, store=advisor.store, index_key=advisor.index_key,
                        expected_current=result.version)
        advisor.refresh()
        result.published, result.version = True, report.version
        return result
    # Refused: measure the serving version too, so the report says what would have got worse.
    if before is not None and before.embedder == advisor.index_key:
        serving = advisor.pinned(before.version)
        for spec in specs:
            if any(f.startswith(spec.name + ":") for f in result.failures):
                was = evaluate(spec, settings, advisor=serving, baselines=False)
                comparison = compare_reports(was, reports[spec.name])
                result.worse.append({"dataset": spec.name, "deltas": {
                    k: v for k, v in comparison["deltas"].items()
                    if v[0] is not None and v[1] is not None and abs(v[1] - v[0]) > 1e-9},
                    "changed": comparison["changed"]})
    out = Path(out or settings.gate.reports or settings.data_dir / "gate") / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    (out / "gate.json").write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "gate.md").write_text(render_gate(result), encoding="utf-8")
    result.report = str(out / "gate.md")
    advisor.store.drop(report.version)
    return result


def render_gate(result: GateResult) -> str:
    """The refusal in Markdown: which bounds failed, which metrics and items got worse."""
    lines = [f"# Publicatie geweigerd: versie {result.staged}", "",
             f"De versie {result.version} blijft online. Getoetst: {', '.join(result.datasets)}.", "",
             "## Grenzen die niet gehaald worden", ""]
    lines += [f"- {f}" for f in result.failures]
    for worse in result.worse:
        lines += ["", f"## {worse['dataset']}: wat slechter zou worden", "", "| metriek | nu | nieuw |",
                  "| --- | ---: | ---: |"]
        lines += [f"| {k} | {a:.3f} | {b:.3f} |" for k, (a, b) in worse["deltas"].items()]
        lines += ["", "Vragen met een andere uitkomst:"]
        lines += [f"- `{c['id']}`: beantwoord {c['before']} → {c['after']}, feiten {c['facts_before']} → "
                  f"{c['facts_after']}" for c in worse["changed"]] or ["- geen"]
    if result.warnings:
        lines += ["", "## Waarschuwingen", ""] + [f"- {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"
