"""The small data types every module shares (no third-party types cross these)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field


def content_hash(text: str) -> str:
    """A short, stable hash of text (used for document and chunk ids)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Section:
    """A run of body text under one heading path; `page` is set for paged formats (PDF)."""

    text: str
    headings: tuple[str, ...] = ()
    page: int | None = None


@dataclass(frozen=True)
class Block:
    """A unit of a document as a reader sees it: heading, paragraph, list (with items), quote or caption."""

    kind: Literal["heading", "paragraph", "list", "quote", "caption"]
    text: str
    items: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()  # the heading path above the block
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """A loaded source document: metadata plus its answerable body, split into sections."""

    id: str  # stable: derived from the path relative to the corpus root
    path: str  # relative path within the corpus
    title: str
    sections: tuple[Section, ...]
    metadata: dict[str, Any] = field(default_factory=dict)  # author, date, url, publisher, kind, language, ...
    content_hash: str = ""  # hash of the raw file bytes; decides whether re-ingest is needed
    blocks: tuple[Block, ...] = ()  # the body as read (for `advisor ingest --show`); sections derive from it
    dropped: tuple[tuple[str, str], ...] = ()  # (text, reason) of what the loader recognised as chrome

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a document: body text plus the context that is indexed with it."""

    id: str
    document_id: str
    text: str  # the body sentences, shown and quoted
    headings: tuple[str, ...]
    index: int  # position within the document
    metadata: dict[str, Any] = field(default_factory=dict)
    page: int | None = None

    @property
    def context_header(self) -> str:
        """Title, heading path, author and publisher: prepended to the text that is embedded and indexed."""
        parts = [str(self.metadata.get("title", ""))]
        parts.extend(h for h in self.headings if h and h != parts[0])
        by = ", ".join(str(self.metadata[k]) for k in ("author", "publisher") if self.metadata.get(k))
        if by:
            parts.append(by)
        return " | ".join(p for p in parts if p)

    @property
    def indexed_text(self) -> str:
        return f"{self.context_header}\n{self.text}" if self.context_header else self.text


@dataclass(frozen=True)
class Passage:
    """A chunk as retrieved for a question, with its scores."""

    chunk: Chunk
    score: float  # fused score used for ranking
    dense_score: float | None = None  # cosine similarity, 0..1-ish
    lexical_score: float | None = None  # raw BM25 score
    rank: int = 0


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(frozen=True)
class MetadataIssue:
    """A metadata field ingest left out or cleaned (the document itself is indexed)."""

    path: str
    field: str
    reason: str


@dataclass(frozen=True)
class FlaggedSentence:
    """A sentence that addresses the assistant or the reader with instructions; never indexed as evidence."""

    path: str
    text: str
    reason: str


@dataclass
class IngestReport:
    """What an ingest did; printed by the CLI."""

    version: str | None = None
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    metadata_issues: list[MetadataIssue] = field(default_factory=list)
    flagged: list[FlaggedSentence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the index self-check found and did (Dutch)
    embedded_chunks: int = 0
    seconds: float = 0.0

    @property
    def changed_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed)


class Turn(BaseModel):
    """One earlier turn of a conversation."""

    role: Literal["user", "assistant"]
    content: str = Field(max_length=20_000)


class Citation(BaseModel):
    n: int = Field(description="The marker number used in the answer text, [n].")
    chunk_id: str
    document_id: str
    title: str
    url: str | None = None
    quote: str = Field(description="The passage text the cited sentences come from (verbatim from the source).")
    page: int | None = None


class Answer(BaseModel):
    """The answer contract shared by the CLI (`ask --json`), the API and the evals."""

    answered: bool
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    confidence: float = Field(ge=0.0, le=1.0)
    mode: Literal["extractive", "llm"] = "extractive"
    reason: str = Field("answered", description="answered | metadata, or why it refused: not_in_sources, "
                        "no_passages, metadata_missing, harmful, legal, injection, llm_refused; or why the "
                        "extractive answer replaced the chat model's: fallback_unsupported, fallback_language, "
                        "fallback_injection, fallback_empty, fallback_timeout, fallback_unavailable.")
    timings_ms: dict[str, float] = Field(default_factory=dict)
