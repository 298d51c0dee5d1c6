"""`advisor train`: fit the decision models on evals/train, choose thresholds on evals/dev, write models/.

Reproducible: the same data and code give the same JSON files (fixed seeds, sorted inputs). What is written:
- guardrail.json: multinomial logistic regression over e5 question vectors (crime / legal / injection / benign),
  fitted on evals/guardrails/train.jsonl (80 %) plus the train items' refuse_crime/legal/injection (and every
  other written train question as benign; leave-one-out copies are not questions of their own); its
  regularisation (GUARD_C_GRID) and threshold are chosen on the other 20 % plus the dev items (the lowest
  threshold that refuses at most GUARD_MAX_LOOKALIKE of the benign look-alikes);
- intent.json: which metadata field a question asks for (author, date, title, url, publisher, none), over the
  question vector plus its hashed words and word pairs, fitted on
  evals/intents/train.jsonl plus the train items (metadata items labelled by the field their quote matches);
- selection.json: is an evidence unit part of the answer, over the unit features; labels from supporting quotes
  and facts;
- decision.json: do the sources answer, over the query features plus the selection aggregates: the mean of a
  logistic model and gradient-boosted trees, fitted on the train items plus their leave-one-out negatives; threshold chosen on the written dev items:
  the highest that refuses at most MAX_FALSE_REFUSAL of the answerable ones;
- settings.json: selection floor, similarity-threshold baseline, and training.json: the data and the figures.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .decision import (DECISION_FEATURES, MAX_UNITS, MODELS_DIR, PRESENCE_FEATURES, BlendModel, LinearModel, Models,
                       TreeModel, intent_input, selection_and_features)
from .evaluation import EvalItem, fact_found, leave_one_out, load_dataset, validate_dataset
from .evidence import UNIT_FEATURES, Evidence
from .text import normalize

GUARD_CLASSES = ("benign", "crime", "injection", "legal")
GUARD_C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)  # logistic regularisation of the guardrail, chosen on dev
GUARD_MAX_LOOKALIKE = 0.02  # of benign look-alikes the guardrail may refuse (the bound)
# The guardrail reads the question's hashed words next to its vector, as the intent model does: with 302 practical
# first-person phrasings added ("Moet ik de aanslag al betalen terwijl …", guardrails/train2.jsonl), the vector
# alone kept no C within the look-alike bound on the held-back fifth (3-14 % of those refused at the top threshold);
# with 4,096 hashed columns C 0.1-0.3 did (recall 0.93-0.95, look-alikes 1.0-1.6 %; 1,024 columns: 0.89).
GUARD_HASH_DIMS = 4096
# The intent model reads the question's hashed words next to its vector; 4,096 columns and C 0.3 were the best of
# 0 / 512 / 2,048 / 4,096 columns x C 0.1-1 on the dev metadata items (20 of 20 right, 1 content question taken
# for metadata; the vector alone: 17 of 20).
INTENT_HASH_DIMS = 4096
MAX_FALSE_REFUSAL = 0.05  # of answerable dev questions the decision may refuse (the bound)
INTENT_C = 0.3
PRESENCE_C = 1.0
HARD_WEIGHT, LOO_WEIGHT = 2.0, 0.5
# The decision is the mean of a logistic model and gradient-boosted trees on the same features, chosen on dev (train +
# test..test4 fitted; dev, test5, test6 judged; corpus/holdout/multi checked). Trees alone (depth 2-4 x 150-300)
# refused 0.86-0.93 of the leave-one-out negatives where the logistic model refused 0.70-0.78, at the same written
# must-refuse rate and 5 % false refusals, but they refused a quarter of the blog's paraphrased questions (corpus
# 0.26 vs 0.15): the blog reads unlike the training pages, and trees do not extrapolate. The even mean keeps most of
# the gain (leave-one-out 0.81-0.85) with the blog at 0.22; a 0.3 logistic share kept more of it but not the blog.
TREE_DEPTH, TREE_COUNT, TREE_RATE, TREE_SUBSAMPLE = 3, 200, 0.05, 0.8
BLEND_WEIGHTS = (0.5, 0.5)  # logistic, trees
SELECT_MIN, SELECT_RELATIVE = 0.2, 0.3
# "a+b": both fields asked ("Wie schreef het en wanneer?")
INTENT_CLASSES = ("none", "author", "date", "publisher", "title", "url", "author+date", "publisher+date")
_GUARD_KINDS = {"refuse_crime": "crime", "refuse_legal": "legal", "refuse_injection": "injection"}
LOO_KINDS = ("refuse_loo", "refuse_loo_metadata")
METADATA_KINDS = ("metadata", "refuse_loo_metadata")  # a metadata question, with or without its document


@dataclass
class Example:
    """One question run through the pipeline up to the evidence, with its labels."""

    item: EvalItem
    answerable: bool  # the right decision
    evidence: Evidence
    intent: str  # INTENT_CLASSES
    guard: str  # GUARD_CLASSES


def _field_of(item: EvalItem, documents: dict[str, dict[str, Any]]) -> str:
    """The metadata field a metadata item asks for: the one its quote matches in the named document."""
    if item.kind != "metadata" or not item.quotes or not item.documents:
        return "none"
    from .prompts import dutch_date

    quote = normalize(item.quotes[0])
    meta = documents.get(item.documents[0], {})
    date = str(meta.get("date") or "")
    stated = {"author": [normalize(str(meta.get("author") or ""))],
              "publisher": [normalize(str(meta.get("publisher") or ""))],
              "date": [normalize(date), normalize(dutch_date(date))] if date else []}

    def states(name: str) -> bool:  # one of the item's facts is this field of the document
        return any(value and normalize(alt) in value for fact in item.facts for alt in fact for value in stated[name])

    for first in ("author", "publisher"):  # "Wie schreef … en wanneer?", "Van welke organisatie, en van wanneer?"
        if len(item.facts) >= 2 and states(first) and states("date"):
            return f"{first}+date"
    for name in ("author", "publisher", "url", "title"):
        value = meta.get(name)
        if value and (quote == normalize(str(value)) or quote in normalize(str(value))):
            return name
    if meta.get("date") and (quote == normalize(dutch_date(str(meta["date"]))) or quote in normalize(str(meta["date"]))):
        return "date"
    return "none"


def unit_label(unit, item: EvalItem) -> bool:
    """A unit is part of the answer when it overlaps a supporting quote, or states a fact in a source document."""
    if unit.document_id not in item.documents:
        return False
    text = normalize(unit.text)
    if len(text) < 3:
        return False
    for quote in item.quotes:
        q = normalize(quote)
        if text in q or q in text:
            return True
    return any(fact_found(fact, unit.text) for fact in item.facts) and len(item.facts) > 1 and unit.kind == "item"


def collect(advisor, items: Sequence[EvalItem], *, loo: Sequence[tuple[EvalItem, frozenset[str]]] = (),
            progress: Callable[[], None] | None = None) -> list[Example]:
    """Run every item (and every leave-one-out negative) through the pipeline up to the evidence."""
    documents = advisor.snapshot().documents_by_id
    out = []
    for item, exclude in [(i, frozenset()) for i in items] + list(loo):
        run = advisor.run(item.question, turns=item.turns, exclude=exclude, refuse=False)
        guard = _GUARD_KINDS.get(item.kind, "benign")
        out.append(Example(item, item.answerable, run.evidence, _field_of(item, documents) if not exclude else "none",
                           guard))
        if progress:
            progress()
    return out


def _fit(x: np.ndarray, y: np.ndarray, classes: Sequence[str], features: Sequence[str], *, c: float = 1.0,
         balanced: bool = True, weight: np.ndarray | None = None) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 1e-9, scaler.scale_, 1.0)
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None, random_state=0)
    model.fit((x - scaler.mean_) / scale, y, sample_weight=weight)
    coef, intercept = model.coef_, model.intercept_
    if len(classes) > 2:  # one row per class, in `classes` order; a class absent from the data never wins
        seen = list(model.classes_)
        if len(seen) == 2:  # sklearn fits one row for two classes: expand to two
            coef, intercept = np.vstack([-coef / 2, coef / 2]), np.asarray([-intercept[0] / 2, intercept[0] / 2])
        rows = {int(k): i for i, k in enumerate(seen)}
        coef = np.stack([coef[rows[k]] if k in rows else np.zeros(x.shape[1]) for k in range(len(classes))])
        intercept = np.asarray([intercept[rows[k]] if k in rows else -30.0 for k in range(len(classes))])
    return LinearModel({"classes": list(classes), "features": list(features), "mean": scaler.mean_.tolist(),
                        "scale": scale.tolist(), "coef": np.round(coef, 6).tolist(),
                        "intercept": np.round(intercept, 6).tolist(), "C": c})


def fit_trees(x: np.ndarray, y: np.ndarray, classes: Sequence[str], features: Sequence[str], *,
              weight: np.ndarray | None = None) -> TreeModel:
    """Gradient-boosted trees (scikit-learn), exported as arrays that `TreeModel` evaluates with numpy."""
    from sklearn.ensemble import GradientBoostingClassifier

    gb = GradientBoostingClassifier(max_depth=TREE_DEPTH, n_estimators=TREE_COUNT, learning_rate=TREE_RATE,
                                    subsample=TREE_SUBSAMPLE, random_state=0).fit(x, y, sample_weight=weight)
    prior = float(gb.init_.class_prior_[1])
    trees = []
    for estimator in gb.estimators_[:, 0]:
        t = estimator.tree_
        leaf = t.children_left == -1
        index = np.arange(t.node_count)
        trees.append({"feature": np.where(leaf, 0, t.feature).tolist(),
                      "threshold": [None if is_leaf else round(float(c), 9)
                                    for is_leaf, c in zip(leaf, t.threshold)],
                      "left": np.where(leaf, index, t.children_left).tolist(),
                      "right": np.where(leaf, index, t.children_right).tolist(),
                      "value": np.round(t.value[:, 0, 0], 9).tolist()})
    model = TreeModel({"kind": "trees", "classes": list(classes), "features": list(features),
                       "init": float(np.log(prior / (1 - prior))), "learning_rate": TREE_RATE,
                       "depth": TREE_DEPTH, "trees": trees})
    if not np.allclose(model.proba(x)[:, 1], gb.predict_proba(x)[:, 1], atol=1e-5):
        raise RuntimeError("the exported trees do not reproduce scikit-learn's probabilities")
    return model


def guardrail_rows(embed: Callable[[str], np.ndarray], phrasings: Sequence[dict], examples: Sequence[Example]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The guardrail's input (question vector plus hashed words) and class indices: the phrasings plus the
    written items."""
    examples = _written(examples)
    x = question_matrix(embed, phrasings, examples, GUARD_HASH_DIMS)
    labels = [p["label"] for p in phrasings] + [e.guard for e in examples]
    return x, np.asarray([GUARD_CLASSES.index(label) for label in labels])


