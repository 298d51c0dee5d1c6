"""The Advisor facade: incremental, atomic ingest; ask; follow-ups; input validation (hash embedder)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from advisor.advisor import Advisor, validate_question
from advisor.query import resolve_follow_up
from advisor.errors import IngestLockedError, InvalidQuestionError
from advisor.types import Turn

from .conftest import SYNTHETIC_DOC


def test_first_ingest_then_unchanged_reingest_reports_nothing_changed(hash_settings):
    advisor = Advisor(hash_settings)
    first = advisor.ingest()
    assert first.added == ["het-belang-van-betrokken-moederorganisaties"]
    assert first.chunks >= 4 and first.embedded_chunks == first.chunks
    again = advisor.ingest()
    assert not again.changed_anything
    assert again.embedded_chunks == 0
    assert again.version == first.version  # no new version published


def test_adding_a_document_embeds_only_the_new_one(hash_settings, corpus_dir):
    advisor = Advisor(hash_settings)
    first = advisor.ingest()
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    second = advisor.ingest()
    assert second.added == ["synthetisch"] and second.unchanged == ["het-belang-van-betrokken-moederorganisaties"]
    assert second.embedded_chunks < second.chunks  # the blog's chunks were copied, not re-embedded
    assert second.chunks > first.chunks


def test_removed_file_disappears_from_both_indexes(hash_settings, corpus_dir):
    advisor = Advisor(hash_settings)
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    advisor.ingest()
    assert any(p.chunk.document_id == "synthetisch" for p in advisor.retrieve("convenant persoonsgegevens"))
    (corpus_dir / "synthetisch.md").unlink()
    report = advisor.ingest()
    assert report.removed == ["synthetisch"]
    snapshot = advisor.snapshot()
    assert all(c.document_id != "synthetisch" for c in snapshot.chunks.values())
    # lexical index: the unique word no longer matches anything
    assert all(snapshot.chunks[cid].document_id != "synthetisch"
               for cid, _ in snapshot.lexical.search("convenant persoonsgegevens", 10))
    # dense index: the version's collection holds no chunk of it
    assert "synthetisch" not in {m["document_id"] for m in advisor.store.read(snapshot.version).metadatas}


def test_changed_file_replaces_its_chunks(hash_settings, corpus_dir):
    advisor = Advisor(hash_settings)
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    advisor.ingest()
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC.replace("convenant", "samenwerkingsovereenkomst"),
                                               encoding="utf-8")
    report = advisor.ingest()
    assert report.changed == ["synthetisch"]
    texts = " ".join(c.text for c in advisor.snapshot().chunks.values())
    assert "samenwerkingsovereenkomst" in texts and "convenant" not in texts


def test_a_file_that_becomes_unreadable_keeps_its_previous_chunks(hash_settings, corpus_dir):
    advisor = Advisor(hash_settings)
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    advisor.ingest()
    (corpus_dir / "synthetisch.md").write_bytes(b"")  # a bad save: empty file
    report = advisor.ingest()
    assert [s.path for s in report.skipped] == ["synthetisch.md"]
    assert report.removed == []
    assert any(c.document_id == "synthetisch" for c in advisor.snapshot().chunks.values())


def test_concurrent_ingest_is_refused(hash_settings):
    import fcntl

    advisor = Advisor(hash_settings)
    hash_settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(hash_settings.data_dir / "ingest.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(IngestLockedError):
            advisor.ingest()


def test_killed_ingest_leaves_previous_version_serving(hash_settings, corpus_dir, tmp_path):
    """A real subprocess is SIGKILLed after embedding one of two new documents, before publishing."""
    advisor = Advisor(hash_settings)
    first = advisor.ingest()
    for name in ("synthetisch-a.md", "synthetisch-b.md"):
        (corpus_dir / name).write_text(SYNTHETIC_DOC.replace("Synthetisch testdocument", f"Synthetisch {name}"),
                                       encoding="utf-8")
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from advisor.advisor import Advisor
        from advisor.settings import AdvisorSettings, RetrievalSettings
        s = AdvisorSettings(corpus_dir=Path({str(corpus_dir)!r}), data_dir=Path({str(hash_settings.data_dir)!r}),
                            embedder="hash", retrieval=RetrievalSettings(refuse=False))
        def die(done, total, path):
            if done == 1:
                os.kill(os.getpid(), signal.SIGKILL)
        Advisor(s).ingest(progress=die)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    # The partial version exists on disk but is not published.
    assert len(advisor.store.versions()) == 2
    reader = Advisor(hash_settings)
    assert reader.store.current().version == first.version
    assert {c.document_id for c in reader.snapshot().chunks.values()} == {"het-belang-van-betrokken-moederorganisaties"}
    answer = reader.ask("Waarom is mandaat belangrijk?")
    assert answer.answered
    # The next ingest completes and cleans up the abandoned version.
    report = reader.ingest()
    assert sorted(report.added) == ["synthetisch-a", "synthetisch-b"]
    assert first.version in reader.store.versions() and len(reader.store.versions()) == 2


def test_ask_returns_cited_sentences_from_the_sources(hash_settings):
    advisor = Advisor(hash_settings)
    advisor.ingest()
    answer = advisor.ask("Waarom is mandaat belangrijk voor een samenwerkingsverband?")
    assert answer.answered and answer.mode == "extractive"
    assert answer.citations and all(c.n >= 1 for c in answer.citations)
    snapshot = advisor.snapshot()
    for citation in answer.citations:
        assert citation.quote in snapshot.chunks[citation.chunk_id].text  # verbatim
        assert f"[{citation.n}]" in answer.answer
    assert set(answer.timings_ms) == {"query", "retrieve", "evidence", "decide", "compose", "total"}


@pytest.mark.parametrize("question, message", [
    ("", "Stel een vraag"),
    ("   \n\t ", "Stel een vraag"),
    ("x" * 2001, "te lang"),
    ("Wat is\x00dit?", "tekens"),
])
def test_invalid_questions_get_a_dutch_message(hash_settings, question, message):
    with pytest.raises(InvalidQuestionError) as err:
        validate_question(question, [], hash_settings)
    assert message in err.value.user_message


def test_too_many_turns_is_rejected(hash_settings):
    turns = [Turn(role="user", content="vraag")] * (hash_settings.answer.max_turns + 1)
    with pytest.raises(InvalidQuestionError):
        validate_question("En nu?", turns, hash_settings)


def test_follow_up_borrows_the_previous_question():
    turns = [Turn(role="user", content="Waarom is mandaat belangrijk?"),
             Turn(role="assistant", content="Zonder mandaat is continu ruggenspraak nodig.")]
    assert resolve_follow_up("En hoe regel je dat dan?", turns) == "Waarom is mandaat belangrijk? En hoe regel je dat dan?"
    standalone = "Welke rol spelen moederorganisaties in de governancestructuur van een samenwerkingsverband?"
    assert resolve_follow_up(standalone, turns) == standalone
    assert resolve_follow_up("En hoe regel je dat dan?", []) == "En hoe regel je dat dan?"


def test_an_index_built_by_another_embedder_or_format_is_rebuilt_not_served(hash_settings):
    advisor = Advisor(hash_settings)
    first = advisor.ingest()
    # Simulate an index published by older code: same documents, older format marker.
    advisor.store.publish(first.version, advisor.embedder.name + "|format1")
    fresh = Advisor(hash_settings)
    with pytest.raises(Exception, match="run `advisor ingest`"):
        fresh.snapshot()
    report = fresh.ingest()
    assert report.added == ["het-belang-van-betrokken-moederorganisaties"]  # everything re-embedded
    assert report.embedded_chunks == report.chunks
    assert fresh.snapshot().sentence_vectors  # what the current format stores
