"""Load a corpus folder (Markdown, text, HTML, PDF, DOCX) into `Document`s with sectioned bodies.

Ids and hashes:
- `Document.id` is a slug of the relative posix path without suffix plus the first 8 hex of
  sha256(relative posix path, NFC): readable in citations, unique per file, stable across runs
  and machines (e.g. "blog/Impact meten.md" -> "blog-impact-meten-1a2b3c4d").
- `Document.content_hash` is sha256 of the raw file bytes, first 16 hex (same shape as
  `types.content_hash`), so any byte change triggers a re-ingest.

Boilerplate: a sequence of strings; an entry ending in "*" is a prefix pattern, any other entry
is an exact line. Lines are compared case-insensitively after stripping whitespace and Markdown
decoration. Lines repeating the title, or "Blog <title>", are dropped too. A heading that is
boilerplate drops its whole section (site chrome blocks come with their own heading).
"""

from __future__ import annotations

import datetime as dt
import dataclasses
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from advisor.errors import ConfigurationError, DocumentLoadError
from advisor.reader import (COMMISSIONED_BY, ReadDocument, byline_fields, chrome_reason, html_blocks,
                            looks_like_heading, markdown_blocks, organisation, parse_date, text_blocks)
from advisor.text import split_sentences
from advisor.types import Block, Document, Section, SkippedFile

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")

# Extra lines to drop, for a site whose chrome the general signals miss ("*" marks a prefix pattern). Empty by
# default: chrome is recognised by the reader's general signals and by repetition across documents.
DEFAULT_BOILERPLATE: tuple[str, ...] = ()

_FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html",
            ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