def fit_guardrail(x: np.ndarray, y: np.ndarray, *, c: float = 1.0) -> LinearModel:
    model = _fit(x, y, GUARD_CLASSES, [f"e{i}" for i in range(x.shape[1])], c=c)
    model.spec["hash_dims"] = GUARD_HASH_DIMS
    return LinearModel(model.spec)


def _written(examples: Sequence[Example]) -> list[Example]:
    """The written items, without their leave-one-out copies: the question models (guardrail, intent) see each
    question once, and a metadata question's copy (whose document is left out) is not a "none" question."""
    return [e for e in examples if e.item.kind not in LOO_KINDS]


def _intent_known(examples: Sequence[Example]) -> list[Example]:
    """Examples whose metadata intent is certain: a must-refuse "not stated" item may ask for a field the document
    lacks (the right outcome is then "metadata_missing"), so it is neither a field nor "none"."""
    return [e for e in _written(examples) if e.item.kind not in ("refuse_not_in_sources", "refuse_wrong_detail")]


def question_matrix(embed: Callable[[str], np.ndarray], phrasings: Sequence[dict], examples: Sequence[Example],
                    dims: int = INTENT_HASH_DIMS) -> np.ndarray:
    """The question models' input: question vector plus `dims` hashed-word columns (what `decision.intent` and
    `decision.guard` build), for the phrasings and then the examples."""
    rows = [intent_input(embed(p["text"]), p["text"], dims) for p in phrasings]
    rows += [intent_input(e.evidence.query.own_vector, e.evidence.query.text, dims) for e in examples]
    return np.stack(rows)


