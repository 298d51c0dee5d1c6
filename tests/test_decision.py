"""decide(): the fitted models as evaluated at question time, on small hand-made evidence."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.decision import DECISION_FEATURES, PRESENCE_FEATURES, LinearModel, Models, decide, guard, intent, select
from advisor.evidence import QUERY_FEATURES, UNIT_FEATURES, Evidence, Unit
from advisor.lexical import SpellingIndex
from advisor.query import Query
from advisor.types import Chunk, Passage


def test_spelling_index_corrects_one_edit_to_a_corpus_word():
    index = SpellingIndex({"wijkagent", "mandaat", "samenwerking", "collega"})
    assert index.correct("wijkagnet") == "wijkagent"  # transposition
    assert index.correct("mandat") == "mandaat"  # deletion
    assert index.correct("samenwerkimg") == "samenwerking"  # substitution
    assert index.correct("mandaat") is None  # already known
    assert index.correct("fiets") is None  # nothing close
    # two edits apart: a deletion here and an insertion there share a deleted form, but are no typo of it
    assert index.correct("mndaaat") is None
    assert index.correct("samnwerkingg") is None


def test_linear_model_matches_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    fitted = LogisticRegression().fit(x, y)
    model = LinearModel({"classes": ["no", "yes"], "features": ["a", "b", "c"], "mean": [0, 0, 0],
                         "scale": [1, 1, 1], "coef": fitted.coef_.tolist(), "intercept": fitted.intercept_.tolist()})
    assert np.allclose(model.proba(x), fitted.predict_proba(x), atol=1e-5)
    multi = LogisticRegression().fit(x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 1))
    spec = {"classes": ["a", "b", "c"], "features": [], "mean": [0, 0, 0], "scale": [1, 1, 1],
            "coef": multi.coef_.tolist(), "intercept": multi.intercept_.tolist()}
    assert np.allclose(LinearModel(spec).proba(x), multi.predict_proba(x), atol=1e-5)


def test_exported_trees_match_scikit_learn_and_survive_json(tmp_path):
    import json

    from sklearn.ensemble import GradientBoostingClassifier

    from advisor.decision import model_from_spec
    from advisor.train import TREE_COUNT, TREE_DEPTH, TREE_RATE, TREE_SUBSAMPLE, fit_trees

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 4))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0.5)).astype(int)  # an interaction a linear model cannot fit
    weight = np.where(y == 1, 1.0, 2.0)
    model = fit_trees(x, y, ("refuse", "answer"), ["a", "b", "c", "d"], weight=weight)
    reference = GradientBoostingClassifier(max_depth=TREE_DEPTH, n_estimators=TREE_COUNT, learning_rate=TREE_RATE,
                                           subsample=TREE_SUBSAMPLE, random_state=0).fit(x, y, sample_weight=weight)
    fresh = rng.normal(size=(100, 4))
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(model.spec), encoding="utf-8")  # strict JSON: a leaf's threshold is null
    loaded = model_from_spec(json.loads(path.read_text(encoding="utf-8")))
    assert np.allclose(loaded.proba(fresh), reference.predict_proba(fresh), atol=1e-5)
    assert ((loaded.proba(fresh)[:, 1] >= 0.5) == ((fresh[:, 0] > 0) ^ (fresh[:, 1] > 0.5))).mean() > 0.9
    assert np.allclose(loaded.proba(loaded.vector({"a": 1.0, "b": 0.0}))[0], loaded.proba([[1.0, 0, 0, 0]])[0])


def test_a_blend_is_the_weighted_mean_of_its_parts():
    from advisor.decision import BlendModel, model_from_spec
    from advisor.train import fit_trees

    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] > 0).astype(int)
    trees = fit_trees(x, y, ("refuse", "answer"), ["a", "b"])
    linear = LinearModel({"classes": ["refuse", "answer"], "features": ["a", "b"], "mean": [0, 0], "scale": [1, 1],
                          "coef": [[2.0, 0.0]], "intercept": [0.0]})
    blend = model_from_spec({"kind": "blend", "classes": ["refuse", "answer"], "features": ["a", "b"],
                             "weights": [1, 3], "parts": [linear.spec, trees.spec], "threshold": 0.4})
    assert isinstance(blend, BlendModel) and blend.threshold == 0.4
    assert np.allclose(blend.proba(x), 0.25 * linear.proba(x) + 0.75 * trees.proba(x))
    with pytest.raises(ValueError):
        model_from_spec({"kind": "blend", "classes": ["refuse", "answer"], "features": ["a"], "weights": [1, 1],
                         "parts": [linear.spec, trees.spec]})


def _vector(i: int, dim: int = 4) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    v[i] = 1.0
    return v


def _one_hot_model(classes, threshold=0.5) -> LinearModel:
    """A model whose class is the position of the 1 in a one-hot vector."""
    n = len(classes)
    return LinearModel({"classes": list(classes), "features": [f"e{i}" for i in range(n)], "mean": [0] * n,
                        "scale": [1] * n, "coef": (np.eye(n) * 10).tolist(), "intercept": [0] * n,
                        "threshold": threshold})


def _evidence(vector: np.ndarray, *, meta_author: str | None = "Anna de Vries", publisher: str | None = None
              ) -> Evidence:
    chunk = Chunk(id="c1", document_id="d1", text="Eerste zin.", headings=(), index=0,
                  metadata={"title": "Titel", "author": meta_author})
    passage = Passage(chunk=chunk, score=1.0, dense_score=0.9, rank=1)
    query = Query(text="q", resolved="q", terms=("a",), own_terms=("a",), numbers=(), names=(), qword="wie",
                  vector=vector, own_vector=vector)
    units = [Unit(kind="sentence", text="Eerste zin.", document_id="d1", passage=passage,
                  features={f: 0.0 for f in UNIT_FEATURES} | {"dense": d}, terms=frozenset({t}))
             for d, t in ((0.9, "x"), (0.6, "y"), (0.3, "z"))]
    meta = [Unit(kind="meta", text=meta_author or "", document_id="d1", meta_field="author", value=meta_author),
            Unit(kind="meta", text=publisher or "", document_id="d1", meta_field="publisher", value=publisher)]
    return Evidence(query=query, passages=[passage], units=units, meta_units=meta,
                    features={f: 0.0 for f in QUERY_FEATURES} | {"top_unit_dense": 0.9},
                    documents={"d1": {"title": "Titel", "author": meta_author}})


def test_guardrail_class_above_threshold_refuses_before_anything_else():
    models = Models(guardrail=_one_hot_model(["benign", "crime", "injection", "legal"]), intent=None,
                    selection=None, decision=None)
    assert guard(_vector(1), models)[0] == "crime"
    assert guard(_vector(0), models)[0] is None
    assert guard(_vector(1, dim=7), models) == (None, 0.0)  # a vector of another embedder: the model does not apply
    decision = decide(_evidence(_vector(3)), models)
    assert not decision.answerable and decision.reason == "legal"
    assert decide(_evidence(_vector(3)), models, refuse=False).answerable


def test_metadata_intent_answers_from_the_field_or_says_it_is_missing():
    models = Models(guardrail=None, intent=_one_hot_model(["none", "author", "date", "publisher"]), selection=None,
                    decision=None)
    assert intent(_vector(1), models)[0] == "author"
    answered = decide(_evidence(_vector(1)), models)
    assert answered.answerable and answered.reason == "metadata" and answered.units[0].value == "Anna de Vries"
    missing = decide(_evidence(_vector(1), meta_author=None), models)
    assert not missing.answerable and missing.reason == "metadata_missing" and missing.meta_field == "author"


def test_who_published_gives_the_writer_and_the_organisation_whichever_is_stated():
    from advisor.compose import ExtractiveComposer

    models = Models(guardrail=None, intent=_one_hot_model(["none", "author", "date", "publisher"]), selection=None,
                    decision=None)
    only_author = decide(_evidence(_vector(3)), models)  # asks the publisher; only the writer is stated
    assert only_author.reason == "metadata" and only_author.meta_field == "author"
    both = _evidence(_vector(3), publisher="Regio Lingemeer")
    decision = decide(both, models)
    assert [u.value for u in decision.units] == ["Regio Lingemeer", "Anna de Vries"]
    answer = ExtractiveComposer(publisher="Bureau", contact="info@example.nl").compose(both.query, both, decision)
    assert answer.answer == "‘Titel’ is een publicatie van Regio Lingemeer. De auteur is Anna de Vries. [1]"
    neither = decide(_evidence(_vector(3), meta_author=None), models)
    assert neither.reason == "metadata_missing" and neither.meta_field == "publisher"


def test_a_question_for_two_fields_gets_both():
    from advisor.compose import ExtractiveComposer

    models = Models(guardrail=None, intent=_one_hot_model(["none", "author", "date", "author+date"]), selection=None,
                    decision=None)
    evidence = _evidence(_vector(3))
    evidence.meta_units.append(Unit(kind="meta", text="2025-05-27", document_id="d1", meta_field="date",
                                    value="2025-05-27"))
    decision = decide(evidence, models)
    assert decision.reason == "metadata" and [u.meta_field for u in decision.units] == ["author", "date"]
    answer = ExtractiveComposer(publisher="Bureau", contact="info@example.nl").compose(evidence.query, evidence,
                                                                                       decision)
    assert answer.answer == "‘Titel’ is geschreven door Anna de Vries. Het is gepubliceerd op 27 mei 2025. [1]"
    no_author = _evidence(_vector(3), meta_author=None)
    no_author.meta_units.append(evidence.meta_units[-1])
    only_date = decide(no_author, models)
    assert only_date.reason == "metadata" and [u.meta_field for u in only_date.units] == ["date"]


def test_a_question_for_the_organisation_and_the_date_gets_both():
    from advisor.compose import ExtractiveComposer

    models = Models(guardrail=None, intent=_one_hot_model(["none", "author", "date", "publisher+date"]),
                    selection=None, decision=None)
    evidence = _evidence(_vector(3), publisher="RIEC Noordkust")
    evidence.meta_units.append(Unit(kind="meta", text="2024-11", document_id="d1", meta_field="date", value="2024-11"))
    decision = decide(evidence, models)
    assert decision.reason == "metadata" and [u.meta_field for u in decision.units] == ["publisher", "date"]
    answer = ExtractiveComposer(publisher="Bureau", contact="info@example.nl").compose(evidence.query, evidence,
                                                                                       decision)
    assert answer.answer == "‘Titel’ is een publicatie van RIEC Noordkust. Het is gepubliceerd in november 2024. [1]"


def test_a_metadata_question_about_a_document_the_sources_lack_is_refused():
    """The presence model reads how well the best passages match the question: below its threshold, the best
    document is not the one asked about, and its author is no answer."""
    presence = LinearModel({"classes": ["absent", "present"], "features": ["top_lexical"], "mean": [0.0],
                            "scale": [1.0], "coef": [[10.0]], "intercept": [-15.0], "threshold": 0.5})
    models = Models(guardrail=None, intent=_one_hot_model(["none", "author", "date", "publisher"]), selection=None,
                    decision=None, presence=presence)
    named = _evidence(_vector(1))
    named.features["top_lexical"] = 2.0
    assert decide(named, models).reason == "metadata"
    other = _evidence(_vector(1))
    other.features["top_lexical"] = 1.0
    assert decide(other, models).reason == "metadata"  # one document: it is the one in focus
    other.documents = {"d1": other.documents["d1"], "d2": {"title": "Ander"}}
    refused = decide(other, models)
    assert not refused.answerable and refused.reason == "not_in_sources" and not refused.units
    presence.spec["min_documents"] = 3  # smaller than the corpora it was fitted on: the check does not apply
    assert decide(other, models).reason == "metadata"
    assert decide(other, models, refuse=False).reason == "metadata"  # "always answer" answers from the best one


@pytest.mark.parametrize("top, answerable", [(0.9, True), (0.5, False)])
def test_without_a_fitted_decision_the_similarity_threshold_decides(top, answerable):
    evidence = _evidence(_vector(0))
    evidence.features["top_unit_dense"] = top
    models = Models(None, None, None, None, settings={"similarity_threshold": 0.8, "select_min": 0.0})
    decision = decide(evidence, models)
    assert decision.answerable is answerable and decision.reason == ("answered" if answerable else "not_in_sources")
    assert 0.0 <= decision.confidence <= 1.0


def test_fitted_decision_uses_its_features_and_threshold():
    n = len(DECISION_FEATURES)
    coef = [[10.0 if f == "top_unit_dense" else 0.0 for f in DECISION_FEATURES]]
    model = LinearModel({"classes": ["refuse", "answer"], "features": list(DECISION_FEATURES), "mean": [0] * n,
                         "scale": [1] * n, "coef": coef, "intercept": [-7.0], "threshold": 0.5})
    models = Models(None, None, None, model, settings={"select_min": 0.0})
    high, low = _evidence(_vector(0)), _evidence(_vector(0))
    high.features["top_unit_dense"], low.features["top_unit_dense"] = 0.9, 0.5
    assert decide(high, models).answerable and not decide(low, models).answerable
    assert decide(low, models).confidence > 0.5  # confident that refusing is right


def test_selection_keeps_the_best_units_without_near_repeats():
    evidence = _evidence(_vector(0))
    models = Models(None, None, None, None, settings={"select_min": 0.2, "select_relative": 0.5})
    for u, score in zip(evidence.units, (0.9, 0.6, 0.3)):
        u.score = score
    chosen = select(evidence, models)
    assert [u.score for u in chosen] == [0.9, 0.6]  # 0.3 is below half of the best
    evidence.units[1].terms = evidence.units[0].terms  # the same words again: a repeat
    assert [u.score for u in select(evidence, models)] == [0.9]


def test_shipped_models_load_with_their_feature_lists():
    models = Models.load()
    assert models.decision is not None and models.selection is not None and models.guardrail is not None
    assert models.presence is not None and list(models.presence.features) == list(PRESENCE_FEATURES)
    assert list(models.decision.features) == list(DECISION_FEATURES)
    assert list(models.selection.features) == list(UNIT_FEATURES)
    assert 0.0 < models.decision.threshold < 1.0


def test_a_date_answer_also_says_when_the_page_was_last_changed():
    from dataclasses import replace as dc_replace

    from advisor.compose import ExtractiveComposer

    models = Models(guardrail=None, intent=_one_hot_model(["none", "author", "date", "publisher"]), selection=None,
                    decision=None)
    evidence = _evidence(_vector(2))
    chunk = dc_replace(evidence.passages[0].chunk, metadata={"title": "Titel", "date": "2025-10-02",
                                                             "modified": "2025-10-14"})
    evidence.passages[0] = dc_replace(evidence.passages[0], chunk=chunk)
    evidence.meta_units.append(Unit(kind="meta", text="2025-10-02", document_id="d1", meta_field="date",
                                    value="2025-10-02"))
    decision = decide(evidence, models)
    answer = ExtractiveComposer(publisher="Bureau", contact="info@example.nl").compose(evidence.query, evidence, decision)
    assert answer.answer == ("‘Titel’ is gepubliceerd op 2 oktober 2025 en voor het laatst gewijzigd op "
                             "14 oktober 2025. [1]")
