"""Shared fixtures: isolated settings, a small real corpus copy, the hash embedder for fast tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from advisor.settings import AdvisorSettings, RetrievalSettings

ROOT = Path(__file__).resolve().parents[1]
BLOG = ROOT / "corpus" / "het-belang-van-betrokken-moederorganisaties.md"

SYNTHETIC_DOC = """---
title: Synthetisch testdocument over informatiedeling
author: Testauteur
kind: test
language: nl
---
# Synthetisch testdocument over informatiedeling

## Afspraken over gegevens

Dit is een synthetisch testdocument, geen publicatie. Partners in een samenwerkingsverband maken vooraf
afspraken over informatiedeling, zodat duidelijk is welke gegevens gedeeld mogen worden. Een convenant
legt vast wie verantwoordelijk is voor de verwerking van persoonsgegevens.
"""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """No ADVISOR_* variable of the developer's shell leaks into a test."""
    import os

    for key in list(os.environ):
        if key.startswith("ADVISOR_"):
            monkeypatch.delenv(key, raising=False)
    from advisor.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BLOG, corpus / BLOG.name)
    return corpus


@pytest.fixture
def hash_settings(tmp_path, corpus_dir) -> AdvisorSettings:
    """Fast settings: deterministic hash embedder; the fitted decision off (it is fitted on e5 features, not hash vectors)."""
    return AdvisorSettings(corpus_dir=corpus_dir, data_dir=tmp_path / "data", embedder="hash", refresh_seconds=0,
                           retrieval=RetrievalSettings(refuse=False))


@pytest.fixture(scope="session")
def e5_embedder():
    from advisor.embeddings import E5Embedder

    return E5Embedder()


@pytest.fixture(scope="session")
def real_advisor(tmp_path_factory, e5_embedder):
    """The default configuration (e5 + embedded Chroma) over the real corpus, ingested once per session."""
    from advisor.advisor import Advisor

    data = tmp_path_factory.mktemp("real-data")
    settings = AdvisorSettings(corpus_dir=ROOT / "corpus", data_dir=data, refresh_seconds=0)
    advisor = Advisor(settings, embedder=e5_embedder)
    advisor.ingest()
    return advisor


@pytest.fixture(scope="session")
def eval_reports(e5_embedder):
    """advisor eval on the corpus, multi and dev sets with the default settings, run once per test session."""
    from advisor.evaluation import dataset_specs, evaluate

    specs = dataset_specs(ROOT / "evals" / "config.toml")
    reports = {}
    for name in ("corpus", "multi", "dev"):
        spec = specs[name]
        spec.path, spec.corpus = ROOT / spec.path, ROOT / spec.corpus
        spec.chrome = ROOT / spec.chrome if spec.chrome else None
        reports[name] = evaluate(spec, AdvisorSettings(), embedder=e5_embedder)
    return reports
