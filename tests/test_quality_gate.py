"""The quality gate: `make test` fails when a headline metric falls below evals/thresholds.toml."""

from __future__ import annotations

import tomllib

import pytest

from advisor.evaluation import check_thresholds, dataset_specs, evaluate
from advisor.settings import AdvisorSettings, AnswerSettings, RetrievalSettings

from .conftest import ROOT

pytestmark = pytest.mark.slow
THRESHOLDS = tomllib.loads((ROOT / "evals" / "thresholds.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("dataset", ["corpus", "multi", "dev"])
def test_default_configuration_passes_the_gate(eval_reports, dataset):
    report = eval_reports[dataset]
    assert check_thresholds(report, THRESHOLDS) == []
    # advisor and the naive baseline are measured side by side on the same items
    assert report["naive"]["summary"]["items"] == report["advisor"]["summary"]["items"]


def test_advisor_beats_the_naive_baseline_where_it_matters(eval_reports):
    for name, report in eval_reports.items():
        ours, naive = report["advisor"]["summary"], report["naive"]["summary"]
        assert ours["refusal_accuracy"] > naive["refusal_accuracy"]
        assert ours["decision_accuracy"] > naive["decision_accuracy"]
        if name != "corpus":  # see the next test
            assert ours["mrr"] >= naive["mrr"] - 0.02


@pytest.mark.xfail(strict=True, reason="known regression since the reader rewrite (2026-12-03): on the one-blog "
                   "corpus set advisor's MRR (0.830; 0.807 then) is below the naive pipeline's (0.853); multi and "
                   "dev are not")
def test_advisor_retrieval_keeps_up_with_naive_on_the_blog(eval_reports):
    ours, naive = eval_reports["corpus"]["advisor"]["summary"], eval_reports["corpus"]["naive"]["summary"]
    assert ours["mrr"] >= naive["mrr"] - 0.02


def test_no_answer_quotes_site_chrome(eval_reports):
    """No answer unit is a labelled chrome line (byline, caption, credit, call to action, menu, footer) of the
    dev corpus; the labels (evals/dev/chrome) were written from the pages, independently of the reader."""
    report = eval_reports["dev"]
    assert [(r["id"], r["chrome"]) for r in report["advisor"]["results"] if r["chrome"]] == []
    assert report["advisor"]["summary"]["chrome_answers"] == 0


def test_metadata_and_list_questions_are_answered_from_the_right_source(eval_reports):
    kinds = eval_reports["dev"]["advisor"]["summary"]["by_kind"]
    assert kinds["metadata"]["items"] >= 20 and kinds["list"]["items"] >= 20
    assert kinds["metadata"]["decision_accuracy"] >= THRESHOLDS["dev"]["min_metadata_decision_accuracy"]
    assert kinds["list"]["fact_recall"] >= THRESHOLDS["dev"]["min_list_fact_recall"]


def test_a_weakened_configuration_fails_the_gate(e5_embedder):
    """Top-1 passage, one sentence, no refusal: the gate must catch it."""
    weak = AdvisorSettings(retrieval=RetrievalSettings(top_n=1, refuse=False),
                           answer=AnswerSettings(max_units=1))
    spec = dataset_specs(ROOT / "evals" / "config.toml")["corpus"]
    spec.path, spec.corpus = ROOT / spec.path, ROOT / spec.corpus
    failures = check_thresholds(evaluate(spec, weak, embedder=e5_embedder, baselines=False), THRESHOLDS)
    assert any("refusal_accuracy" in f for f in failures)
    assert any("decision_accuracy" in f for f in failures)
