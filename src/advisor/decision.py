"""decide(query, evidence) -> Decision: fitted models, not rules.

Four small models, fitted by `advisor train` (see train.py) and stored as JSON in `models/` with their feature
lists, training data and command:
- guardrail: help with crime / a legal verdict on a case / prompt injection / benign, over the question vector;
- metadata intent: does the question ask who wrote, when, the title, where to read, or which organisation;
- selection: is this unit (sentence, list item) part of the answer, over the unit features of `evidence.py`;
- decision: do the sources answer the question, over the query features plus the selection's best scores: the mean
  of a logistic model and gradient-boosted trees (the features interact: a high similarity means little when the
  question's rare words are missing; the linear part carries over to corpora unlike the training data).
Confidence is the decision model's probability (fitted on log-loss; see the reliability plot).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .evidence import QUERY_FEATURES, SELECTION_FEATURES, Evidence, Unit, selection_features
from .text import jaccard, tokenize

MODELS_DIR = Path(__file__).parent / "models"
DECISION_FEATURES = QUERY_FEATURES + SELECTION_FEATURES
# Is the document a metadata question names among the retrieved ones: how well the best passages match it (chosen
# on dev from the query features: these four carry the signal, AUC 0.88-1.00; the rest 0.50).
PRESENCE_FEATURES = ("top_dense", "top_lexical", "cov_own_top", "cov_own_passages")
GUARD_REASONS = {"crime": "harmful", "legal": "legal", "injection": "injection"}
_WHO = {"author": "publisher", "publisher": "author"}  # the two answers to "wie heeft … geschreven/gepubliceerd"
MAX_UNITS = 5  # evidence units an answer selects at most (chosen on dev: key-fact recall 0.77 at 4, 0.81 at 5)


class LinearModel:
    """A standardised logistic-regression model (binary or multinomial) evaluated with numpy."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.features: list[str] = spec.get("features", [])
        self.classes: list[str] = spec["classes"]
        self.mean = np.asarray(spec["mean"], dtype=np.float32)
        self.scale = np.asarray(spec["scale"], dtype=np.float32)
        self.coef = np.atleast_2d(np.asarray(spec["coef"], dtype=np.float32))
        self.intercept = np.atleast_1d(np.asarray(spec["intercept"], dtype=np.float32))
        self.threshold: float = float(spec.get("threshold", 0.5))

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities for rows of x (columns in `features` order)."""
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.coef.T + self.intercept
        if len(self.classes) == 2 and z.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.stack([1 - p, p], axis=1)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def vector(self, features: dict[str, float]) -> np.ndarray:
        return np.asarray([features.get(name, 0.0) for name in self.features], dtype=np.float32)


class TreeModel:
    """Binary gradient-boosted regression trees (scikit-learn's GradientBoostingClassifier, exported as arrays),
    evaluated with numpy: every tree walks its depth at once, so a row costs a few array operations."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.features: list[str] = spec["features"]
        self.classes: list[str] = spec["classes"]
        self.threshold: float = float(spec.get("threshold", 0.5))
        self.init, self.rate = float(spec["init"]), float(spec["learning_rate"])
        trees = spec["trees"]
        width = max(len(t["value"]) for t in trees)

        def pad(key: str, fill: float) -> np.ndarray:  # a leaf's threshold is stored as null
            return np.asarray([[fill if v is None else v for v in t[key]] + [fill] * (width - len(t[key]))
                               for t in trees], dtype=np.float64)

        # A leaf points to itself on both sides with a threshold of +inf, so a fixed number of steps suffices.
        self.left, self.right = pad("left", 0).astype(np.int64), pad("right", 0).astype(np.int64)
        self.feature = pad("feature", 0).astype(np.int64)
        self.cut = pad("threshold", np.inf)
        self.value = pad("value", 0.0)
        self.depth = int(spec["depth"])

    def proba(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        rows, trees = np.arange(len(x))[:, None], np.arange(len(self.value))[None, :]
        node = np.zeros((len(x), len(self.value)), dtype=np.int64)
        for _ in range(self.depth):
            go_left = x[rows, self.feature[trees, node]] <= self.cut[trees, node]
            node = np.where(go_left, self.left[trees, node], self.right[trees, node])
        raw = self.init + self.rate * self.value[trees, node].sum(axis=1)
        p = 1.0 / (1.0 + np.exp(-raw))
        return np.stack([1 - p, p], axis=1)

    def vector(self, features: dict[str, float]) -> np.ndarray:
        return np.asarray([features.get(name, 0.0) for name in self.features], dtype=np.float64)


class BlendModel:
    """The weighted mean of several models' probabilities over the same features (the decision: a logistic model,
    which extrapolates smoothly to corpora unlike the training data, and trees, which read interactions)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.parts = [model_from_spec(part) for part in spec["parts"]]
        self.weights = np.asarray(spec["weights"], dtype=np.float64) / np.sum(spec["weights"])
        self.features: list[str] = spec["features"]
        self.classes: list[str] = spec["classes"]
        self.threshold: float = float(spec.get("threshold", 0.5))
        if any(part.features != self.features for part in self.parts):
            raise ValueError("the parts of a blend must read the same features")

    def proba(self, x: np.ndarray) -> np.ndarray:
        return sum(w * part.proba(x) for w, part in zip(self.weights, self.parts))

    def vector(self, features: dict[str, float]) -> np.ndarray:
        return np.asarray([features.get(name, 0.0) for name in self.features], dtype=np.float64)


def model_from_spec(spec: dict[str, Any]) -> "LinearModel | TreeModel | BlendModel":
    kind = spec.get("kind")
    return TreeModel(spec) if kind == "trees" else BlendModel(spec) if kind == "blend" else LinearModel(spec)


@dataclass(frozen=True)
class Models:
    guardrail: LinearModel | None
    intent: LinearModel | None
    selection: LinearModel | None
    decision: "LinearModel | TreeModel | BlendModel | None"
    presence: LinearModel | None = None  # is the document a metadata question names among the sources
    settings: dict[str, Any] = field(default_factory=dict)  # thresholds chosen on dev

    @classmethod
    def load(cls, folder: Path | None = None) -> "Models":
        return _load(str(folder or MODELS_DIR))

    def describe(self) -> dict[str, Any]:
        """Which models are loaded, with their thresholds (for reports)."""
        return {name: (None if m is None else {"threshold": m.threshold, "features": len(m.features)})
                for name, m in (("guardrail", self.guardrail), ("intent", self.intent), ("presence", self.presence),
                                ("selection", self.selection), ("decision", self.decision))} | {
            "settings": self.settings}


@lru_cache(maxsize=8)
def _load(folder: str) -> Models:
    def read(name: str) -> "LinearModel | TreeModel | BlendModel | None":
        path = Path(folder) / f"{name}.json"
        return model_from_spec(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None

    settings_path = Path(folder) / "settings.json"
    settings = json.loads(settings_path.read_text(encoding="utf-8")) if settings_path.is_file() else {}
    return Models(read("guardrail"), read("intent"), read("selection"), read("decision"), presence=read("presence"),
                  settings=settings)


@dataclass(frozen=True)
class Decision:
    """Answer or refuse, why, how sure, and with which units."""

    answerable: bool
    confidence: float
    reason: str  # answered | metadata | harmful | legal | injection | metadata_missing | not_in_sources | no_passages
    units: tuple[Unit, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    meta_field: str | None = None  # for metadata answers and refusals
    document_id: str | None = None


def _likeliest_other(model: LinearModel, vector: np.ndarray, reference: str) -> tuple[str, float]:
    """The likeliest class other than `reference`, and 1 - P(reference) (what the thresholds are chosen on)."""
    p = model.proba(vector)[0]
    ref = model.classes.index(reference)
    best = int(np.argmax(np.where(np.arange(len(p)) == ref, -1.0, p)))
    return model.classes[best], 1.0 - float(p[ref])


def guard(vector: np.ndarray | None, models: Models, text: str = "") -> tuple[str | None, float]:
    """The guardrail class of a question ("crime", "legal", "injection") when above its threshold, else None.
    A model fitted with `hash_dims` reads the question's hashed words too ("heb ik recht op" against "moet ik")."""
    model = models.guardrail
    dims = int(model.spec.get("hash_dims", 0)) if model is not None else 0
    if model is None or vector is None or vector.shape[-1] + dims != len(model.mean):  # another embedder
        return None, 0.0
    kind, harmful = _likeliest_other(model, intent_input(vector, text, dims), "benign")
    return (kind, harmful) if harmful >= model.threshold else (None, harmful)


def hashed_words(text: str, dims: int) -> np.ndarray:
    """The question's words and word pairs, hashed into `dims` binary columns: what the question's wording says
    ("schreef", "voor het laatst gewijzigd", "webpagina"), next to the sentence vector that mostly says its
    topic. Fitted weights, no word list."""
    vector = np.zeros(dims, dtype=np.float32)
    tokens = tokenize(text)
    for gram in tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]:
        vector[int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(), "little") % dims] = 1.0
    return vector