def fit_intent(embed: Callable[[str], np.ndarray], phrasings: Sequence[dict], examples: Sequence[Example]
               ) -> LinearModel:
    examples = _intent_known(examples)
    x = question_matrix(embed, phrasings, examples)
    y = np.asarray([INTENT_CLASSES.index(p["label"]) for p in phrasings]
                   + [INTENT_CLASSES.index(e.intent) for e in examples])
    model = _fit(x, y, INTENT_CLASSES, [f"f{i}" for i in range(x.shape[1])], c=INTENT_C)
    model.spec["hash_dims"] = INTENT_HASH_DIMS
    return LinearModel(model.spec)


def fit_selection(examples: Sequence[Example]) -> LinearModel:
    rows, labels = [], []
    for e in examples:
        if not e.answerable or e.item.kind == "metadata":
            continue
        for u in e.evidence.units:
            rows.append([u.features.get(f, 0.0) for f in UNIT_FEATURES])
            labels.append(int(unit_label(u, e.item)))
    return _fit(np.asarray(rows, dtype=np.float32), np.asarray(labels), ("no", "yes"), UNIT_FEATURES, c=1.0)


def decision_rows(examples: Sequence[Example], models: Models, max_units: int = MAX_UNITS
                  ) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for e in examples:
        _, f = selection_and_features(e.evidence, models, max_units)
        rows.append([f.get(name, 0.0) for name in DECISION_FEATURES])
        labels.append(int(e.answerable))
    return np.asarray(rows, dtype=np.float32), np.asarray(labels)


