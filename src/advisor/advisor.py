"""The Advisor facade: wires the five steps (query -> retrieve -> evidence -> decide -> compose) and ingest.

The CLI, the API, eval, train and bench all go through `Advisor.run` / `ask` / `stream`, so they measure the same
pipeline a user meets.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from . import prompts
from .budget import Budget
from .compose import Composer, ExtractiveComposer
from .decision import Decision, Models, decide
from .embeddings import Embedder, fit_tokens, make_embedder
from .errors import ConfigurationError, IndexBrokenError, IndexNotReadyError, InvalidQuestionError
from .evidence import Evidence, build
from .ingest import INDEX_FORMAT, Progress, ingest
from .query import MAX_EMBED_TOKENS, Query, analyse, analysed_text
from .retrieval import HybridRetriever, IndexSnapshot
from .settings import AdvisorSettings, get_settings
from .store import VectorStore
from .types import Answer, IngestReport, Passage, Turn, content_hash

log = logging.getLogger("advisor")
_DELTAS = re.compile(r".+?(?:\] |\n\n|$)", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_question(question: str, turns: Sequence[Turn], settings: AdvisorSettings) -> str:
    """Reject unusable input with a Dutch message; returns the cleaned question."""
    if not isinstance(question, str):
        raise InvalidQuestionError(prompts.QUESTION_INVALID)
    if _CONTROL.search(question):
        raise InvalidQuestionError(prompts.QUESTION_INVALID)
    cleaned = " ".join(question.split())
    if not cleaned:
        raise InvalidQuestionError(prompts.EMPTY_QUESTION)
    limit = settings.answer.max_question_chars
    if len(cleaned) > limit:
        raise InvalidQuestionError(prompts.QUESTION_TOO_LONG.format(length=len(cleaned), limit=limit))
    if len(turns) > settings.answer.max_turns:
        raise InvalidQuestionError(prompts.TOO_MANY_TURNS.format(turns=len(turns), limit=settings.answer.max_turns))
    return cleaned


@dataclass
class Run:
    """Every hand-off of one question through the pipeline (eval and train read these)."""

    query: Query
    passages: list[Passage]
    evidence: Evidence
    decision: Decision
    answer: Answer


class Advisor:
    """Ingest documents and answer Dutch questions from them, with sources."""

    def __init__(self, settings: AdvisorSettings, *, embedder: Embedder | None = None,
                 store: VectorStore | None = None, composer: Composer | None = None,
                 models: Models | None = None, chat_model=None, version: str | None = None) -> None:
        self.settings = settings
        self._pinned = version  # answer from this (e.g. staged) version instead of the published one
        self._embedder = embedder
        self.store = store or VectorStore(settings.data_dir, settings.chroma_url)
        self._composer = composer
        self._models = models
        self._chat_model = chat_model  # a LangChain chat model; default: built from ADVISOR_LLM__* when needed
        self._llm_health = None
        self._snapshot: IndexSnapshot | None = None
        self._checked_at = 0.0
        self._fallback_for: str | None = None  # the damaged published version a fallback stands in for
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: AdvisorSettings | None = None, **overrides) -> "Advisor":
        return cls(settings or get_settings(), **overrides)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.settings.embedder, self.settings.embedding_model)
        return self._embedder

    @property
    def index_key(self) -> str:
        """What a published index must have been built with: the embedder and the index format."""
        return f"{self.embedder.name}|format{INDEX_FORMAT}"

    @property
    def models(self) -> Models:
        """The fitted decision models (guardrail, metadata intent, selection, decision)."""
        if self._models is None:
            self._models = Models.load(self.settings.models_dir)
        return self._models

    @property
    def llm_enabled(self) -> bool:
        """A chat model writes the answers (ADVISOR_LLM__PROVIDER is not none, or one was injected)."""
        return self._chat_model is not None or self.settings.llm.provider != "none"

    @property
    def chat_model(self):
        """The chat model (LangChain), built lazily: nothing of an LLM is imported on the default path."""
        if self._chat_model is None and self.settings.llm.provider != "none":
            from .llm import make_chat_model

            self._chat_model = make_chat_model(self.settings.llm)
        return self._chat_model

    @property
    def llm_health(self):
        """"ok" or "degraded" (recent failures of the model endpoint); None without a model."""
        if not self.llm_enabled:
            return None
        if self._llm_health is None:
            from .llm import ModelHealth

            self._llm_health = ModelHealth(self.settings.llm.degraded_seconds)
        return self._llm_health

    # -- ingest ---------------------------------------------------------------------------
    def ingest(self, path: Path | None = None, *, progress: Progress | None = None) -> IngestReport:
        """Index `path` (default: the corpus folder) incrementally and publish a new version atomically."""
        report = ingest(Path(path or self.settings.corpus_dir), settings=self.settings, store=self.store,
                        embedder=self.embedder, index_key=self.index_key, progress=progress)
        self._snapshot = None  # this process sees the new version on the next question
        return report

    def stage(self, path: Path | None = None, *, progress: Progress | None = None) -> IngestReport:
        """Build the next index version without publishing it (report.version; None when nothing changed)."""
        before = self.store.current()
        report = ingest(Path(path or self.settings.corpus_dir), settings=self.settings, store=self.store,
                        embedder=self.embedder, index_key=self.index_key, progress=progress, publish=False)
        if before is not None and report.version == before.version:
            report.version = None  # nothing to stage: the published version already is this corpus
        return report

    def pinned(self, version: str) -> "Advisor":
        """An advisor answering from `version` (published or only staged), sharing models and store."""
        return Advisor(self.settings, embedder=self.embedder, store=self.store, composer=self._composer,
                       models=self.models, version=version)

    # -- reading --------------------------------------------------------------------------
    def snapshot(self) -> IndexSnapshot:
        """The published index version, reloaded when another process publishes a new one."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked_at < self.settings.refresh_seconds:
            return snap
        with self._lock:
            if self._pinned is not None:
                if self._snapshot is None:
                    self._snapshot = IndexSnapshot.load(self.store, self._pinned, self.settings.retrieval)
                return self._snapshot
            self._checked_at = time.monotonic()
            try:
                pointer, broken = self.store.current(), False
            except IndexBrokenError:
                pointer, broken = None, True
            loaded = self._snapshot
            if loaded is not None and (broken or pointer is None or pointer.version in
                                       (loaded.version, self._fallback_for)):
                return loaded  # unchanged, or damaged since: keep answering from the healthy version in memory
            if pointer is None and not broken:
                raise IndexNotReadyError("no index version has been published; run `advisor ingest`")
            pointer, notes = self.store.healthy(self.index_key)  # the self-check: fall back when damaged
            for note in notes:
                log.warning("index: %s", note)
            if pointer is None:
                raise IndexBrokenError(f"geen bruikbare indexversie in {self.settings.data_dir}: "
                                       + "; ".join(notes))
            if pointer.embedder != self.index_key:
                raise ConfigurationError(
                    f"the index was built as {pointer.embedder}, but this advisor needs {self.index_key}: "
                    "run `advisor ingest`")
            self._fallback_for = None if not notes else (self._published_version() or "")
            if self._snapshot is None or self._snapshot.version != pointer.version:
                try:
                    self._snapshot = IndexSnapshot.load(self.store, pointer.version, self.settings.retrieval)
                except Exception as exc:  # noqa: BLE001 - damaged after the check: the same clear error
                    raise IndexBrokenError(f"indexversie {pointer.version} is niet te lezen ({exc}); draai "
                                           "`advisor ingest`") from exc
            return self._snapshot

    def _published_version(self) -> str | None:
        try:
            pointer = self.store.current()
        except IndexBrokenError:
            return None
        return pointer.version if pointer else None

    def refresh(self) -> None:
        """Check for a newly published version on the next question, whatever the refresh interval."""
        self._checked_at = 0.0
        self._snapshot = None

    def ready(self) -> bool:
        try:
            self.snapshot()
        except Exception:  # noqa: BLE001 - readiness is a yes/no
            return False
        return True

    def retrieve(self, query: str, *, top_n: int | None = None, retriever: HybridRetriever | None = None
                 ) -> list[Passage]:
        retriever = retriever or HybridRetriever(self.store, self.embedder, self.settings.retrieval)
        return retriever.retrieve(self.snapshot(), query, top_n=top_n)

    # -- the five steps -------------------------------------------------------------------
    def analyse(self, question: str, turns: Sequence[Turn] = (), snapshot: IndexSnapshot | None = None) -> Query:
        """Step 1: the question analysed once, with its vectors (the resolved text for retrieval)."""
        snapshot = snapshot or self.snapshot()
        rewritten = None
        if self.llm_enabled and self.settings.llm.rewrite_follow_ups and any(t.role == "user" for t in turns):
            from .llm import FollowUpRewriter

            rewriter = FollowUpRewriter(self.chat_model, timeout=self.settings.llm.rewrite_timeout,
                                        health=self.llm_health)
            rewritten = rewriter.rewrite(question, turns)  # None: not acceptable, the follow-up rule applies
        query = analyse(question, turns, splitter=snapshot.lexical.splitter, spelling=snapshot.spelling,
                        stemmer=self.settings.retrieval.stemmer, resolved=rewritten)
        # Embedding cost grows with tokens: both ends of a long question (context first, the question last), and
        # the end of a resolved follow-up (the follow-up itself comes last), within MAX_EMBED_TOKENS.
        count = self.embedder.count_tokens
        own = self.embedder.embed_query(fit_tokens(query.text, MAX_EMBED_TOKENS, count, keep="ends"))
        resolved = own if query.resolved == query.text else \
            self.embedder.embed_query(fit_tokens(query.resolved, MAX_EMBED_TOKENS, count, keep="end"))
        return query.with_vectors(resolved, own)

    def decided(self, question: str, *, turns: Sequence[Turn | dict] = (), retriever: HybridRetriever | None = None,
                models: Models | None = None, exclude: frozenset[str] = frozenset(), refuse: bool | None = None,
                budget: Budget | None = None) -> tuple:
        """Steps 1-4; returns the hand-offs, the snapshot and the timings so far. The API computes these under the
        request's budget and work slot, then `stream(decided=...)` lets a chat model's verified sentences stream
        as they pass (bounded by the model's timeout).

        With a `budget` the run stops (RequestCancelledError / DeadlineExceededError) at the next step once the
        caller cancelled it or its deadline passed: each step is bounded, so no abandoned work runs on for long.
        """
        turns = [t if isinstance(t, Turn) else Turn.model_validate(t) for t in turns]
        question = validate_question(question, turns, self.settings)
        check = budget.check if budget is not None else (lambda: None)
        check()
        snapshot = self.snapshot()
        timings: dict[str, float] = {}
        t = time.perf_counter()
        started = t

        def lap(name: str) -> None:
            nonlocal t
            now = time.perf_counter()
            timings[name] = round((now - t) * 1000, 2)
            t = now
            check()

        query = self.analyse(question, turns, snapshot)
        lap("query")
        retriever = retriever or HybridRetriever(self.store, self.embedder, self.settings.retrieval)
        passages = retriever.retrieve(snapshot, analysed_text(query.resolved), vector=query.vector, exclude=exclude)
        lap("retrieve")
        evidence = self.evidence(query, passages, snapshot)
        lap("evidence")
        decision = decide(evidence, models or self.models, max_units=self.settings.answer.max_units,
                          refuse=self.settings.retrieval.refuse if refuse is None else refuse)
        lap("decide")
        return query, passages, evidence, decision, snapshot, turns, timings, started, t

    def run(self, question: str, *, turns: Sequence[Turn | dict] = (), retriever: HybridRetriever | None = None,
            composer: Composer | None = None, models: Models | None = None,
            exclude: frozenset[str] = frozenset(), refuse: bool | None = None, budget: Budget | None = None) -> Run:
        """The whole pipeline for one question; `exclude` answers as if those documents were not indexed."""
        query, passages, evidence, decision, snapshot, turns, timings, started, t = self.decided(
            question, turns=turns, retriever=retriever, models=models, exclude=exclude, refuse=refuse, budget=budget)
        composer = composer or self.composer(snapshot, turns)
        answer = composer.compose(query, evidence, decision)
        timings["compose"] = round((time.perf_counter() - t) * 1000, 2)
        timings["total"] = round((time.perf_counter() - started) * 1000, 2)
        answer.timings_ms = timings
        return Run(query, passages, evidence, decision, answer)

    def evidence(self, query: Query, passages: Sequence[Passage], snapshot: IndexSnapshot | None = None
                 ) -> Evidence:
        """Step 3: candidate units and their features (no embedding: unit vectors are stored at ingest)."""
        snapshot = snapshot or self.snapshot()
        return build(query, passages, unit_vectors=snapshot.sentence_vectors, analyze=snapshot.lexical.analyze,
                     idf=snapshot.lexical.idf, max_idf=snapshot.lexical.max_idf, version=snapshot.version,
                     documents=snapshot.documents_by_id, vocabulary=snapshot.vocabulary)

    def composer(self, snapshot: IndexSnapshot | None = None, turns: Sequence[Turn] = ()) -> Composer:
        """The extractive composer, or (with a chat model) the LLM composer that falls back to it."""
        if self._composer is not None:
            return self._composer
        snapshot = snapshot or self.snapshot()
        extractive = ExtractiveComposer(publisher=self.settings.publisher, contact=self.settings.contact,
                                        titles=[d["title"] for d in snapshot.documents()])
        if not self.llm_enabled:
            return extractive
        from .decision import guard
        from .llm import LLMComposer, Verifier

        vectors = snapshot.sentence_vectors
        models = self.models

        def unit_vector(unit):
            rows = vectors.get(unit.passage.chunk.id) if unit.passage is not None else None
            return rows[unit.position] if rows is not None and unit.position < len(rows) else None

        llm = self.settings.llm
        verifier = Verifier(analyze=snapshot.lexical.analyze, min_coverage=llm.min_coverage,
                            min_similarity=llm.min_similarity, embed=self.embedder.embed_query,
                            unit_vector=unit_vector, injection=lambda v, text: guard(v, models, text)[0] == "injection")
        return LLMComposer(self.chat_model, settings=llm, verifier=verifier, fallback=extractive,
                           publisher=self.settings.publisher, turns=turns, health=self.llm_health)

    def ask(self, question: str, *, turns: Sequence[Turn | dict] = (), **overrides) -> Answer:
        """Answer a Dutch question from the sources (or refuse politely); earlier turns resolve follow-ups."""
        return self.run(question, turns=turns, **overrides).answer

    def stream(self, question: str, *, turns: Sequence[Turn | dict] = (), composer: Composer | None = None,
               decided: tuple | None = None, **overrides) -> Iterator[tuple[str, object]]:
        """The answer as events: ("retrieval", n passages), ("delta", text)..., ("citations", list), ("done", Answer).

        The extractive answer is composed at once and sent in sentence-sized deltas. An LLM composer's deltas are
        its verified sentences as they pass; when the answer falls back to the extractive one after some were
        sent, ("reset", reason) tells the client to discard them, and the extractive deltas follow. The deltas
        after the last reset concatenate to the final answer. Validation errors raise before the first event.
        """
        query, passages, evidence, decision, snapshot, turns, timings, started, t = decided or self.decided(
            question, turns=turns, **overrides)
        composer = composer or self.composer(snapshot, turns)
        yield "retrieval", len(passages)
        answer: Answer | None = None
        if hasattr(composer, "stream"):
            for event, data in composer.stream(query, evidence, decision):
                if event == "answer":
                    answer = data
                elif event == "reset":
                    yield "reset", data
                else:
                    yield event, data
            assert answer is not None
            if answer.mode != "llm" or not answer.answered:  # the extractive (fallback) answer or a refusal
                for piece in _DELTAS.findall(answer.answer):
                    yield "delta", piece
        else:
            answer = composer.compose(query, evidence, decision)
            for piece in _DELTAS.findall(answer.answer):  # the pieces concatenate to the exact answer text
                yield "delta", piece
        timings["compose"] = round((time.perf_counter() - t) * 1000, 2)
        timings["total"] = round((time.perf_counter() - started) * 1000, 2)
        answer.timings_ms = timings
        yield "citations", answer.citations
        yield "done", answer


def events(result: Run) -> Iterator[tuple[str, object]]:
    """A finished run as stream events (the API computes the run under its budget, then streams this)."""
    yield "retrieval", len(result.passages)
    for piece in _DELTAS.findall(result.answer.answer):  # the pieces concatenate to the exact answer text
        yield "delta", piece
    yield "citations", result.answer.citations
    yield "done", result.answer


def answer_id(question: str, answer: Answer) -> str:
    """A stable id for an answer, so feedback can refer to it without the server keeping state."""
    return content_hash(f"{question}\x1f{answer.answer}")
