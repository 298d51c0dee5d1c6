"""Acceptance tests with the real default embedder (multilingual-e5-small) and a real embedded Chroma store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def test_mandate_question_is_answered_with_a_citation_about_ruggenspraak(real_advisor):
    answer = real_advisor.ask("Waarom is mandaat belangrijk voor een samenwerkingsverband?")
    assert answer.answered
    assert any("ruggenspraak" in c.quote or "daadkracht" in c.quote for c in answer.citations)
    assert all(c.url and c.url.startswith("https://www.twynstragudde.nl/") for c in answer.citations)


def test_paraphrase_is_answered_from_gedragen_samenwerking(real_advisor):
    answer = real_advisor.ask(
        "Waarom moeten de leidinggevenden en collega's van de deelnemers achter de samenwerking staan?")
    assert answer.answered
    chunks = real_advisor.snapshot().chunks
    assert any(chunks[c.chunk_id].headings == ("Gedragen samenwerking",) for c in answer.citations)
    assert "leidinggevenden" in answer.answer


def test_unrelated_question_is_refused_in_dutch_with_the_contact_route(real_advisor):
    answer = real_advisor.ask("Wat is de hoofdstad van Frankrijk?")
    assert not answer.answered and not answer.citations
    assert "033 467 77 77" in answer.answer
    assert "publicaties" in answer.answer


def test_whitepaper_content_is_not_invented(real_advisor):
    """The blog only mentions the whitepaper: questions about other content in it must not be 'answered'
    with text that is not there. This one asks for a number the blog never gives."""
    answer = real_advisor.ask("Hoeveel gemeenten hebben meegewerkt aan het whitepaper?")
    assert not answer.answered


def test_follow_up_is_resolved_against_the_conversation(real_advisor):
    turns = [{"role": "user", "content": "Hoe kun je moederorganisaties betrekken bij een samenwerkingsverband?"},
             {"role": "assistant", "content": "Door hen een plek te geven in de governancestructuur."}]
    answer = real_advisor.ask("En wat moeten de vertegenwoordigers dan doen?", turns=turns)
    assert answer.answered
    assert "op de hoogte" in answer.answer


def test_every_answer_sentence_traces_to_a_cited_passage(real_advisor):
    from advisor.evaluation import citation_validity, groundedness

    texts = {c.id: c.text for c in real_advisor.snapshot().chunks.values()}
    for question in ("Wat zijn moederorganisaties?", "Hoe betrek je de moederorganisaties?",
                     "Waarom is een gedragen samenwerking van belang?"):
        answer = real_advisor.ask(question)
        assert answer.answered
        assert groundedness(answer, texts) == 1.0
        assert citation_validity(answer, texts) == 1.0


def test_cli_ask_json_refuses_unrelated_question(tmp_path, e5_embedder):
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data"), "ADVISOR_CORPUS_DIR": str(ROOT / "corpus")}
    advisor_bin = os.path.join(os.path.dirname(sys.executable), "advisor")
    ingest = subprocess.run([advisor_bin, "ingest", "--quiet"], env=env, capture_output=True, text=True, timeout=300)
    assert ingest.returncode == 0, ingest.stderr
    assert "Published version" in ingest.stdout
    again = subprocess.run([advisor_bin, "ingest", "--quiet"], env=env, capture_output=True, text=True, timeout=300)
    assert "Nothing changed" in again.stdout
    res = subprocess.run([advisor_bin, "ask", "--json", "Wat is de hoofdstad van Frankrijk?"], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["answered"] is False and "033 467 77 77" in body["answer"]
    assert set(body) == {"answered", "answer", "citations", "confidence", "mode", "reason", "timings_ms"}


def test_cli_rejects_an_empty_question_with_a_dutch_message(tmp_path):
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    advisor_bin = os.path.join(os.path.dirname(sys.executable), "advisor")
    res = subprocess.run([advisor_bin, "ask", "  "], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Stel een vraag" in res.stderr


def test_sentence_transformers_backend_with_the_bundled_minilm(tmp_path):
    from advisor.advisor import Advisor
    from advisor.settings import AdvisorSettings

    settings = AdvisorSettings(corpus_dir=ROOT / "corpus", data_dir=tmp_path / "data",
                               embedder="sentence-transformers", refresh_seconds=0)
    advisor = Advisor(settings)
    assert advisor.embedder.max_tokens == 256
    report = advisor.ingest()
    assert report.chunks >= 4
    for chunk in advisor.snapshot().chunks.values():  # nothing silently truncated
        assert advisor.embedder.count_tokens(chunk.indexed_text) <= 256
    passages = advisor.retrieve("mandaat ruggenspraak daadkracht")
    assert "ruggenspraak" in passages[0].chunk.text


def test_hostile_input_costs_what_a_short_question_costs(real_advisor, monkeypatch):
    """Issue 12: the work per request is bounded by the caps, not by the input. The model is called at most
    twice per question (the question, the resolved follow-up), each time with at most MAX_EMBED_TOKENS tokens;
    analysis and lexical search read at most MAX_ANALYSED_WORDS words. Random words with digits are the worst
    case for a character cap: they split into several tokens per word."""
    import random

    from advisor.lexical import LexicalIndex
    from advisor.query import MAX_ANALYSED_WORDS, MAX_EMBED_TOKENS, MAX_TERMS

    embedder = real_advisor.embedder
    embedded, searched = [], []
    original_embed, original_search = type(embedder).embed_query, LexicalIndex.search
    monkeypatch.setattr(type(embedder), "embed_query",
                        lambda self, text: embedded.append(text) or original_embed(self, text))
    monkeypatch.setattr(LexicalIndex, "search",
                        lambda self, text, k: searched.append(text) or original_search(self, text, k))
    rng = random.Random(3)
    noise = lambda n: " ".join(f"samenwerking{rng.randint(0, 99999)}x{rng.randint(0, 999)}" for _ in range(n))  # noqa: E731
    for question, turns in ((noise(120)[:2000], ()), ("En dat?", [{"role": "user", "content": noise(1200)[:20000]}])):
        embedded.clear(), searched.clear()
        answer = real_advisor.ask(question, turns=turns)
        assert answer.answer  # an answer or a refusal, never an error
        assert 1 <= len(embedded) <= 2
        assert all(embedder.count_tokens(text) <= MAX_EMBED_TOKENS for text in embedded)
        assert searched and all(len(text.split()) <= MAX_ANALYSED_WORDS for text in searched)
        from advisor.types import Turn

        assert len(real_advisor.analyse(question, turns=[Turn(**t) for t in turns]).terms) <= MAX_TERMS


def test_fit_tokens_keeps_a_long_questions_context_and_its_question(e5_embedder):
    from advisor.embeddings import fit_tokens

    question = ("Ik ben beleidsmedewerker bij een middelgrote gemeente en we hebben " + "heel veel " * 40 +
                "vragen gekregen. Welke termijn geldt voor een Woo-verzoek?")
    count = e5_embedder.count_tokens
    fitted = fit_tokens(question, 48, count, keep="ends")
    assert count(fitted) <= 48 + 2  # the two halves meet on a word boundary
    assert fitted.startswith("Ik ben beleidsmedewerker") and fitted.endswith("Welke termijn geldt voor een Woo-verzoek?")
    assert fit_tokens("Welke termijn geldt?", 48, count, keep="ends") == "Welke termijn geldt?"
    assert count(fit_tokens("x9" * 500, 48, count)) <= 48  # one endless "word" is cut too
