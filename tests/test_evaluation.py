"""Evaluation metrics and dataset validation (fast, no model)."""

from __future__ import annotations


import pytest

from advisor.corpus import load_corpus
from advisor.evaluation import (EvalItem, check_thresholds, citation_validity, compare_reports, dataset_specs,
                                fact_found, groundedness, leave_one_out, load_dataset, relevant_ids, summarize,
                                validate_dataset, ItemResult)
from advisor.types import Answer, Citation

from .conftest import ROOT


def _answer(body: str, quote: str, chunk_id: str = "c1") -> Answer:
    return Answer(answered=True, answer=f"In de blog staat hierover:\n\n{body}", confidence=0.9,
                  citations=[Citation(n=1, chunk_id=chunk_id, document_id="d", title="t", quote=quote)])


def test_fact_matching_is_stem_tolerant_and_ordered():
    assert fact_found(["ruggenspraak"], "er is continu Ruggenspraak nodig")
    assert fact_found(["onder druk"], "het samenwerkingsverband kan onder druk komen te staan")
    assert fact_found(["gemeenten"], "de gemeente doet mee")  # stem: gemeent
    assert not fact_found(["onder druk"], "druk onder de mensen")
    assert not fact_found(["daadkracht"], "geen enkel relevant woord")
    assert fact_found(["2024-08-29"], "De pagina is gepubliceerd op 29 augustus 2024.")  # one date, two spellings
    assert not fact_found(["2024-08-29"], "De pagina is gepubliceerd op 28 augustus 2024.")


def test_groundedness_counts_sentences_found_in_cited_passages():
    chunk = "Mandaat is belangrijk. Zonder mandaat is ruggenspraak nodig."
    good = _answer("Mandaat is belangrijk. [1] Zonder mandaat is ruggenspraak nodig. [1]", chunk)
    assert groundedness(good, {"c1": chunk}) == 1.0
    half = _answer("Mandaat is belangrijk. [1] Dit heb ik zelf verzonnen. [1]", chunk)
    assert groundedness(half, {"c1": chunk}) == 0.5


def test_citation_validity_requires_a_verbatim_quote_of_an_existing_chunk():
    chunk = "Mandaat is belangrijk. Zonder mandaat is ruggenspraak nodig."
    assert citation_validity(_answer("x [1]", "Zonder mandaat is ruggenspraak nodig."), {"c1": chunk}) == 1.0
    assert citation_validity(_answer("x [1]", "Zonder mandaat gaat alles mis."), {"c1": chunk}) == 0.0
    assert citation_validity(_answer("x [1]", "Mandaat is belangrijk.", chunk_id="gone"), {"c1": chunk}) == 0.0


def test_relevant_chunks_are_found_by_quote_even_across_a_chunk_boundary():
    item = EvalItem(id="x", question="q", kind="direct", answerable=True, facts=[["a"]], documents=["d"],
                    quotes=["een twee drie vier vijf zes zeven acht negen tien"])
    chunks = [("c1", "d", "nul een twee drie vier vijf zes zeven acht"), ("c2", "d", "niets hiervan"),
              ("c3", "other", "een twee drie vier vijf zes zeven acht negen tien")]
    assert relevant_ids(item, chunks) == {"c1"}


def test_validation_rejects_a_quote_that_is_not_verbatim(tmp_path):
    (tmp_path / "doc.md").write_text("# Doc\n\nSynthetische tekst over mandaat en ruggenspraak.\n", encoding="utf-8")
    documents, _ = load_corpus(tmp_path)
    good = EvalItem(id="a", question="q", kind="direct", answerable=True, facts=[["mandaat"]], documents=["doc"],
                    quotes=["tekst over mandaat en ruggenspraak"])
    bad = good.model_copy(update={"id": "b", "quotes": ["tekst over mandaat en daadkracht"]})
    wrong_kind = good.model_copy(update={"id": "c", "kind": "refuse_unrelated"})
    problems = validate_dataset([good, bad, wrong_kind], documents)
    assert len(problems) == 2 and problems[0].startswith("b:") and problems[1].startswith("c:")


