"""The Advisor facade: the one place where settings, store, embedder, retriever and answerer are wired."""

from __future__ import annotations

import fcntl
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from . import prompts
from .answer import Answerer, ExtractiveAnswerer, chunk_sentences
from .chunking import split
from .corpus import document_id, load_corpus
from .embeddings import Embedder, make_embedder
from .errors import ConfigurationError, IndexNotReadyError, IngestLockedError, InvalidQuestionError
from .retrieval import HybridRetriever, IndexSnapshot, chunk_to_metadata
from .settings import AdvisorSettings, get_settings
from .store import VectorStore, new_version_id
from .text import STOPWORDS, tokenize
from .types import Answer, Document, IngestReport, Passage, SkippedFile, Turn, content_hash

Progress = Callable[[int, int, str], None]

# Bumped whenever what an index version stores changes (2: sentence vectors in the chunk metadata), so an
# index built by older code is rebuilt by the next ingest instead of being served without what the code needs.
INDEX_FORMAT = 2

_DELTAS = re.compile(r".+?(?:\] |\n\n|$)", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FOLLOW_UP_START = {"en", "maar", "dus", "ook", "of", "dan", "waarom", "hoe"}
_ANAPHORA = {"dat", "dit", "die", "daar", "daarvan", "daarmee", "daarvoor", "daarbij", "hun", "ze", "zij", "hem",
             "hen", "ermee", "erover", "ervan", "hiervoor", "hierbij", "zo'n", "zoiets", "het"}


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


def resolve_follow_up(question: str, turns: Sequence[Turn]) -> str:
    """The text to retrieve with: a short follow-up borrows the previous user question as context."""
    earlier = [t.content for t in turns if t.role == "user" and t.content.strip()]
    if not earlier:
        return question
    tokens = tokenize(question)
    content = [t for t in tokens if t not in STOPWORDS]
    looks_dependent = (
        len(tokens) <= 10 and (tokens[:1] and tokens[0] in _FOLLOW_UP_START or any(t in _ANAPHORA for t in tokens))
    ) or len(content) < 2
    return f"{earlier[-1]} {question}" if looks_dependent else question


class Advisor:
    """Ingest documents and answer Dutch questions from them, with sources."""

    def __init__(self, settings: AdvisorSettings, *, embedder: Embedder | None = None,
                 store: VectorStore | None = None, answerer: Answerer | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self.store = store or VectorStore(settings.data_dir, settings.chroma_url)
        self._answerer = answerer
        self._snapshot: IndexSnapshot | None = None
        self._checked_at = 0.0
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
    def answerer(self) -> Answerer:
        if self._answerer is None:
            self._answerer = ExtractiveAnswerer(self.settings, self.embedder)
        return self._answerer

    # -- ingest ---------------------------------------------------------------------------
    @contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.settings.data_dir / "ingest.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IngestLockedError("another ingest is running") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(self, path: Path | None = None, *, progress: Progress | None = None) -> IngestReport:
        """Index `path` (default: the corpus folder) incrementally and publish a new version atomically."""
        started = time.perf_counter()
        root = Path(path or self.settings.corpus_dir)
        if not root.is_dir():
            raise ConfigurationError(f"corpus folder {root} does not exist")
        with self._ingest_lock():
            documents, skipped = load_corpus(root)
            report = IngestReport(skipped=list(skipped))
            current = self.store.current()
            reusable = current is not None and current.embedder == self.index_key
            stored = self.store.read(current.version).metadatas if reusable else []
            previous = {meta["document_id"]: meta["doc_hash"] for meta in stored}
            # A file that exists but failed to load keeps its previous chunks: a bad edit loses nothing.
            failed_ids = {document_id(s.path) for s in skipped} & set(previous)
            by_id = {d.id: d for d in documents}
            for doc in documents:
                if doc.id not in previous:
                    report.added.append(doc.id)
                elif previous[doc.id] != doc.content_hash:
                    report.changed.append(doc.id)
                else:
                    report.unchanged.append(doc.id)
            report.removed = sorted(set(previous) - set(by_id) - failed_ids)
            kept = report.unchanged + sorted(failed_ids)
            if reusable and not report.changed_anything:
                report.version = current.version
                report.documents = len(kept)
                report.chunks = len(stored)
                report.seconds = time.perf_counter() - started
                return report
            version = new_version_id()
            self.store.create(version)
            if kept and current is not None:
                old = self.store.read(current.version, embeddings=True, where={"document_id": {"$in": kept}})
                if old.ids:
                    self.store.add(version, old.ids, old.embeddings, old.documents, old.metadatas)
                report.chunks += len(old.ids)
            todo = [by_id[d] for d in report.added + report.changed]
            report.chunks += self._embed_documents(version, todo, report, progress)
            self.store.publish(version, self.index_key)
            report.version = version
            report.documents = len(kept) + len(todo)
            self.store.prune(self.settings.keep_versions)
        self._snapshot = None  # this process sees the new version on the next question
        report.seconds = time.perf_counter() - started
        return report

    def _embed_documents(self, version: str, documents: list[Document], report: IngestReport,
                         progress: Progress | None) -> int:
        total = 0
        for i, doc in enumerate(documents, start=1):
            chunks = split(doc, count_tokens=self.embedder.count_tokens, max_tokens=self.embedder.max_tokens)
            if chunks:
                embeddings = self.embedder.embed_documents([c.indexed_text for c in chunks])
                per_chunk = [[s for _, s in chunk_sentences(c.text)] for c in chunks]
                flat = self.embedder.embed_documents([s for sentences in per_chunk for s in sentences])
                offsets = np.cumsum([0] + [len(x) for x in per_chunk])
                self.store.add(version, [c.id for c in chunks], embeddings, [c.indexed_text for c in chunks],
                               [chunk_to_metadata(c, doc.content_hash, flat[offsets[i]:offsets[i + 1]])
                                for i, c in enumerate(chunks)])
            else:
                report.skipped.append(SkippedFile(doc.path, "no text to index"))
            total += len(chunks)
            report.embedded_chunks += len(chunks)
            if progress:
                progress(i, len(documents), doc.path)
        return total

    # -- reading --------------------------------------------------------------------------
    def snapshot(self) -> IndexSnapshot:
        """The published index version, reloaded when another process publishes a new one."""
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and now - self._checked_at < self.settings.refresh_seconds:
            return snap
        with self._lock:
            pointer = self.store.current()
            self._checked_at = time.monotonic()
            if pointer is None:
                raise IndexNotReadyError("no index version has been published; run `advisor ingest`")
            if pointer.embedder != self.index_key:
                raise ConfigurationError(
                    f"the index was built as {pointer.embedder}, but this advisor needs {self.index_key}: "
                    "run `advisor ingest`")
            if self._snapshot is None or self._snapshot.version != pointer.version:
                self._snapshot = IndexSnapshot.load(self.store, pointer.version, self.settings.retrieval)
            return self._snapshot

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

    def ask(self, question: str, *, turns: Sequence[Turn | dict] = (), retriever: HybridRetriever | None = None,
            answerer: Answerer | None = None) -> Answer:
        """Answer a Dutch question from the sources (or refuse politely); earlier turns resolve follow-ups."""
        answer = None
        for event, data in self.stream(question, turns=turns, retriever=retriever, answerer=answerer):
            if event == "done":
                answer = data
        assert answer is not None
        return answer

    def stream(self, question: str, *, turns: Sequence[Turn | dict] = (), retriever: HybridRetriever | None = None,
               answerer: Answerer | None = None) -> Iterator[tuple[str, object]]:
        """The answer as events: ("retrieval", n passages), ("delta", text)..., ("citations", list), ("done", Answer).

        The extractive composer produces the whole answer at once; it is sent in sentence-sized deltas so a
        client can render progressively. Validation errors raise before the first event.
        """
        started = time.perf_counter()
        turns = [t if isinstance(t, Turn) else Turn.model_validate(t) for t in turns]
        question = validate_question(question, turns, self.settings)
        snapshot = self.snapshot()
        query = resolve_follow_up(question, turns)
        t0 = time.perf_counter()
        passages = self.retrieve(query, retriever=retriever)
        t1 = time.perf_counter()
        yield "retrieval", len(passages)
        titles = [d["title"] for d in snapshot.documents()]
        result = (answerer or self.answerer).answer(
            question, passages, titles=titles, retrieval_query=query, splitter=snapshot.lexical.splitter,
            spelling=snapshot.spelling, vocabulary=snapshot.vocabulary, sentence_vectors=snapshot.sentence_vectors)
        t2 = time.perf_counter()
        result.timings_ms = {"retrieve": round((t1 - t0) * 1000, 2), "answer": round((t2 - t1) * 1000, 2),
                             "total": round((t2 - started) * 1000, 2)}
        for piece in _DELTAS.findall(result.answer):  # the pieces concatenate to the exact answer text
            yield "delta", piece
        yield "citations", result.citations
        yield "done", result


def answer_id(question: str, answer: Answer) -> str:
    """A stable id for an answer, so feedback can refer to it without the server keeping state."""
    return content_hash(f"{question}\x1f{answer.answer}")