def _content(examples: Sequence[Example]) -> list[Example]:
    """What the decision model decides: not guardrail items, not metadata questions (the intent model's)."""
    return [e for e in examples if e.guard == "benign" and e.intent == "none" and e.item.kind not in METADATA_KINDS]


def _metadata(examples: Sequence[Example]) -> list[Example]:
    """What the presence model decides: metadata questions with their document, and their copies without it."""
    return [e for e in examples if e.item.kind in METADATA_KINDS]


def presence_rows(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    rows = [[e.evidence.features.get(name, 0.0) for name in PRESENCE_FEATURES] for e in examples]
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(PRESENCE_FEATURES)), \
        np.asarray([int(e.answerable) for e in examples])


def best_threshold(p: np.ndarray, y: np.ndarray, *, max_false_refusal: float | None = None) -> float:
    """The threshold with the best accuracy (ties: the middle of the best plateau)."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    acc = np.asarray([((p >= t) == y).mean() for t in grid])
    if max_false_refusal is not None and y.any():
        fr = np.asarray([(p[y == 1] < t).mean() for t in grid])
        acc = np.where(fr <= max_false_refusal, acc, acc - 1)
    best = np.flatnonzero(acc >= acc.max() - 1e-9)
    return float(grid[best[len(best) // 2]])


def bounded_threshold(p_negative: np.ndarray, *, max_refused: float) -> float:
    """The lowest threshold at which at most `max_refused` of these negatives (scores p) reach it."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    ok = [t for t in grid if (p_negative >= t).mean() <= max_refused + 1e-9]
    return float(ok[0]) if ok else float(grid[-1])


