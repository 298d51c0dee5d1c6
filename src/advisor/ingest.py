"""Ingest: load -> chunk -> embed -> publish a new index version atomically (incremental, serialised by a lock)."""

from __future__ import annotations

import dataclasses
import fcntl
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .chunking import chunk_units, split
from .corpus import document_id, load_corpus, sections_from_blocks
from .instructions import instruction_reason
from .embeddings import Embedder
from .errors import ConfigurationError, IngestLockedError
from .retrieval import chunk_to_metadata
from .settings import AdvisorSettings
from .store import VectorStore, new_version_id
from .sanitize import check_metadata
from .text import split_sentences
from .types import Block, Document, FlaggedSentence, IngestReport, MetadataIssue, SkippedFile

Progress = Callable[[int, int, str], None]

# Bumped whenever what an index version stores changes (2: sentence vectors; 3: one vector per evidence unit,
# list items included; 4: metadata checked, instruction sentences left out; 5: breadcrumbs, author bios and
# title-page fields left out, a `modified` date kept; 6: bylines above the body, <title> publisher, a PDF's bullet
# paragraphs as list units; 7: a byline author that starts with a lower-case word, "Door team X", or
# a name first in a dated byline without "Door"; 8: "Door:" bylines, a PDF title page's organisation and month;
# 9: "Opgesteld door X | juni 2025" bylines, "Een publicatie van X" publishers, a report's commissioner;
# 10: HTML and Markdown tables as lists of their rows), so an index built by older code is rebuilt by the next
# ingest instead of being served.
INDEX_FORMAT = 10


@contextmanager
def ingest_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "ingest.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestLockedError("another ingest is running") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ingest(root: Path, *, settings: AdvisorSettings, store: VectorStore, embedder: Embedder, index_key: str,
           progress: Progress | None = None, publish: bool = True) -> IngestReport:
    """Index `root` incrementally and publish a new version atomically (publish=False only stages it: the
    version is complete on disk but nobody reads it until `publish_version`)."""
    started = time.perf_counter()
    root = Path(root)
    if not root.is_dir():
        raise ConfigurationError(f"corpus folder {root} does not exist")
    with ingest_lock(settings.data_dir):
        documents, skipped = load_corpus(root)
        report = IngestReport(skipped=list(skipped))
        documents = [_checked(doc, report) for doc in documents]
        for doc in [d for d in documents if not d.sections]:  # nothing but instructions
            report.skipped.append(SkippedFile(doc.path, "only instructions to the assistant; nothing to index"))
        documents = [d for d in documents if d.sections]
        current, notes = store.healthy(index_key)  # the self-check: a damaged index is rebuilt, not reused
        report.notes = notes
        reusable = current is not None and current.embedder == index_key
        stored = store.read(current.version).metadatas if reusable else []
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
        if reusable and not report.changed_anything and not notes:
            report.version = current.version
            report.documents = len(kept)
            report.chunks = len(stored)
            report.seconds = time.perf_counter() - started
            return report
        version = new_version_id()
        store.create(version)
        if kept and current is not None:
            old = store.read(current.version, embeddings=True, where={"document_id": {"$in": kept}})
            if old.ids:
                store.add(version, old.ids, old.embeddings, old.documents, old.metadatas)
            report.chunks += len(old.ids)
        todo = [by_id[d] for d in report.added + report.changed]
        report.chunks += _embed_documents(store, embedder, version, todo, report, progress)
        report.version = version
        report.documents = len(kept) + len(todo)
        if publish:
            store.publish(version, index_key)
            store.prune(settings.keep_versions)
    report.seconds = time.perf_counter() - started
    return report


def _checked(doc: Document, report: IngestReport) -> Document:
    """The document with safe metadata (bad fields reported and left out) and without instruction sentences."""
    fallback = " ".join(Path(doc.path).stem.replace("-", " ").replace("_", " ").split()).capitalize() or doc.id
    metadata, issues = check_metadata(doc.metadata, fallback)
    report.metadata_issues += [MetadataIssue(doc.path, name, reason) for name, reason in issues]
    if issues:
        doc = dataclasses.replace(doc, title=metadata["title"], metadata=metadata)
    blocks, flagged = without_instructions(doc.blocks)
    if not flagged:
        return doc
    report.flagged += [FlaggedSentence(doc.path, text, reason) for text, reason in flagged]
    sections = tuple(s for s in sections_from_blocks(blocks) if s.text.strip())
    return dataclasses.replace(doc, blocks=tuple(blocks), sections=sections, dropped=(*doc.dropped, *flagged),
                               metadata={**doc.metadata, "flagged": "instructions"})


def without_instructions(blocks) -> tuple[list[Block], list[tuple[str, str]]]:
    """The blocks without the sentences and list items that instruct the assistant or ask for credentials."""
    out: list[Block] = []
    flagged: list[tuple[str, str]] = []

    def keep(text: str) -> str:
        lines = []
        for line in text.split("\n"):
            sentences = split_sentences(line)
            kept = []
            for sentence in sentences:
                reason = instruction_reason(sentence)
                if reason:
                    flagged.append((sentence, reason))
                else:
                    kept.append(sentence)
            if len(kept) == len(sentences):
                lines.append(line)  # untouched lines stay verbatim
            elif kept:
                lines.append(" ".join(kept))
        return "\n".join(lines)

    for block in blocks:
        text = keep(block.text) if block.kind != "heading" else block.text
        items = tuple(i for i in (keep(item) for item in block.items) if i.strip())
        if block.kind == "list" and block.items and not items:
            continue
        if (text.strip() or items) and (text, items) != (block.text, block.items):
            out.append(dataclasses.replace(block, text=text, items=items))
        elif text.strip() or items:
            out.append(block)
    return out, flagged


def _embed_documents(store: VectorStore, embedder: Embedder, version: str, documents: list[Document],
                     report: IngestReport, progress: Progress | None) -> int:
    total = 0
    for i, doc in enumerate(documents, start=1):
        chunks = split(doc, count_tokens=embedder.count_tokens, max_tokens=embedder.max_tokens)
        if chunks:
            embeddings = embedder.embed_documents([c.indexed_text for c in chunks])
            # One vector per evidence unit (sentence or list item), stored with the chunk: answering never embeds.
            per_chunk = [[text for _, text, _ in chunk_units(c.text)] for c in chunks]
            flat = embedder.embed_documents([u for units in per_chunk for u in units])
            offsets = np.cumsum([0] + [len(x) for x in per_chunk])
            store.add(version, [c.id for c in chunks], embeddings, [c.indexed_text for c in chunks],
                      [chunk_to_metadata(c, doc.content_hash, flat[offsets[j]:offsets[j + 1]])
                       for j, c in enumerate(chunks)])
        else:
            report.skipped.append(SkippedFile(doc.path, "no text to index"))
        total += len(chunks)
        report.embedded_chunks += len(chunks)
        if progress:
            progress(i, len(documents), doc.path)
    return total


def publish_version(version: str, *, settings: AdvisorSettings, store: VectorStore, index_key: str,
                    expected_current: str | None) -> None:
    """Publish a staged version, unless another ingest published something else since it was staged."""
    with ingest_lock(settings.data_dir):
        current = store.current()
        if (current.version if current else None) != expected_current:
            raise IngestLockedError("another version was published while this one was being checked")
        store.publish(version, index_key)
        store.prune(settings.keep_versions)
