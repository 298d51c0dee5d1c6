"""The feedback/analytics database on SQLite and on a real PostgreSQL server: migrations, legacy data,
concurrent writers, retention and scrubbing."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from advisor.db import Database
from advisor.settings import AdvisorSettings

# The table exactly as api/feedback.py (FeedbackStore, before Alembic) created it.
LEGACY_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    question TEXT,
    created_at REAL NOT NULL
)
"""
LEGACY_ROWS = [("a1", "up", None, "Wat is mandaat?", 1_700_000_000.5), ("a2", "down", "Te kort.", None, 1_700_000_100.0),
               ("a3", "down", "Klopt niet", "Hoe betrek je partners?", 1_700_000_200.25)]

PLANTED = {"email": "j.de.vries@gemeente-voorbeeld.nl", "phone": "06-12345678", "phone2": "+31 6 2345 6789",
           "iban": "NL91 ABNA 0417 1643 00", "dossier": "Z-2024-001234", "bsn": "123456782",
           "postcode": "3811 AB 12"}
PII_QUESTION = (f"Ik ben {PLANTED['email']}, bel {PLANTED['phone']} of {PLANTED['phone2']}; mijn IBAN is "
                f"{PLANTED['iban']}, zaaknummer {PLANTED['dossier']}, BSN {PLANTED['bsn']}, adres {PLANTED['postcode']}."
                " Hoe vraag ik bijzondere bijstand aan?")