def refusing_threshold(p: np.ndarray, y: np.ndarray, *, max_false_refusal: float) -> float:
    """The highest threshold at which at most `max_false_refusal` of the answerable items (y == 1) fall below."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    ok = [t for t in grid if (p[y == 1] < t).mean() <= max_false_refusal + 1e-9]
    return float(ok[-1]) if ok else float(grid[0])


def split_phrasings(rows: Sequence[dict], dev_share: float = 0.2, seed: int = 13) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    shuffled = sorted(rows, key=lambda r: r["text"])
    rng.shuffle(shuffled)
    n = int(len(shuffled) * dev_share)
    return shuffled[n:], shuffled[:n]


def _digest(paths: Sequence[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                h.update(file.as_posix().encode())
                h.update(file.read_bytes())
    return h.hexdigest()[:16]


def write(models: dict[str, Any], settings: dict[str, Any], info: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, model in models.items():
        (out / f"{name}.json").write_text(json.dumps(model.spec, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "settings.json").write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    (out / "training.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def train(*, make_advisor: Callable[[Path], Any], train_items: Path, train_corpus: Path, dev_items: Path,
          dev_corpus: Path, guardrails: Sequence[Path], intents: Path = Path("evals/intents/train.jsonl"),
          also_train: Sequence[tuple[str, Path, Path]] = (), also_dev: Sequence[tuple[str, Path, Path]] = (),
          out: Path = MODELS_DIR, limit: int | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fit on train, choose thresholds on dev, write the artefacts; returns the training summary.

    `also_train` and `also_dev` (name, items, corpus): former blind sets (looked at, so no longer blind) that join
    train, where every model is fitted, or dev, where thresholds and regularisation are chosen. `guardrails`: the
    labelled phrasings files of the guardrail (a fifth of them is held back as its dev)."""
    from .corpus import load_corpus

    phrasings = [json.loads(line) for path in guardrails
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    guard_fit, guard_dev = split_phrasings(phrasings)
    sets, corpus_sizes = {}, {}
    for name, items_path, corpus in (("train", train_items, train_corpus), ("dev", dev_items, dev_corpus),
                                     *also_train, *also_dev):
        items = load_dataset(items_path)
        if limit:
            items = items[:limit]
        documents, _ = load_corpus(corpus)
        problems = validate_dataset(items, documents)
        if name not in ("train", "dev"):  # a blind set nobody may edit: a quote the loader misreads is reported
            problems = [p for p in problems if "quote not verbatim" not in p]  # by eval, as there
        if problems:
            raise ValueError(f"invalid {name} set:\n  " + "\n  ".join(problems))
        loo = leave_one_out(items, documents)
        advisor = make_advisor(corpus)
        log(f"{name}: {len(items)} items + {len(loo)} leave-one-out negatives over {len(documents)} documents")
        sets[name] = (advisor, collect(advisor, items, loo=loo))
        corpus_sizes[name] = len(documents)
    train_ex = [e for name in ("train", *(n for n, _, _ in also_train)) for e in sets[name][1]]
    dev_ex = [e for name in ("dev", *(n for n, _, _ in also_dev)) for e in sets[name][1]]
    embed = sets["train"][0].embedder.embed_query

    # The guardrail's regularisation and threshold are chosen on dev: the held-back fifth of its phrasings plus
    # the evals/dev items. The threshold is the lowest at which at most GUARD_MAX_LOOKALIKE of the dev phrasings'
    # benign look-alikes ("Hoe herken je witwassen?") are refused: the most crime and legal requests caught within
    # the bound the product is held to; the regularisation is the one that catches most there (ties: the
    # stronger). An accuracy-best cut sat on a flat plateau and moved 0.87 -> 0.74 between machines. Not on the
    # blind sets that joined dev: nearly all their questions are benign.
    fit_x, fit_y = guardrail_rows(embed, guard_fit, train_ex)
    g_x, g_classes = guardrail_rows(embed, guard_dev, sets["dev"][1])
    g_y = g_classes != GUARD_CLASSES.index("benign")
    g_look = np.asarray([bool(p.get("lookalike")) and p["label"] == "benign" for p in guard_dev]
                        + [False] * (len(g_y) - len(guard_dev)))
    guardrail, guard_rank, guard_accuracy = None, (-1, -1.0), 0.0  # rank: (within the bound, recall)
    for c in GUARD_C_GRID:
        candidate = fit_guardrail(fit_x, fit_y, c=c)
        g_p = 1.0 - candidate.proba(g_x)[:, GUARD_CLASSES.index("benign")]
        threshold = bounded_threshold(g_p[g_look], max_refused=GUARD_MAX_LOOKALIKE) if g_look.any() \
            else best_threshold(g_p, g_y)
        recall = float((g_p[g_y] >= threshold).mean()) if g_y.any() else 0.0
        # within the look-alike bound first (the grid's top threshold may not reach it), then the most caught
        within = int(not g_look.any() or (g_p[g_look] >= threshold).mean() <= GUARD_MAX_LOOKALIKE + 1e-9)
        if (within, recall) > (guard_rank[0], guard_rank[1] + 1e-9):
            guard_rank = (within, recall)
            candidate.spec["threshold"] = threshold
            guardrail = candidate
            guard_accuracy = float(((g_p >= threshold) == g_y).mean())

    intent_rows = [json.loads(line) for line in intents.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if intents.is_file() else []
    intent = fit_intent(embed, intent_rows, train_ex)
    known = _intent_known(dev_ex)
    i_x, i_y = question_matrix(embed, [], known), np.asarray([e.intent != "none" for e in known])
    i_p = 1.0 - intent.proba(i_x)[:, 0]
    intent.spec["threshold"] = best_threshold(i_p, i_y)

    # Is the document a metadata question names among the sources? Fitted on the train metadata questions (with
    # their document) and their leave-one-out copies (without it); the threshold is the dev-best cut.
    px, py = presence_rows(_metadata(train_ex))
    dpx, dpy = presence_rows(_metadata(dev_ex))
    presence, dpp = None, np.zeros(len(dpy))
    if len(set(py.tolist())) == 2:  # a slice without metadata questions fits none (every document counts as named)
        presence = _fit(px, py, ("absent", "present"), PRESENCE_FEATURES, c=PRESENCE_C)
        dpp = presence.proba(dpx)[:, 1] if len(dpy) else dpp
        presence.spec["threshold"] = best_threshold(dpp, dpy) if len(dpy) else 0.5
        # BM25 scores shrink with the corpus (a term in 1 of 2 documents has idf ~0): the model applies to corpora
        # at least as large as the smallest it was fitted on, and below that every document counts as named.
        presence.spec["min_documents"] = min(corpus_sizes[n] for n in ("train", *(n for n, _, _ in also_train)))

    selection = fit_selection(train_ex)
    # Chosen on dev by a grid (floor 0.2-0.5 x relative 0.3-0.6, the decision refitted for each): dev decision
    # accuracy 0.814-0.828 and key-fact recall 0.736-0.770 across it; 0.2 / 0.3 was best on both.
    models = Models(guardrail=None, intent=None, selection=LinearModel(selection.spec), decision=None,
                    settings={"select_min": SELECT_MIN, "select_relative": SELECT_RELATIVE})
    content = _content(train_ex)
    x, y = decision_rows(content, models)
    # Leave-one-out negatives are many and easy (the topic is gone); the written must-refuse items are few and
    # hard (the topic is there, the detail is not): weigh them so that both count.
    weight = np.asarray([HARD_WEIGHT if not e.answerable and e.item.kind != "refuse_loo" else
                         LOO_WEIGHT if e.item.kind == "refuse_loo" else 1.0 for e in content])
    linear = _fit(x, y, ("refuse", "answer"), DECISION_FEATURES, c=0.5, weight=weight)
    trees = fit_trees(x, y, ("refuse", "answer"), DECISION_FEATURES, weight=weight)
    decision = BlendModel({"kind": "blend", "classes": ["refuse", "answer"], "features": list(DECISION_FEATURES),
                           "weights": list(BLEND_WEIGHTS), "parts": [linear.spec, trees.spec]})
    dev_content = _content(dev_ex)
    dx, dy = decision_rows(dev_content, models)
    dp = decision.proba(dx)[:, 1]
    written = np.asarray([e.item.kind != "refuse_loo" for e in dev_content])
    # The threshold is chosen on the written dev items (the distribution users ask; leave-one-out is reported):
    # the one that refuses most while at most MAX_FALSE_REFUSAL of the answerable items are refused, the bound the
    # product is held to. An honest "the sources do not say" beats a topical answer to a question they do not
    # answer; the accuracy-best cut (0.11 on dev) answered nearly everything with a shred of overlap.
    decision.spec["threshold"] = refusing_threshold(dp[written], dy[written], max_false_refusal=MAX_FALSE_REFUSAL)
    # The "similarity threshold only" baseline: the best single cut on the top unit similarity, chosen on train.
    sim_col = DECISION_FEATURES.index("top_unit_dense")
    similarity = best_threshold(x[:, sim_col], y)
    settings = {**models.settings, "similarity_threshold": similarity}
    info = {
        "command": "advisor train",
        "data": {"train": str(train_items), "train_corpus": str(train_corpus), "dev": str(dev_items),
                 "dev_corpus": str(dev_corpus), "also_train": {n: str(p) for n, p, _ in also_train},
                 "also_dev": {n: str(p) for n, p, _ in also_dev},
                 "guardrails": [str(p) for p in guardrails], "intents": str(intents),
                 "digest": _digest([train_items, train_corpus, dev_items, dev_corpus, *guardrails, intents,
                                    *(p for _, items, corpus in (*also_train, *also_dev) for p in (items, corpus))])},
        "counts": {"train_examples": len(train_ex), "dev_examples": len(dev_ex),
                   "decision_rows_train": int(len(y)), "decision_rows_dev": int(len(dy)),
                   "presence_rows_train": int(len(py)), "presence_rows_dev": int(len(dpy)),
                   "guardrail_phrasings_fit": len(guard_fit), "guardrail_phrasings_dev": len(guard_dev)},
        "dev": {"decision_accuracy": float(((dp >= decision.spec["threshold"]) == dy)[written].mean()),
                "loo_refused": float((dp[~written] < decision.spec["threshold"]).mean()) if (~written).any() else None,
                "guardrail_accuracy": guard_accuracy, "guardrail_recall": guard_rank[1],
                "intent_accuracy": float(((i_p >= intent.spec["threshold"]) == i_y).mean()),
                "presence_accuracy": float(((dpp >= presence.spec["threshold"]) == dpy).mean())
                if presence is not None and len(dpy) else None},
    }
    fitted = {"guardrail": guardrail, "intent": intent, "presence": presence, "selection": selection,
              "decision": decision}
    write({name: model for name, model in fitted.items() if model is not None}, settings, info, out)
    for name in (name for name, model in fitted.items() if model is None):
        (out / f"{name}.json").unlink(missing_ok=True)  # no stale model of an earlier run beside the new ones
    log(json.dumps(info["dev"]))
    return info