def test_leave_one_out_copies_content_and_metadata_items_without_their_documents(tmp_path):
    (tmp_path / "a.md").write_text("---\nauthor: Anna de Vries\n---\n# A\n\nDe raad besloot in maart over het "
                                   "mandaat van de regiegroep.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# B\n\nDe raad besloot in maart over het mandaat van de regiegroep.\n\n"
                                   "Iets anders over de begroting.\n", encoding="utf-8")
    documents, _ = load_corpus(tmp_path)
    content = EvalItem(id="c", question="q", kind="direct", answerable=True, facts=[["maart"]], documents=["a"],
                       quotes=["De raad besloot in maart over het mandaat van de regiegroep."])
    only_b = content.model_copy(update={"id": "o", "quotes": ["Iets anders over de begroting."], "documents": ["b"]})
    meta = EvalItem(id="m", question="Wie schreef A?", kind="metadata", answerable=True, facts=[["Anna de Vries"]],
                    documents=["a"], quotes=["Anna de Vries"])
    refused = EvalItem(id="r", question="q", kind="refuse_unrelated", answerable=False)
    out = {negative.id: (negative.kind, excluded) for negative, excluded in
           leave_one_out([content, only_b, meta, refused], documents)}
    # "c" is skipped: document b holds its quote too; "o" is b's only, and the metadata copy is always refused
    assert out == {"o-loo": ("refuse_loo", frozenset({"b"})), "m-loo": ("refuse_loo_metadata", frozenset({"a"}))}


@pytest.mark.parametrize("name", ["corpus", "holdout", "multi"])
def test_every_shipped_dataset_is_valid_against_its_corpus(name):
    spec = dataset_specs(ROOT / "evals" / "config.toml")[name]
    items = load_dataset(ROOT / spec.path)
    documents, skipped = load_corpus(ROOT / spec.corpus)
    assert not skipped
    assert validate_dataset(items, documents) == []
    assert sum(i.answerable for i in items) >= 16 and sum(not i.answerable for i in items) >= 12


def _result(id_: str, answerable: bool, answered: bool) -> ItemResult:
    return ItemResult(id=id_, kind="direct" if answerable else "refuse_unrelated", question="q",
                      answerable=answerable, answered=answered, answer="", ranking=["c1"], relevant=["c1"],
                      facts_found=[answered] if answerable else [], groundedness=1.0 if answered else None,
                      citation_validity=1.0 if answered else None, latency_ms=10.0)


def test_summary_refusal_metrics_and_the_gate():
    results = [_result("a", True, True), _result("b", True, False), _result("c", False, False),
               _result("d", False, True)]
    summary = summarize(results)
    assert summary["refusal_accuracy"] == 0.5 and summary["false_refusal_rate"] == 0.5
    assert summary["recall_at_5"] == 1.0 and summary["fact_recall"] == 0.5
    report = {"dataset": "x", "advisor": {"summary": summary, "results": []}}
    assert check_thresholds(report, {"x": {"min_refusal_accuracy": 0.5, "max_false_refusal_rate": 0.5}}) == []
    assert len(check_thresholds(report, {"x": {"min_refusal_accuracy": 0.8, "max_false_refusal_rate": 0.2}})) == 2


def test_compare_lists_changed_items():
    old = {"advisor": {"summary": summarize([_result("a", True, True)]),
                       "results": [{"id": "a", "question": "q", "answered": True, "facts_found": [True]}]}}
    new = {"advisor": {"summary": summarize([_result("a", True, False)]),
                       "results": [{"id": "a", "question": "q", "answered": False, "facts_found": [False]}]}}
    diff = compare_reports(old, new)
    assert diff["changed"][0]["id"] == "a" and diff["deltas"]["false_refusal_rate"] == (0.0, 1.0)
