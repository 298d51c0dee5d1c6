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


# -- a real PostgreSQL server for the database tests -------------------------------------------------------
def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL cluster (Debian's binaries, run as the postgres user) on a free 127.0.0.1 port.

    Yields a function making a fresh empty database and returning its SQLAlchemy URL."""
    import os
    import socket
    import subprocess
    import tempfile
    import uuid

    bin_dir = _pg_bin()
    if bin_dir is None or shutil.which("runuser") is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries missing: .ci/run installs Debian's postgresql package")
        pytest.skip("PostgreSQL binaries not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    shutil.chown(root, "postgres")
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    shutil.chown(sockets, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = ["runuser", "-u", "postgres", "--"]
    subprocess.run(run + [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
                   check=True, capture_output=True, timeout=120)
    subprocess.run(run + [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
                          "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
                          "start"], check=True, capture_output=True, timeout=120)
    import sqlalchemy as sa

    admin = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")

    def new_database() -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"

    try:
        yield new_database
    finally:
        admin.dispose()
        subprocess.run(run + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Each database test runs on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'advisor.sqlite3'}"
    return request.getfixturevalue("postgres_server")()
