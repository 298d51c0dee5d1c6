"""Hybrid retrieval, fusion, de-duplication, the LangChain adapter, BM25 analysis and the extractive composer."""

from __future__ import annotations

import pytest

from advisor.advisor import Advisor
from advisor.answer import ExtractiveAnswerer, chunk_sentences
from advisor.lexical import LexicalIndex
from advisor.retrieval import as_langchain_retriever, reciprocal_rank_fusion
from advisor.types import Chunk, Passage

from .conftest import SYNTHETIC_DOC


def test_rrf_rewards_agreement_and_rank():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["a"] == fused["b"] > fused["c"]


def test_bm25_connects_compounds_and_corrects_typos():
    texts = ["Het samenwerkingsverband vraagt mandaat.", "Een wijkagent werkt in de wijk.",
             "Samenwerking in het algemeen."]
    index = LexicalIndex(["a", "b", "c"], texts)
    assert "a" in [cid for cid, _ in index.search("samenwerking", 3)]  # the compound, through its known part
    assert index.search("wijkagnet", 3)[0][0] == "b"  # typo corrected
    assert index.search("de het een", 3) == []  # only stopwords: nothing
    plain = LexicalIndex(["a", "b", "c"], texts, compounds=False)
    assert "a" not in [cid for cid, _ in plain.search("samenwerking", 3)]


def test_hybrid_retrieval_ranks_the_right_document_and_drops_duplicates(hash_settings, corpus_dir):
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    (corpus_dir / "kopie.md").write_text(SYNTHETIC_DOC.replace("Synthetisch testdocument over", "Kopie over"),
                                         encoding="utf-8")
    advisor = Advisor(hash_settings)
    advisor.ingest()
    passages = advisor.retrieve("convenant verwerking persoonsgegevens", top_n=5)
    assert passages[0].chunk.document_id in {"synthetisch", "kopie"}
    texts = [p.chunk.text for p in passages]
    assert len(texts) == len(set(texts))  # the near-identical copy is not returned twice
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))


def test_langchain_retriever_returns_documents_with_metadata(hash_settings):
    advisor = Advisor(hash_settings)
    advisor.ingest()
    docs = as_langchain_retriever(advisor, k=2).invoke("Waarom is mandaat belangrijk?")
    assert 1 <= len(docs) <= 2
    assert docs[0].metadata["document_id"] == "het-belang-van-betrokken-moederorganisaties"
    assert docs[0].metadata["chunk_id"] and docs[0].page_content


def _passage(text: str, rank: int = 1, cid: str = "c1") -> Passage:
    chunk = Chunk(id=cid, document_id="d", text=text, headings=("Kop",), index=0,
                  metadata={"title": "Titel", "kind": "blog", "url": "https://example.org/t"})
    return Passage(chunk=chunk, score=1.0, dense_score=0.95, rank=rank)


def test_extractive_answer_quotes_verbatim_and_cites(hash_settings):
    answerer = ExtractiveAnswerer(hash_settings, None)
    text = ("Mandaat is belangrijk omdat anders continu ruggenspraak nodig is.\n\nDe zon schijnt vandaag fel. "
            "Zonder mandaat ontbreekt daadkracht in de samenwerking.")
    answer = answerer.answer("Waarom is mandaat belangrijk voor daadkracht?", [_passage(text)], titles=["Titel"])
    assert answer.answered
    assert "ruggenspraak" in answer.answer and "zon schijnt" not in answer.answer
    assert answer.answer.startswith("In de blog ‘Titel’ staat hierover:")
    [citation] = answer.citations
    assert citation.quote in text and citation.n == 1 and "[1]" in answer.answer


def test_refusal_is_dutch_and_offers_the_contact_route(hash_settings):
    answerer = ExtractiveAnswerer(hash_settings, None)
    answer = answerer.answer("Hoe kan ik geld witwassen?", [_passage("Mandaat is belangrijk voor iedereen hier.")],
                             titles=["Titel"])
    assert not answer.answered and not answer.citations
    assert answer.answer == "Bij deze vraag kan en wil ik niet helpen."
    other = answerer.answer("Wat is de beste fietsroute naar Zwolle?",
                            [_passage("Mandaat is belangrijk voor iedereen hier.")], titles=["Titel"])
    assert not other.answered and "033 467 77 77" in other.answer and "‘Titel’" in other.answer


def test_chunk_sentences_give_offsets_into_the_text():
    text = "Eerste zin hier. Tweede zin daar.\n\nDerde zin."
    assert [(o, s) for o, s in chunk_sentences(text)] == [(0, "Eerste zin hier."), (17, "Tweede zin daar."),
                                                        (35, "Derde zin.")]