_README_NAMES = {"readme.md", "readme.markdown"}
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(```|~~~)")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_DECOR_RE = re.compile(r"^(?:[#>\s]+|[-*+]\s+|\d+[.)]\s+)")
_DOCX_HEADING_RE = re.compile(r"^(?:heading|kop)\s*(\d)$", re.IGNORECASE)
_MAX_TITLE = 150


class _Boilerplate:
    """Compiled boilerplate rules plus the title-repeat rule for one document."""

    def __init__(self, patterns: Sequence[str], title: str) -> None:
        self.exact = {_norm(p) for p in patterns if not p.endswith("*")}
        self.prefixes = tuple(_norm(p[:-1]) for p in patterns if p.endswith("*"))
        self.title = _norm(title)

    def __call__(self, line: str) -> bool:
        n = _norm(line)
        if not n:
            return False
        if n in self.exact or (self.prefixes and n.startswith(self.prefixes)):
            return True
        return bool(self.title) and n in (self.title, "blog " + self.title)


def _norm(line: str) -> str:
    # Compare on visible text only, so "**Vragen?**" or "- [Alle mensen](/mensen)" still match.
    s = _LINK_RE.sub(r"\1", line.strip())
    s = _DECOR_RE.sub("", s).replace("**", "").replace("__", "").strip(" *_")
    return " ".join(s.split()).casefold()


def document_id(relpath: str) -> str:
    """Stable, readable document id: a slug of the relative path without its suffix.

    Two files whose paths slugify alike (``a.md`` and ``a.pdf``) are told apart by ``load_corpus``,
    which appends the format to the later one.
    """
    rel = unicodedata.normalize("NFC", relpath)
    stem = rel.rsplit(".", 1)[0] if "." in rel.rsplit("/", 1)[-1] else rel
    ascii_ = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:80].strip("-")
    return slug or "doc-" + hashlib.sha256(rel.encode("utf-8")).hexdigest()[:8]


MAX_FILE_BYTES = 50 * 1024 * 1024  # a publication is far smaller; a bigger file is a mistake or an attack


def load_corpus(
    root: Path, *, boilerplate: Sequence[str] = DEFAULT_BOILERPLATE, max_bytes: int = MAX_FILE_BYTES
) -> tuple[list[Document], list[SkippedFile]]:
    """Load every supported file under root; failures become SkippedFile and loading goes on."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigurationError(f"corpus folder not found: {root}")
    docs: list[Document] = []
    skipped: list[SkippedFile] = []
    seen: set[str] = set()
    for path in sorted(_walk(root), key=lambda p: p.relative_to(root).as_posix()):
        try:
            doc = load_document(path, root, boilerplate=boilerplate, max_bytes=max_bytes)
            if doc.id in seen:  # e.g. a.md and a.pdf: keep both, the later one gets its suffix
                doc = dataclasses.replace(doc, id=f"{doc.id}-{path.suffix.lstrip('.').lower()}")
            seen.add(doc.id)
            docs.append(doc)
        except DocumentLoadError as exc:
            skipped.append(SkippedFile(path=exc.path, reason=exc.reason))
        except Exception as exc:  # a parser bug on one file must not stop the whole ingest
            rel = path.relative_to(root).as_posix()
            skipped.append(SkippedFile(path=rel, reason=f"unexpected error: {type(exc).__name__}: {exc}"))
    return drop_repeated_lines(docs), skipped


def drop_repeated_lines(docs: list[Document], min_documents: int = 3, max_words: int = 15) -> list[Document]:
    """Drop short lines that recur verbatim in several documents: site chrome repeats, article text does not."""
    counts: dict[str, int] = {}
    for doc in docs:
        for text in {_norm(t) for b in doc.blocks for t in ((b.text,) if b.kind != "list" else b.items)}:
            counts[text] = counts.get(text, 0) + 1
    repeated = {t for t, n in counts.items() if n >= min_documents and 0 < len(t.split()) <= max_words}
    if not repeated:
        return docs
    out = []
    for doc in docs:
        blocks, dropped = [], list(doc.dropped)
        for b in doc.blocks:
            if b.kind in ("paragraph", "quote") and _norm(b.text) in repeated:
                dropped.append((b.text, f"repeated in {counts[_norm(b.text)]} documents"))
            elif b.kind == "list" and any(_norm(i) in repeated for i in b.items):
                items = tuple(i for i in b.items if _norm(i) not in repeated)
                dropped.extend((i, "repeated across documents") for i in b.items if _norm(i) in repeated)
                if items:
                    blocks.append(dataclasses.replace(b, items=items))
            else:
                blocks.append(b)
        if len(blocks) != len(doc.blocks) or len(dropped) != len(doc.dropped):
            sections = tuple(s for s in sections_from_blocks(blocks) if s.text.strip()) or doc.sections
            doc = dataclasses.replace(doc, blocks=tuple(blocks), dropped=tuple(dropped), sections=sections)
        out.append(doc)
    return out


def _walk(root: Path) -> list[Path]:
    """Candidate files: supported suffix, not hidden, not a README, not an Office lock file."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):  # os.walk does not follow dir symlinks: no loops
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            lower = name.lower()
            # "~$x.docx" are Word lock files, never documents.
            if name.startswith((".", "~$")) or lower in _README_NAMES:
                continue
            if os.path.splitext(lower)[1] in SUPPORTED_SUFFIXES:
                found.append(Path(dirpath) / name)
    return found


def load_document(path: Path, root: Path, *, boilerplate: Sequence[str] = DEFAULT_BOILERPLATE,
                  max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Load one file; raises DocumentLoadError(relpath, reason) when it cannot be used."""
    path, root = Path(path), Path(root)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        if path.is_absolute():
            raise DocumentLoadError(str(path), "file is outside the corpus folder") from None
        rel, path = path.as_posix(), root / path
    suffix = path.suffix.lower()
    fmt = _FORMATS.get(suffix)
    if fmt is None:
        raise DocumentLoadError(rel, f"unsupported file type {suffix or '(no suffix)'}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentLoadError(rel, f"file is too large ({size // (1024 * 1024)} MB; limit "
                                         f"{max_bytes // (1024 * 1024)} MB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentLoadError(rel, "file disappeared before it could be read") from None
    except OSError as exc:
        raise DocumentLoadError(rel, f"cannot read file: {exc.strerror or exc}") from None
    if not data.strip():
        raise DocumentLoadError(rel, "file is empty")

    read = _LOADERS[fmt](data, rel, path.stem)
    title = " ".join(read.title.split()) or _title_from_filename(path.stem)
    bp = _Boilerplate(boilerplate, title)
    blocks, dropped = [], list(read.dropped)
    author = str(read.meta.get("author") or "").strip()
    for block in read.blocks:
        if block.kind == "paragraph" and _is_author_bio(block.text, author):
            dropped.append((block.text, "author bio"))
            continue
        if block.kind == "paragraph" and "\n" not in block.text:
            # A call to action, byline or phone line inside a paragraph goes; the paragraph's sentences stay.
            kept = []
            for sentence in split_sentences(block.text):
                reason = chrome_reason(sentence)
                if reason in ("call to action", "byline", "phone number", "credit"):
                    dropped.append((sentence, reason))
                else:
                    kept.append(sentence)
            if not kept:
                continue
            block = dataclasses.replace(block, text=" ".join(kept))
        if block.kind in ("paragraph", "quote") and bp(block.text):
            dropped.append((block.text, "title repeated" if _norm(block.text).endswith(_norm(title)) else "boilerplate"))
        else:
            blocks.append(block)
    sections = tuple(s for s in sections_from_blocks(blocks) if s.text.strip())
    if not sections:
        raise DocumentLoadError(rel, "no text after removing boilerplate")
    metadata = {k: _meta_value(v) for k, v in read.meta.items() if v not in (None, "")}
    metadata = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in metadata.items()}
    if metadata.get("url") is not None:
        metadata["url"] = str(metadata["url"])
    metadata.update(title=title, source_path=rel, format=fmt)
    return Document(
        id=document_id(rel), path=rel, title=title, sections=sections, metadata=metadata,
        content_hash=hashlib.sha256(data).hexdigest()[:16], blocks=tuple(blocks), dropped=tuple(dropped),
    )


def _is_author_bio(text: str, author: str) -> bool:
    """A short paragraph about the byline's author ("Hennie Bosgraaf is programmamanager van …"): about the
    writer, not the topic."""
    if len(author.split()) < 2 or not text.startswith(author + " ") or text.rstrip().endswith(":"):
        return False  # a lead-in ("Werkplein De Brug … Daarvoor is één van deze documenten genoeg:") is text
    return len(split_sentences(text)) <= 2 and len(text.split()) <= 45


def _decode(data: bytes, rel: str) -> str:
    """utf-8 (BOM allowed), else cp1252 for legacy Windows files."""
    for enc in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:  # cp1252 accepts most binary junk; NULs give it away
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise DocumentLoadError(rel, "not valid UTF-8 (tried utf-8, cp1252)")


def _split_front_matter(text: str, rel: str, strict: bool = True) -> tuple[dict[str, Any], str]:
    """YAML front matter between leading '---' lines; lenient mode treats bad YAML as body text."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            import yaml

            try:
                data = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                if not strict:
                    return {}, text
                detail = " ".join(str(exc).split())[:200]
                raise DocumentLoadError(rel, f"invalid YAML front matter: {detail}") from None
            if not isinstance(data, dict):
                if not strict:  # a plain-text file may simply start with a '---' divider
                    return {}, text
                raise DocumentLoadError(rel, "front matter is not a YAML mapping")
            return {str(k).lower(): _meta_value(v) for k, v in data.items()}, "\n".join(lines[i + 1:])
    return {}, text


def _meta_value(value: Any) -> Any:
    """Scalars only (vector stores reject nested values); dates become ISO 'YYYY-MM-DD'."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_meta_value(v)) for v in value if v is not None)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_meta_value(v)}" for k, v in value.items())
    if isinstance(value, str):
        return value.strip()
    return value


def _title_from_filename(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _markdown_events(body: str):
    """Tokenise Markdown into ("h", level, text) and ("line", text) events; blank lines are ("line", "")."""
    in_fence = False
    for line in body.split("\n"):
        if _FENCE_RE.match(line):
            in_fence = not in_fence
            yield ("code", line)
        elif in_fence:
            yield ("code", line)
        elif m := _HEADING_RE.match(line):
            yield ("h", len(m.group(1)), m.group(2).strip())
        elif _RULE_RE.match(line):
            yield ("line", "")
        else:
            yield ("line", line.rstrip())


def _build_sections(events, title: str, bp: _Boilerplate) -> list[Section]:
    """Headings build the heading path (a title heading or level 0 is the root); paragraphs the text (DOCX)."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    paras: list[str] = []
    current: list[str] = []
    title_n = _norm(title)

    def end_para() -> None:
        para = "\n".join(current).strip("\n")
        if para.strip():
            paras.append(para)
        current.clear()

    def end_section() -> None:
        end_para()
        if paras:
            sections.append(Section(text="\n\n".join(paras), headings=tuple(h for _, h in stack)))
            paras.clear()

    for ev in events:
        if ev[0] == "h":
            level, text = ev[1], ev[2]
            end_section()
            while stack and stack[-1][0] >= level:
                stack.pop()
            if level == 0 or not text or _norm(text) == title_n:
                stack.clear()  # the title heading is the document root
            else:
                stack.append((level, text))
        elif ev[0] == "code":
            current.append(ev[1])
        elif not ev[1].strip():
            end_para()
        elif not bp(ev[1]):
            current.append(ev[1])
    end_section()
    return sections


def _blocks_from_sections(sections: Sequence[Section]) -> list[Block]:
    """Blocks for formats read as sections (PDF, DOCX): paragraphs, and a run of two or more bullet paragraphs
    ("• item", "- item", "1. item") as one list, so that its items are units with their lead-in."""
    blocks: list[Block] = []
    for s in sections:
        paras = [p for p in s.text.split("\n\n") if p.strip()]
        i = 0
        while i < len(paras):
            j = i
            while j < len(paras) and _PDF_BULLET.match(paras[j].strip()):
                j += 1
            if j - i >= 2:
                items = tuple(_PDF_MARKER.sub("", " ".join(p.split())) for p in paras[i:j])
                blocks.append(Block("list", "", items=items, headings=s.headings, page=s.page))
                i = j
                continue
            blocks.append(Block("paragraph", paras[i], headings=s.headings, page=s.page))
            i += 1
    return blocks


def sections_from_blocks(blocks: Sequence[Block]) -> list[Section]:
    """Sections for chunking: consecutive blocks under one heading path; a list is one paragraph of "- item" lines.

    Captions and headings are not body text (headings travel as the heading path of the section).
    """
    sections: list[Section] = []
    paras: list[str] = []
    key: tuple = ()
    for block in blocks:
        if block.kind in ("heading", "caption"):
            continue
        here = (block.headings, block.page)
        if paras and here != key:
            sections.append(Section("\n\n".join(paras), key[0], key[1]))
            paras = []
        key = here
        if block.kind == "list":
            paras.append("\n".join(f"- {item}" for item in block.items))
        else:
            paras.append(block.text)
    if paras:
        sections.append(Section("\n\n".join(paras), key[0], key[1]))
    return sections


def _load_markdown(data: bytes, rel: str, stem: str) -> ReadDocument:
    meta, body = _split_front_matter(_decode(data, rel), rel)
    doc = markdown_blocks(body)
    title = str(meta.get("title") or "").strip() or doc.title or _title_from_filename(stem)
    doc.title = title
    doc.meta = {**doc.meta, **{k: v for k, v in meta.items() if v not in (None, "")}}
    return doc


def _load_text(data: bytes, rel: str, stem: str) -> ReadDocument:
    meta, body = _split_front_matter(_decode(data, rel), rel, strict=False)
    doc = text_blocks(body, _title_from_filename(stem))
    if meta.get("title"):
        doc.title = str(meta["title"]).strip()
    doc.meta = {**doc.meta, **{k: v for k, v in meta.items() if v not in (None, "")}}
    return doc


def _load_html(data: bytes, rel: str, stem: str) -> ReadDocument:
    try:
        return html_blocks(data, _title_from_filename(stem))
    except Exception as exc:  # lxml raises many types on broken markup
        raise DocumentLoadError(rel, f"corrupt HTML: {exc}") from None


def _load_pdf(data: bytes, rel: str, stem: str) -> ReadDocument:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")  # owner-password-only PDFs open with an empty user password
            except (DependencyError, NotImplementedError):
                ok = 0
            if not ok:
                raise DocumentLoadError(rel, "PDF is encrypted")
        layouts = [_pdf_layout(page) for page in reader.pages]
        pages = ["\n".join(line for line, _ in lines) for lines in layouts]
        info = reader.metadata
    except DocumentLoadError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError... on damaged files
        raise DocumentLoadError(rel, f"corrupt PDF: {exc or type(exc).__name__}") from None
    if not any(p.strip() for p in pages):
        raise DocumentLoadError(rel, "PDF has no extractable text (scanned?)")
    meta: dict[str, Any] = {}
    title = ""
    if info is not None:
        title = str(info.title or "").strip()
        meta["author"] = str(info.author or "").strip()
        try:
            created = info.creation_date
        except Exception:  # malformed date strings should not cost the whole document
            created = None
        if created:
            meta["_file_date"] = created.date().isoformat()
    bp_title = title  # a metadata title repeated in the text is a running header: drop it
    if not title:
        first = next((ln.strip() for p in pages for ln in p.split("\n") if ln.strip()), "")
        # A wrapped body line is not a title: require a short, unpunctuated first line.
        title = first if looks_like_heading(first) else _title_from_filename(stem)
    bp = _Boilerplate((), bp_title)
    sizes = {line: size for lines in layouts for line, size in lines}
    pages, dropped = _pdf_chrome(pages, meta)
    stated, file_date = meta.pop("_stated_date", None), meta.pop("_file_date", None)
    if not meta.get("date") and (stated or file_date):  # a date the text states beats the file's creation date
        meta["date"] = stated or file_date
    elif stated and len(str(meta.get("date"))) == 7 and stated.startswith(str(meta["date"])):
        meta["date"] = stated  # "Opgesteld door X | juni 2025" and "Vastgesteld … op 24 juni 2025": the day
    sections, heading_title, above = _pdf_sections(pages, sizes, bp)
    dropped.extend((line, "header above the title") for line in above)
    header = re.split(r"\s+[|·–—-]\s+", above[0])[0] if above else ""
    if _is_organisation(header) and not meta.get("publisher"):
        meta["publisher"] = header  # "RIEC Maasdelta" above the title: the organisation that publishes it
    if (commissioned := meta.pop("_commissioned_by", None)) and not meta.get("publisher"):
        meta["publisher"] = commissioned
    if heading_title and not bp_title:  # the PDF's own metadata title wins
        title = heading_title
    doc = ReadDocument(title=title, meta=meta, blocks=_blocks_from_sections(sections))
    doc.dropped.extend(dropped)
    return doc


def _pdf_layout(page: Any) -> list[tuple[str, float]]:
    """The page's text lines with their font size (pypdf's text visitor: one run per text operation, joined
    into lines by baseline); sizes are 0 when the PDF does not say."""
    lines: list[tuple[str, float]] = []
    parts: list[str] = []
    state = {"y": None, "size": 0.0}

    def close() -> None:
        text = "".join(parts).strip()
        if text:
            lines.append((" ".join(text.split()), state["size"]))
        parts.clear()
        state["size"] = 0.0

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        try:
            scale = abs(float(tm[3])) or 1.0
            y = round(float(tm[5]) * (float(cm[3]) or 1.0) + float(cm[5]), 1)
            effective = float(size or 0.0) * scale * (abs(float(cm[3])) or 1.0)
        except (TypeError, ValueError, IndexError):
            y, effective = None, 0.0
        if state["y"] is not None and y is not None and abs(y - state["y"]) > 1.0:
            close()
        for i, piece in enumerate(text.split("\n")):
            if i:
                close()
            if piece.strip():
                parts.append(piece)
                state["size"] = max(state["size"], effective)
        state["y"] = y if y is not None else state["y"]

    try:
        page.extract_text(visitor_text=visit)
        close()
    except Exception:  # a visitor failure on odd content streams: plain extraction, no sizes
        lines = []
    if not lines:
        lines = [(" ".join(ln.split()), 0.0) for ln in (page.extract_text() or "").split("\n") if ln.strip()]
    return lines


def _pdf_sections(pages: list[str], sizes: dict[str, float], bp: "_Boilerplate"
                  ) -> tuple[list[Section], str, list[str]]:
    """Sections of a PDF by font size: lines clearly larger than the body text are headings (wrapped heading
    lines join), the largest on the first page is the title; smaller lines above the title are a header.
    Without sizes, one section per page as before. Returns (sections, title from the text, header lines)."""
    weight: dict[float, int] = {}
    for lines in pages:
        for line in lines.split("\n"):
            size = sizes.get(" ".join(line.split()), 0.0)
            weight[size] = weight.get(size, 0) + len(line)
    body = max(weight, key=weight.get) if weight else 0.0
    if body <= 0:
        return [Section(text=_pdf_paragraphs(text, bp), page=n) for n, text in enumerate(pages, 1)], "", []

    def is_heading(line: str, size: float) -> bool:
        return size >= body * 1.15 and len(line.split()) <= 20 and not line.endswith((".", ";", ","))

    first = [" ".join(ln.split()) for ln in pages[0].split("\n") if ln.strip()] if pages else []
    title_size = max((sizes.get(ln, 0.0) for ln in first[:8] if is_heading(ln, sizes.get(ln, 0.0))), default=0.0)
    sections: list[Section] = []
    title, above, heading = "", [], ()
    for n, text in enumerate(pages, 1):
        lines = [" ".join(ln.split()) for ln in text.split("\n") if ln.strip()]
        body_lines: list[str] = []
        pending: list[str] = []  # heading lines being joined
        seen_title = n > 1 or title_size == 0.0

        def flush() -> None:
            if body_lines:
                sections.append(Section(text=_pdf_paragraphs("\n".join(body_lines), bp), headings=heading, page=n))
                body_lines.clear()

        for i, line in enumerate(lines):
            size = sizes.get(line, 0.0)
            if not seen_title:
                if size >= title_size:
                    pending.append(line)
                    if i + 1 >= len(lines) or sizes.get(lines[i + 1], 0.0) < title_size:
                        title, seen_title = " ".join(pending), True
                        pending = []
                    continue
                # a kicker or header line above the title: smaller than the body, or a short unpunctuated line
                if (size < body or 0 < _bare_words(line) <= 8) and not body_lines:
                    above.append(line)
                    continue
            if is_heading(line, size):
                pending.append(line)
                if i + 1 >= len(lines) or not is_heading(lines[i + 1], sizes.get(lines[i + 1], 0.0)) \
                        or sizes.get(lines[i + 1], 0.0) != size:
                    flush()
                    heading = (" ".join(pending),)
                    pending = []
                continue
            body_lines.append(line)
        flush()
    return [s for s in sections if s.text.strip()], title, above


_TITLE_PAGE_FIELD = re.compile(r"^[A-ZÀ-Ý][\w-]*(?: [\w-]+){0,2}:\s+\S")
_TITLE_PAGE_AUTHOR = re.compile(r"^(?:opgesteld|geschreven) door:\s+([^,;|]+)", re.IGNORECASE)
_TITLE_PAGE_PUBLISHER = re.compile(r"^(?:uitgave|uitgever|uitgegeven door|een uitgave van|organisatie):\s+([^,;|]+)",
                                   re.IGNORECASE)


def _is_organisation(line: str) -> bool:
    """A title-page header that names an organisation: two to six capitalised words (particles between), no
    digits, no date ("Gemeente Meerstede", "Omgevingsdienst Vlietstreek", "RIEC Maasdelta")."""
    words = line.split()
    return 2 <= len(words) <= 6 and _bare_words(line) > 0 and words[-1][0].isupper() \
        and not any(c.isdigit() for c in line)  # digits: no date, no "Jaarverslag 2024"


def _bare_words(line: str) -> int:
    """Words of a title-page line that starts with a capital and ends without punctuation (0 otherwise)."""
    return 0 if not line or line.endswith((".", ":", ";", "?", "!")) or not line[0].isupper() else len(line.split())


def _title_page_date(line: str) -> str | None:
    """The date of a title-page line that is only a place and a date ("Utrecht, september 2022"), else None."""
    return parse_date(line, month=True) if 0 < _bare_words(line) <= 5 else None


def _title_page_stated_date(line: str) -> str | None:
    """The full date of a short unpunctuated title-page line ("Versie 2.1, vastgesteld op 26 juni 2024"): the date
    the document states for itself, which beats the file's creation date; the line stays text."""
    return parse_date(line) if 5 < _bare_words(line) <= 14 else None


def _pdf_chrome(pages: list[str], meta: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """Drop running headers and footers (a line on several pages, page numbers aside) and byline lines; a
    byline's author and date become metadata when the PDF's own metadata lacks them."""

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split()).casefold())

    seen: dict[str, int] = {}
    for text in pages:
        for k in {key(ln) for ln in text.split("\n") if ln.strip()}:
            seen[k] = seen.get(k, 0) + 1
    out, dropped = [], []
    for number, text in enumerate(pages):
        kept = []
        for line in text.split("\n"):
            stripped = line.strip()
            reason = None
            fields = byline_fields(stripped) if stripped else None
            if not fields and number == 0 and (date := _title_page_date(stripped)):
                fields = {"date": date}  # "Den Haag, september 2022", "Datum: september 2025" on the title page
            if fields is None and number == 0 and (date := _title_page_stated_date(stripped)):
                meta.setdefault("_stated_date", date)
            if fields is None and number == 0 and (by := COMMISSIONED_BY.match(stripped)):
                if name := organisation(by.group(1)):
                    meta.setdefault("_commissioned_by", name)
            if fields is not None:
                reason = "byline"
                for name, value in fields.items():
                    if not meta.get(name):
                        meta[name] = value
            elif number == 0 and _TITLE_PAGE_FIELD.match(stripped) and len(stripped.split()) <= 20:
                # "Versie: 1.0", "Status: vastgesteld", "Opgesteld door: X": the title page's document fields
                reason = "title page field"
                if (author := _TITLE_PAGE_AUTHOR.match(stripped)) and not meta.get("author"):
                    meta["author"] = author.group(1).strip()
                if (publisher := _TITLE_PAGE_PUBLISHER.match(stripped)) and not meta.get("publisher"):
                    meta["publisher"] = publisher.group(1).strip()
            if stripped and len(pages) > 1 and seen.get(key(stripped), 0) >= 2 and len(stripped.split()) <= 15:
                reason = "running header or footer"
            elif stripped and not reason and chrome_reason(stripped) in ("phone number", "credit"):
                reason = chrome_reason(stripped)
            if reason:
                dropped.append((stripped, reason))
            else:
                kept.append(line)
        out.append("\n".join(kept))
    return out, dropped


_PDF_MARKER = re.compile(r"^(?:[-•▪◦*–]|\d{1,2}[.)])\s+")  # a bullet or number and its space
_PDF_BULLET = re.compile(_PDF_MARKER.pattern + r"\S")  # a line that starts a list item


def _pdf_paragraphs(text: str, bp: _Boilerplate) -> str:
    """Join wrapped lines into paragraphs and undo line-break hyphenation."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").split("\n")]
    lines = [ln for ln in lines if not bp(ln)]
    width = max((len(ln) for ln in lines), default=0)
    paras: list[str] = []
    cur = ""
    for ln in lines:
        if not ln:
            paras.append(cur)
            cur = ""
            continue
        bullet = bool(_PDF_BULLET.match(ln))
        if cur and (bullet or (_PDF_BULLET.match(cur) and cur.endswith((".", ";")) and ln[:1].isupper())):
            paras.append(cur)  # a list item starts, or the text after a finished item resumes
            cur = ""
        if not cur:
            cur = ln
        elif re.search(r"\w-$", cur):
            # "samen-" + "werking" -> "samenwerking"; "Noord-" + "Holland" keeps its hyphen
            cur = cur[:-1] + ln if ln[:1].islower() else cur + ln
        else:
            cur = f"{cur} {ln}"
        # A clearly short line ending a sentence closes the paragraph (PDFs rarely keep blank lines).
        if ln.endswith((".", "!", "?", ":")) and len(ln) < 0.7 * width:
            paras.append(cur)
            cur = ""
    paras.append(cur)
    return "\n\n".join(p for p in paras if p)


def _load_docx(data: bytes, rel: str, stem: str) -> ReadDocument:
    import docx
    from docx.table import Table

    try:
        doc = docx.Document(io.BytesIO(data))
        props = doc.core_properties
        blocks: list[tuple[str, str]] = []  # (style name, text)
        for item in doc.iter_inner_content():
            if isinstance(item, Table):
                rows = [" | ".join(c.text.strip() for c in row.cells) for row in item.rows]
                blocks.append(("", "\n".join(r for r in rows if r.strip(" |"))))
            else:
                blocks.append((item.style.name if item.style is not None else "", item.text))
        meta = {"author": (props.author or "").strip(), "language": (props.language or "").strip()}
        created = props.created
    except Exception as exc:  # not a zip, missing parts, bad XML...
        raise DocumentLoadError(rel, f"corrupt DOCX: {exc or type(exc).__name__}") from None
    if created:
        meta["date"] = created.date().isoformat()
    events: list[tuple] = []  # same event stream as Markdown: shares heading paths and boilerplate
    for style, text in blocks:
        m = _DOCX_HEADING_RE.match(style)
        if not text.strip():
            continue
        if style.lower() in ("title", "titel"):
            events.append(("h", 0, text.strip()))
        elif m:
            events.append(("h", int(m.group(1)), " ".join(text.split())))
        else:
            events += [("line", text.strip()), ("line", "")]
    first = next((e[2] for e in events if e[0] == "h" and e[1] <= 1), "")
    title = (props.title or "").strip() or first or _title_from_filename(stem)
    sections = _build_sections(events, title, _Boilerplate((), title))
    return ReadDocument(title=title, meta=meta, blocks=_blocks_from_sections(sections))


_LOADERS = {"markdown": _load_markdown, "text": _load_text, "html": _load_html, "pdf": _load_pdf, "docx": _load_docx}
