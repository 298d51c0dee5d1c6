"""Structure-aware, sentence-aligned chunking that respects the embedder's token limit."""

from __future__ import annotations

from typing import Callable, Iterator

from .text import split_sentences
from .types import Chunk, Document, Section, content_hash

TokenCounter = Callable[[str], int]

_METADATA_KEYS = ("title", "author", "publisher", "date", "modified", "url", "kind", "language", "source_path")


def _words(text: str) -> int:
    return len(text.split())


def is_list(paragraph: str) -> bool:
    """A paragraph of "- item" lines (how the reader renders a list)."""
    lines = paragraph.split("\n")
    return bool(lines) and all(line.startswith("- ") for line in lines)


def _paragraph_sentences(section: Section) -> Iterator[list[str]]:
    for paragraph in section.text.split("\n\n"):
        units = paragraph.split("\n") if is_list(paragraph) else split_sentences(paragraph)
        if units:
            yield units


def chunk_units(text: str) -> list[tuple[int, str, str]]:
    """(offset, unit text, kind) of a chunk: sentences, and list items ("item", without their "- ").

    Ingest stores one vector per unit in this order, and evidence reads units with the same split.
    """
    out, cursor = [], 0
    for paragraph in text.split("\n\n"):
        base = text.find(paragraph, cursor)
        cursor = base + len(paragraph)
        if is_list(paragraph):
            offset = base
            for line in paragraph.split("\n"):
                out.append((offset + 2, line[2:], "item"))
                offset += len(line) + 1
            continue
        inner = 0
        for sentence in split_sentences(paragraph):
            start = paragraph.find(sentence, inner)
            inner = start + len(sentence)
            out.append((base + start, sentence, "sentence"))
    return out


def _fit(sentence: str, fits: Callable[[str], bool]) -> list[str]:
    """Cut a sentence that alone exceeds the budget into word runs that fit (rare: run-on text, tables)."""
    if fits(sentence):
        return [sentence]
    pieces, current = [], []
    for word in sentence.split():
        if current and not fits(" ".join(current + [word])):
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


def split(document: Document, *, min_words: int = 60, max_words: int = 200,
          count_tokens: TokenCounter | None = None, max_tokens: int = 512) -> list[Chunk]:
    """Cut a document into chunks of roughly min..max words, never across a heading, never mid-sentence.

    Each chunk stays within `max_tokens` of the embedder including its context header (title, headings,
    author, publisher), because models silently truncate what does not fit.
    """
    count = count_tokens or (lambda text: int(_words(text) * 2.5) + 2)
    metadata = {k: document.metadata[k] for k in _METADATA_KEYS if document.metadata.get(k) not in (None, "")}
    metadata.setdefault("title", document.title)
    chunks: list[Chunk] = []
    seen: set[str] = set()

    def join(pieces: list[tuple[str, bool]]) -> str:
        # Paragraph breaks survive inside a chunk, so a heading-like line never fuses with the next sentence
        # when the chunk is split into units again; list items keep one line each.
        out = []
        for i, (text, new_paragraph) in enumerate(pieces):
            if i:
                out.append("\n\n" if new_paragraph else "\n" if text.startswith("- ") else " ")
            out.append(text)
        return "".join(out).strip()

    def emit(pieces: list[tuple[str, bool]], section: Section) -> None:
        text = join(pieces)
        if not text:
            return
        key = content_hash(f"{document.id}\x1f{' > '.join(section.headings)}\x1f{text}")
        n = 1
        chunk_id = key
        while chunk_id in seen:  # the same text twice in one document: keep both, ids still stable
            n += 1
            chunk_id = f"{key}-{n}"
        seen.add(chunk_id)
        chunks.append(Chunk(id=chunk_id, document_id=document.id, text=text, headings=section.headings,
                            index=len(chunks), metadata=dict(metadata), page=section.page))

    for section in document.sections:
        probe = Chunk(id="", document_id=document.id, text="", headings=section.headings, index=0,
                      metadata=metadata)
        budget = max(16, max_tokens - count(probe.context_header) - 4)

        def fits(text: str) -> bool:
            return count(text) <= budget

        current: list[tuple[str, bool]] = []
        previous_is_lead_in = False
        for paragraph in _paragraph_sentences(section):
            # Prefer a paragraph boundary once the chunk is big enough to stand on its own; never between a
            # list's lead-in and its items.
            lead_in_boundary = previous_is_lead_in and paragraph[0].startswith("- ")
            previous_is_lead_in = not paragraph[0].startswith("- ")
            if current and not lead_in_boundary and _words(join(current)) >= min_words and \
                    _words(join(current)) + _words(" ".join(paragraph)) > max_words:
                emit(current, section)
                current = []
            for i, sentence in enumerate(paragraph):
                for j, piece in enumerate(_fit(sentence, fits)):
                    candidate = current + [(piece, i == 0 and j == 0)]
                    if current and (_words(join(candidate)) > max_words or not fits(join(candidate))):
                        emit(current, section)
                        candidate = [(piece, True)]
                    current = candidate
        emit(current, section)
    return chunks