def intent_input(vector: np.ndarray, text: str, dims: int) -> np.ndarray:
    return np.concatenate([vector, hashed_words(text, dims)]) if dims else vector


def intent(vector: np.ndarray | None, models: Models, text: str = "") -> tuple[str | None, float]:
    """The metadata field a question asks for ("author", "date", …), or None for a content question.

    The threshold applies to 1 - P(none), as it was chosen; the field is then the likeliest of the others."""
    model = models.intent
    dims = int(model.spec.get("hash_dims", 0)) if model is not None else 0
    if model is None or vector is None or vector.shape[-1] + dims != len(model.mean):
        return None, 0.0
    name, asks = _likeliest_other(model, intent_input(vector, text, dims), "none")
    return (name, asks) if asks >= model.threshold else (None, 1.0 - asks)


def document_present(evidence: Evidence, models: Models) -> float | None:
    """The probability that the best-ranked document is the one a metadata question names (the fitted presence
    model), or None when the check does not apply: no model, or a corpus smaller than the smallest the model was
    fitted on. There BM25 scores carry little (a term in 1 of 2 documents has idf ~0), and a corpus of one
    document is the one in focus ("Wie schreef deze blog?")."""
    model = models.presence
    if model is None or len(evidence.documents) < max(2, int(model.spec.get("min_documents", 2))):
        return None
    return float(model.proba(model.vector(evidence.features))[0, 1])


