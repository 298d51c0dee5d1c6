"""Hybrid retrieval, fusion, de-duplication, the LangChain adapter, BM25 analysis and the extractive composer."""

from __future__ import annotations

import pytest

from advisor.advisor import Advisor
from advisor.chunking import chunk_units
from advisor.compose import ExtractiveComposer
from advisor.decision import Decision
from advisor.evidence import Evidence, Unit
from advisor.query import Query
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


def _units(passage: Passage) -> list[Unit]:
    units, lead = [], None
    for position, (start, text, kind) in enumerate(chunk_units(passage.chunk.text)):
        unit = Unit(kind=kind, text=text, document_id="d", passage=passage, start=start, position=position)
        if kind == "item" and lead is not None:
            unit.lead_in = lead
            lead.items.append(unit)
        elif text.endswith(":"):
            lead = unit
        units.append(unit)
    return units


def _compose(passage: Passage, chosen: list[int], reason: str = "answered"):
    units = _units(passage)
    query = Query(text="q", resolved="q", terms=(), own_terms=(), numbers=(), names=(), qword="wat")
    evidence = Evidence(query=query, passages=[passage], units=units, meta_units=[], features={})
    decision = Decision(True, 0.9, reason, units=tuple(units[i] for i in chosen))
    return ExtractiveComposer(publisher="Uitgever", contact="Bel 033.", titles=["Titel"]).compose(
        query, evidence, decision), units


def test_extractive_answer_quotes_verbatim_and_cites():
    text = ("Mandaat is belangrijk omdat anders continu ruggenspraak nodig is.\n\nDe zon schijnt vandaag fel. "
            "Zonder mandaat ontbreekt daadkracht in de samenwerking.")
    answer, _ = _compose(_passage(text), [0, 2])
    assert answer.answered and answer.mode == "extractive" and answer.reason == "answered"
    assert "ruggenspraak" in answer.answer and "zon schijnt" not in answer.answer
    assert answer.answer.startswith("In de blog ‘Titel’ staat hierover:")
    # two selected sentences that are not adjacent: two quotes, each exactly one selected sentence
    assert [c.quote for c in answer.citations] == [
        "Mandaat is belangrijk omdat anders continu ruggenspraak nodig is.",
        "Zonder mandaat ontbreekt daadkracht in de samenwerking."]
    assert "[1]" in answer.answer and "[2]" in answer.answer
    assert all(c.quote in text for c in answer.citations)


def test_a_lead_in_brings_its_list_items_as_dash_lines():
    text = ("De agenda noemt drie doelen:\n\n- minder ondermijning in wijken;\n- snellere signalen;\n"
            "- betere nazorg.\n\nDaarna volgt iets anders.")
    answer, units = _compose(_passage(text), [0])
    body = answer.answer.split("\n\n", 1)[1]
    assert body == ("De agenda noemt drie doelen: [1]\n- minder ondermijning in wijken;\n- snellere signalen;\n"
                    "- betere nazorg.")
    [citation] = answer.citations
    assert citation.quote == "\n\n".join(text.split("\n\n")[:2])
    item_only, _ = _compose(_passage(text), [2])  # an item brings its lead-in and the rest of its short list
    assert item_only.answer == answer.answer


def test_refusal_is_dutch_and_offers_the_contact_route():
    composer = ExtractiveComposer(publisher="Uitgever", contact="Bel 033 467 77 77.", titles=["Titel"])
    harmful = composer.refuse(Decision(False, 0.99, "harmful"))
    assert not harmful.answered and not harmful.citations and harmful.reason == "harmful"
    assert harmful.answer == "Bij deze vraag kan en wil ik niet helpen."
    other = composer.refuse(Decision(False, 0.8, "not_in_sources"))
    assert not other.answered and "033 467 77 77" in other.answer and "‘Titel’" in other.answer


def test_metadata_answer_states_the_field_and_cites_the_document():
    passage = _passage("Eerste zin van de blog.")
    meta = Unit(kind="meta", text="2022-01-20", document_id="d", meta_field="date", value="2022-01-20")
    query = Query(text="q", resolved="q", terms=(), own_terms=(), numbers=(), names=(), qword="wanneer")
    evidence = Evidence(query=query, passages=[passage], units=[], meta_units=[meta], features={},
                        documents={"d": {"title": "Titel"}})
    composer = ExtractiveComposer(publisher="Uitgever", contact="Bel 033.")
    answer = composer.compose(query, evidence, Decision(True, 0.9, "metadata", units=(meta,), meta_field="date",
                                                        document_id="d"))
    assert answer.answer == "‘Titel’ is gepubliceerd op 20 januari 2022. [1]"
    assert answer.citations[0].url == "https://example.org/t" and answer.citations[0].quote == "2022-01-20"
    missing = composer.compose(query, evidence, Decision(False, 0.9, "metadata_missing", meta_field="author",
                                                         document_id="d"))
    assert missing.answer.startswith("In ‘Titel’ staat niet wie het geschreven heeft.")


def test_chunk_units_give_offsets_into_the_text():
    text = "Eerste zin hier. Tweede zin daar.\n\nLijst:\n\n- een\n- twee"
    units = chunk_units(text)
    assert [(o, t, k) for o, t, k in units] == [(0, "Eerste zin hier.", "sentence"), (17, "Tweede zin daar.", "sentence"),
                                               (35, "Lijst:", "sentence"), (45, "een", "item"), (51, "twee", "item")]
    assert all(text[o:o + len(t)] == t for o, t, _ in units)