def _legacy_file(path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(LEGACY_SCHEMA)
        db.executemany("INSERT INTO feedback (answer_id, rating, comment, question, created_at) VALUES (?,?,?,?,?)",
                       LEGACY_ROWS)


def _record(db: Database, answer_id: str = "x", question: str = "Wat is mandaat?", **kw) -> int:
    args = dict(answered=True, reason="answered", confidence=0.9, cited=["doc-a"], latency_ms=42.0, mode="extractive")
    return db.record_question(answer_id=answer_id, question=question, **(args | kw))


def test_migrations_from_an_empty_database(database_url):
    db = Database(database_url)
    db.migrate()
    assert db.revision() == "0002"
    inspector = sa.inspect(db.engine)
    assert {"feedback", "questions", "alembic_version"} <= set(inspector.get_table_names())
    assert {c["name"] for c in inspector.get_columns("questions")} >= {
        "question", "asked_hour", "answered", "reason", "confidence", "cited", "answer_id", "latency_ms", "mode",
        "rating", "comment"}
    db.migrate()  # a second start (another worker) changes nothing
    assert db.revision() == "0002"
    db.dispose()


def test_the_legacy_sqlite_feedback_file_is_upgraded_in_place_without_loss(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    _legacy_file(path)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    assert db.revision() == "0002"
    rows = [(f["answer_id"], f["rating"], f["comment"], f["question"], f["created_at"]) for f in db.feedback()]
    assert rows == LEGACY_ROWS
    assert db.add_feedback("a4", "up") == 4  # the id sequence continues after the old rows


def test_legacy_feedback_is_imported_into_the_configured_database_once(tmp_path, database_url):
    data = tmp_path / "data"
    data.mkdir()
    _legacy_file(data / "feedback.sqlite3")
    settings = AdvisorSettings(data_dir=data, database_url=database_url)
    for _ in range(2):  # a restart imports nothing twice
        db = Database.from_settings(settings)
        rows = [(f["answer_id"], f["rating"], f["comment"], f["question"], f["created_at"]) for f in db.feedback()]
        db.dispose()
        assert rows == LEGACY_ROWS


def _worker(url: str, worker: int, n: int) -> None:
    db = Database(url)
    db.migrate()  # every worker migrates at start-up, as every API process does
    for i in range(n):
        _record(db, answer_id=f"w{worker}-{i}", question=f"Vraag {i} van werker {worker}")
        db.add_feedback(f"w{worker}-{i}", "up" if i % 2 else "down", comment=f"opmerking {i}")
    db.dispose()


def test_concurrent_writes_from_several_processes(database_url):
    workers, per_worker = 4, 40
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_worker, args=(database_url, w, per_worker)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    db = Database(database_url)
    rows = db.questions()
    assert len(rows) == workers * per_worker and len({r["id"] for r in rows}) == workers * per_worker
    assert len(db.feedback()) == workers * per_worker
    assert all(r["rating"] in ("up", "down") for r in rows)  # every feedback reached its question's row
    db.dispose()


def test_retention_purges_old_questions_and_feedback(database_url):
    db = Database(database_url)
    db.migrate()
    now = datetime.now(timezone.utc)
    _record(db, answer_id="old", asked=now - timedelta(days=91))
    _record(db, answer_id="edge", asked=now - timedelta(days=89))
    _record(db, answer_id="new")
    db.add_feedback("old", "down")
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE feedback SET created_at = created_at - 200 * 86400"))
    db.add_feedback("new", "up")
    assert db.purge(feedback_days=180, analytics_days=90) == (1, 1)
    assert [r["answer_id"] for r in db.questions()] == ["edge", "new"]
    assert [f["answer_id"] for f in db.feedback()] == ["new"]
    assert all(r["asked_hour"].minute == 0 and r["asked_hour"].second == 0 for r in db.questions())  # hour only
    db.dispose()


def test_nothing_planted_reaches_the_database(database_url):
    db = Database(database_url)
    db.migrate()
    _record(db, answer_id="pii", question=PII_QUESTION, answered=False, reason="not_in_sources")
    db.add_feedback("pii", "down", comment=f"Mail mij op {PLANTED['email']} over dossier {PLANTED['dossier']}",
                    question=PII_QUESTION)
    with db.engine.connect() as conn:
        texts = [str(v) for table in ("questions", "feedback")
                 for row in conn.execute(sa.text(f"SELECT question, comment FROM {table}")) for v in row if v]
    dump = " ".join(texts)
    assert len(texts) == 4
    for value in PLANTED.values():
        assert value not in dump
        digits = "".join(ch for ch in value if ch.isdigit())
        assert not digits or all(digits not in "".join(ch for ch in t if ch.isdigit()) for t in texts)
    assert "bijzondere bijstand" in dump  # the question itself stays readable
    assert {"[e-mail]", "[telefoon]", "[iban]", "[zaaknummer]", "[bsn]", "[adres]"} <= set(
        w.strip(",.;") for w in dump.split())
    db.dispose()


REPLICA = """
import sys
from pathlib import Path

import uvicorn

from advisor.advisor import Advisor
from advisor.settings import AdvisorSettings, RetrievalSettings
from api.app import create_app

corpus, data, port, url = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
settings = AdvisorSettings(corpus_dir=corpus, data_dir=data, embedder="hash", refresh_seconds=0, database_url=url,
                           retrieval=RetrievalSettings(refuse=False), security={"rate_per_ip": 0})
advisor = Advisor(settings)
advisor.ingest()
uvicorn.run(create_app(settings, advisor=advisor), host="127.0.0.1", port=port, log_level="warning")
"""


@pytest.mark.slow
def test_two_api_replicas_write_to_one_database_at_once(database_url, tmp_path, corpus_dir):
    """Two server processes (each its own index, as replicas behind a load balancer) share the database;
    they migrate it at the same moment and take questions and feedback concurrently."""
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from .conftest import ROOT
    from .test_load import _free_port, _wait_ready

    script = tmp_path / "replica.py"
    script.write_text(REPLICA, encoding="utf-8")
    procs, bases = [], []
    try:
        for i in range(2):
            port = _free_port()
            log = tmp_path / f"replica{i}.log"
            with log.open("wb") as out:
                procs.append(subprocess.Popen([sys.executable, str(script), str(corpus_dir), str(tmp_path / f"d{i}"),
                                               str(port), database_url], cwd=ROOT, stdout=out,
                                              stderr=subprocess.STDOUT))
            bases.append((f"http://127.0.0.1:{port}", log))
        for proc, (base, log) in zip(procs, bases):
            _wait_ready(proc, base, log)

        def ask(i: int) -> None:
            base = bases[i % 2][0]
            with httpx.Client(base_url=base, timeout=60, trust_env=False) as client:
                res = client.post("/v1/chat", json={"question": f"Waarom is mandaat belangrijk? ({i})"})
                assert res.status_code == 200
                fb = client.post("/v1/feedback", json={"answer_id": res.headers["X-Answer-Id"], "rating": "up"})
                assert fb.status_code == 201

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(ask, range(60)))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    db = Database(database_url)
    rows = db.questions()
    assert db.revision() == "0002" and len(rows) == 60 and len(db.feedback()) == 60
    assert sorted(int(r["question"].rsplit("(", 1)[1].rstrip(")")) for r in rows) == list(range(60))
    assert all(r["rating"] == "up" for r in rows)
    db.dispose()