def score_units(evidence: Evidence, models: Models) -> None:
    """Set each unit's selection probability."""
    model = models.selection
    if not evidence.units:
        return
    if model is None:  # unfitted: dense similarity alone
        for u in evidence.units:
            u.score = u.features["dense"]
        return
    probs = model.proba(np.stack([model.vector(u.features) for u in evidence.units]))[:, 1]
    for u, p in zip(evidence.units, probs):
        u.score = float(p)


def select(evidence: Evidence, models: Models, max_units: int = MAX_UNITS) -> list[Unit]:
    """The best units above the dev-chosen floor, without near-repeats; questions and empty units never."""
    floor = float(models.settings.get("select_min", 0.2))
    relative = float(models.settings.get("select_relative", 0.5))
    ranked = sorted((u for u in evidence.units if not u.features.get("ends_question")), key=lambda u: -u.score)
    chosen: list[Unit] = []
    for u in ranked:
        if len(chosen) >= max_units or u.score < floor or (chosen and u.score < relative * chosen[0].score):
            break
        if any(jaccard(u.terms, c.terms) > 0.6 for c in chosen):
            continue
        chosen.append(u)
    return chosen


def selection_and_features(evidence: Evidence, models: Models, max_units: int = MAX_UNITS
                           ) -> tuple[list[Unit], dict[str, float]]:
    """Score and select the units; the decision features are the query's plus those of the selection."""
    score_units(evidence, models)
    chosen = select(evidence, models, max_units)
    return chosen, {**evidence.features, **selection_features(evidence, chosen)}


def decide(evidence: Evidence, models: Models, *, max_units: int = MAX_UNITS, refuse: bool = True) -> Decision:
    """Whether the evidence answers the query, with the units to answer from."""
    query = evidence.query
    kind, p_harm = guard(query.own_vector, models, query.text)
    if kind is not None and refuse:
        return Decision(False, round(p_harm, 3), GUARD_REASONS[kind])
    if not evidence.passages:
        return Decision(False, 0.0, "no_passages")
    name, p_field = intent(query.own_vector, models, query.text)
    if name is not None:
        name, _, asked_too = name.partition("+")  # "author+date": both asked
        doc_units = [u for u in evidence.meta_units if u.meta_field == name]
        p_named = document_present(evidence, models) if doc_units and refuse else None
        if p_named is not None and p_named < models.presence.threshold:
            # "Wie schreef het rapport over X?" where no document is about X: another document's author is no
            # answer. Refused, not passed on to the content decision: on the dev sets that answered one such
            # question with content sentences and rescued no content question the intent model had misread.
            return Decision(False, round(1.0 - p_named, 3), "not_in_sources", meta_field=name)
        if doc_units:
            unit = doc_units[0]  # the document the question is about: the best-ranked one
            # "Wie heeft … gepubliceerd?" may mean the writer or the organisation: a stated one answers for the
            # other, and when both are stated the answer gives both. A class "a+b" asks both fields.
            second = asked_too or _WHO.get(name)
            other = next((u for u in evidence.meta_units if u.document_id == unit.document_id and u.value
                          and u.meta_field == second), None)
            if unit.value is None and other is not None:
                unit, other, name = other, None, other.meta_field
            if unit.value is None:
                return Decision(not refuse, round(p_field, 3), "metadata_missing", meta_field=name,
                                document_id=unit.document_id)
            return Decision(True, round(p_field, 3), "metadata", units=(unit, other) if other else (unit,),
                            meta_field=name, document_id=unit.document_id)
    chosen, features = selection_and_features(evidence, models, max_units)
    if not chosen and not refuse:  # "always answer": the best units, whatever their score
        chosen = sorted(evidence.units, key=lambda u: -u.score)[:1]
    if not chosen:
        return Decision(False, 0.0, "no_passages", features=features)
    if models.decision is None:
        p = features["top_unit_dense"]
        threshold = float(models.settings.get("similarity_threshold", 0.85))
    else:
        p = float(models.decision.proba(models.decision.vector(features))[0, 1])
        threshold = models.decision.threshold
    answerable = p >= threshold or not refuse
    # Confidence is the calibrated probability that the decision taken is right.
    return Decision(answerable, round(p if answerable else 1.0 - p, 3),
                    "answered" if answerable else "not_in_sources", units=tuple(chosen), features=features)
