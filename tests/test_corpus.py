"""Tests for advisor.corpus; all documents are synthetic and generated in tmp_path where possible."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from advisor.corpus import (
    DEFAULT_BOILERPLATE,
    SUPPORTED_SUFFIXES,
    document_id,
    load_corpus,
    load_document,
)
from advisor.errors import DocumentLoadError
from advisor.types import SkippedFile

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"

MARKDOWN = """---
title: Synthetisch testdocument over samenwerking
author: Testauteur Een
date: 2024-03-15
url: https://example.org/synthetisch
kind: blog
tags: [test, synthetisch]
---
Blog Synthetisch testdocument over samenwerking

# Synthetisch testdocument over samenwerking

Synthetisch testdocument over samenwerking

Dit is een synthetische inleiding. Ze staat nog onder geen enkele kop.

## Eerste kop

Eerste alinea onder de eerste kop, met **nadruk** die letterlijk blijft.
Tweede regel van dezelfde alinea.

Vragen?

Tweede alinea onder de eerste kop.

### Subkop

Tekst onder de subkop.

## Tweede kop

Je kunt ons mailen of bellen via 000-0000000.
Tekst onder de tweede kop.

## Blijf op de hoogte

Schrijf je in voor onze synthetische nieuwsbrief.

## Derde kop

Impact op morgen.
Laatste synthetische zin.
"""


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_docx(path: Path) -> Path:
    import docx

    doc = docx.Document()
    doc.core_properties.title = "Synthetisch DOCX-testdocument"
    doc.core_properties.author = "Testauteur Twee"
    doc.add_heading("Synthetisch DOCX-testdocument", level=1)
    doc.add_paragraph("Inleidende synthetische alinea.")
    doc.add_heading("Aanpak", level=1)
    doc.add_paragraph("Synthetische tekst over de aanpak.")
    doc.add_heading("Stap een", level=2)
    doc.add_paragraph("Synthetische tekst over stap een.")
    doc.add_paragraph("Tweede alinea over stap een.")
    doc.add_heading("Resultaat", level=1)
    doc.add_paragraph("Synthetisch resultaat.")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def test_api_constants() -> None:
    assert SUPPORTED_SUFFIXES == (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")
    # Chrome is recognised by general signals (reader.py), not by one site's strings: no default list.
    assert DEFAULT_BOILERPLATE == ()


def test_markdown_front_matter_headings_and_boilerplate(tmp_path: Path) -> None:
    path = write(tmp_path / "blog" / "samenwerking.md", MARKDOWN)
    doc = load_document(path, tmp_path)

    assert doc.title == "Synthetisch testdocument over samenwerking"
    assert doc.path == "blog/samenwerking.md"
    meta = doc.metadata
    assert meta["date"] == "2024-03-15"
    assert meta["author"] == "Testauteur Een"
    assert meta["url"] == "https://example.org/synthetisch"
    assert meta["kind"] == "blog"
    assert meta["tags"] == "test, synthetisch"
    assert meta["format"] == "markdown"
    assert meta["source_path"] == "blog/samenwerking.md"
    assert meta["title"] == doc.title

    paths = [s.headings for s in doc.sections]
    assert paths == [(), ("Eerste kop",), ("Eerste kop", "Subkop"), ("Tweede kop",), ("Derde kop",)]
    first = doc.sections[1].text
    assert first == (  # Markdown is read as a reader sees it: emphasis rendered, soft line breaks joined
        "Eerste alinea onder de eerste kop, met nadruk die letterlijk blijft. "
        "Tweede regel van dezelfde alinea.\n\nTweede alinea onder de eerste kop."
    )
    text = doc.text
    for chrome in ("Vragen?", "Je kunt ons mailen", "Blijf op de hoogte", "nieuwsbrief", "Blog Synthetisch"):
        assert chrome not in text
    assert doc.title not in text  # title heading, title repeat and "Blog <title>" are all dropped
    assert "Laatste synthetische zin." in text
    assert all(s.page is None for s in doc.sections)


def test_markdown_title_from_heading_then_filename(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "a.md", "# Kop als titel\n\nSynthetische tekst.\n"), tmp_path)
    assert doc.title == "Kop als titel"
    assert doc.sections[0].headings == ()
    doc = load_document(write(tmp_path / "mijn-notitie.md", "Alleen synthetische tekst.\n"), tmp_path)
    assert doc.title == "Mijn notitie"


def test_txt_cp1252_with_headings(tmp_path: Path) -> None:
    body = (
        "Synthetische notitie über café\r\n\r\n"
        "Een inleidende synthetische alinea met een € teken.\r\n\r\n"
        "Achtergrond\r\n\r\n"
        "Dit is de synthetische achtergrond. Ze loopt door.\r\n\r\n"
        "Neem contact op met\r\n"
    )
    path = write(tmp_path / "oud.txt", body.encode("cp1252"))
    doc = load_document(path, tmp_path)
    assert doc.title == "Synthetische notitie über café"
    assert doc.metadata["format"] == "text"
    assert [s.headings for s in doc.sections] == [(), ("Achtergrond",)]
    assert "€" in doc.sections[0].text
    assert doc.sections[1].text == "Dit is de synthetische achtergrond. Ze loopt door."
    assert "Neem contact" not in doc.text


def test_txt_undecodable(tmp_path: Path) -> None:
    path = write(tmp_path / "kapot.txt", b"abc \x81\x8d\x90 def")
    with pytest.raises(DocumentLoadError) as err:
        load_document(path, tmp_path)
    assert err.value.reason == "not valid UTF-8 (tried utf-8, cp1252)"
    assert err.value.path == "kapot.txt"


def test_html_keeps_only_the_article(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "synthetic_article.html", tmp_path / "artikel.html")
    doc = load_document(tmp_path / "artikel.html", tmp_path)
    text = doc.text
    assert doc.title == "Synthetisch artikel over wijkteams"
    assert "gezamenlijke intake" in text
    assert "vertrouwen tussen professionals tijd kost" in text
    assert "drie extra wijken" in text
    for chrome in ("cookies", "Onze diensten", "Werken bij", "Alle mensen", "nieuwsbrief", "Aanmelden",
                   "Vacatures", "Senior adviseur", "Projectleider", "Kerkstraat", "Privacyverklaring",
                   "mailen of bellen"):
        assert chrome not in text, chrome
    assert ("Wat we leerden",) in [s.headings for s in doc.sections]
    assert ("Hoe verder",) in [s.headings for s in doc.sections]
    assert doc.metadata["author"] == "Testauteur Synthetisch"
    assert doc.metadata["date"] == "2023-04-05"
    assert doc.metadata["url"] == "https://example.org/blog/synthetisch-artikel"
    assert doc.metadata["language"] == "nl"
    assert doc.metadata["format"] == "html"


def test_pdf_two_pages(tmp_path: Path) -> None:
    pages = [
        "Synthetisch PDF-testdocument. Eerste pagina met een synthetische zin over samen- werking.",
        "Tweede pagina met andere synthetische tekst.",
    ]
    path = write(tmp_path / "rapport.pdf", make_pdf(pages, title="Synthetisch rapport"))
    doc = load_document(path, tmp_path)
    assert doc.title == "Synthetisch rapport"
    assert [s.page for s in doc.sections] == [1, 2]
    assert "Eerste pagina" in doc.sections[0].text
    assert "Tweede pagina" in doc.sections[1].text
    assert doc.metadata["format"] == "pdf"


def test_pdf_dehyphenation_and_paragraphs() -> None:
    from advisor.corpus import _Boilerplate, _pdf_paragraphs

    raw = ("De samen-\nwerking in Noord-\nHolland liep goed en dit is een lange\nregel die doorloopt.\n"
           "Kort.\nNieuwe alinea hier.")
    out = _pdf_paragraphs(raw, _Boilerplate(DEFAULT_BOILERPLATE, "Titel"))
    assert out.startswith("De samenwerking in Noord-Holland liep goed en dit is een lange regel die doorloopt.")
    assert out.endswith("Kort.\n\nNieuwe alinea hier.")


def test_encrypted_pdf_is_skipped(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Geheime synthetische tekst."]))))
    writer.encrypt(user_password="geheim", owner_password="eigenaar", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    write(tmp_path / "geheim.pdf", buf.getvalue())
    docs, skipped = load_corpus(tmp_path)
    assert docs == []
    assert skipped == [SkippedFile("geheim.pdf", "PDF is encrypted")]


def test_pdf_with_empty_user_password_opens(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Open synthetische tekst."]))))
    writer.encrypt(user_password="", owner_password="eigenaar", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    doc = load_document(write(tmp_path / "open.pdf", buf.getvalue()), tmp_path)
    assert "Open synthetische tekst." in doc.text


def test_corrupt_and_empty_files(tmp_path: Path) -> None:
    write(tmp_path / "kapot.pdf", bytes(range(256)) * 4)
    write(tmp_path / "leeg.md", "")
    write(tmp_path / "kapot.docx", b"PK\x03\x04 geen echte zip")
    write(tmp_path / "scan.pdf", make_pdf([""]))
    docs, skipped = load_corpus(tmp_path)
    reasons = {s.path: s.reason for s in skipped}
    assert docs == []
    assert reasons["kapot.pdf"].startswith("corrupt PDF: ")
    assert reasons["leeg.md"] == "file is empty"
    assert reasons["kapot.docx"].startswith("corrupt DOCX: ")
    assert reasons["scan.pdf"] == "PDF has no extractable text (scanned?)"


def test_only_boilerplate_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "chrome.md", "# Iets\n\nVragen?\n\nAlle mensen\n")
    with pytest.raises(DocumentLoadError, match="no text after removing boilerplate"):
        load_document(path, tmp_path)


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(DocumentLoadError, match=r"unsupported file type \.xyz"):
        load_document(write(tmp_path / "a.xyz", "x"), tmp_path)


def test_docx_heading_paths(tmp_path: Path) -> None:
    doc = load_document(make_docx(tmp_path / "sub" / "notitie.docx"), tmp_path)
    assert doc.title == "Synthetisch DOCX-testdocument"
    assert doc.metadata["author"] == "Testauteur Twee"
    assert doc.metadata["format"] == "docx"
    assert [s.headings for s in doc.sections] == [(), ("Aanpak",), ("Aanpak", "Stap een"), ("Resultaat",)]
    assert doc.sections[2].text == "Synthetische tekst over stap een.\n\nTweede alinea over stap een."


def test_load_corpus_mix(tmp_path: Path) -> None:
    write(tmp_path / "README.md", "# Over dit corpus\n\nUitleg voor mensen, geen document.\n")
    write(tmp_path / "sub" / "README.md", "# Ook geen document\n\nTekst.\n")
    write(tmp_path / "b.md", MARKDOWN)
    write(tmp_path / "a" / "notitie.txt", "Synthetische titel\n\nSynthetische tekst.\n")
    make_docx(tmp_path / "c.docx")
    write(tmp_path / "d.pdf", make_pdf(["Synthetische pagina."]))
    write(tmp_path / ".verborgen" / "x.md", "# Verborgen\n\nTekst.\n")
    write(tmp_path / ".hidden.md", "# Verborgen\n\nTekst.\n")
    write(tmp_path / "plaatje.png", b"\x89PNG")
    write(tmp_path / "z" / "kapot.pdf", b"dit is geen pdf")
    write(tmp_path / "leeg.txt", "  \n")

    docs, skipped = load_corpus(tmp_path)
    assert [d.path for d in docs] == ["a/notitie.txt", "b.md", "c.docx", "d.pdf"]
    assert [s.path for s in skipped] == ["leeg.txt", "z/kapot.pdf"]
    assert skipped[0].reason == "file is empty"
    assert skipped[1].reason.startswith("corrupt PDF")

    again, _ = load_corpus(tmp_path)
    assert [(d.id, d.content_hash) for d in docs] == [(d.id, d.content_hash) for d in again]
    assert len({d.id for d in docs}) == len(docs)


def test_ids_and_hashes(tmp_path: Path) -> None:
    assert document_id("blog/Impact meten.md") == document_id("blog/Impact meten.md")
    assert document_id("blog/Impact meten.md") == "blog-impact-meten"
    path = write(tmp_path / "x.md", "# T\n\nSynthetische tekst.\n")
    first = load_document(path, tmp_path)
    write(tmp_path / "x.md", "# T\n\nSynthetische tekst!\n")
    second = load_document(path, tmp_path)
    assert first.id == second.id
    assert first.content_hash != second.content_hash


def test_vanished_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DocumentLoadError, match="disappeared"):
        load_document(tmp_path / "weg.md", tmp_path)


def test_file_vanishing_during_load_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import advisor.corpus as corpus

    write(tmp_path / "blijft.md", "# Blijft\n\nSynthetische tekst.\n")
    monkeypatch.setattr(corpus, "_walk", lambda root: [root / "blijft.md", root / "weg.md"])
    docs, skipped = load_corpus(tmp_path)
    assert [d.path for d in docs] == ["blijft.md"]
    assert skipped == [SkippedFile("weg.md", "file disappeared before it could be read")]


def test_import_is_cheap() -> None:
    import subprocess
    import sys

    code = "import sys, advisor.corpus; print(any(m in sys.modules for m in ('trafilatura', 'pypdf', 'docx')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_txt_front_matter_and_bad_markdown_front_matter(tmp_path: Path) -> None:
    txt = "---\ntitle: Synthetische TXT-titel\ndate: 2021-02-03\n---\nEerste synthetische zin.\n"
    doc = load_document(write(tmp_path / "fm.txt", txt), tmp_path)
    assert (doc.title, doc.metadata["date"]) == ("Synthetische TXT-titel", "2021-02-03")
    assert doc.text == "Eerste synthetische zin."
    bad = write(tmp_path / "bad.md", "---\ntitle: [onaf\n---\nTekst.\n")
    with pytest.raises(DocumentLoadError, match="invalid YAML front matter"):
        load_document(bad, tmp_path)


def test_pdf_title_fallbacks(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "kort.pdf", make_pdf(["Synthetische kop\n\nTekst van de pagina."])), tmp_path)
    assert doc.title == "Synthetische kop"
    long_first = "Een lange synthetische zin die als alinea begint en dus geen titel is. " * 3
    doc = load_document(write(tmp_path / "lang_rapport.pdf", make_pdf([long_first])), tmp_path)
    assert doc.title == "Lang rapport"


def test_same_stem_in_two_formats_gets_two_ids(tmp_path):
    (tmp_path / "notitie.md").write_text("# Notitie\n\nSynthetisch testdocument in Markdown.\n", encoding="utf-8")
    (tmp_path / "notitie.txt").write_text("Notitie\n\nSynthetisch testdocument als platte tekst.\n", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert not skipped
    assert sorted(d.id for d in docs) == ["notitie", "notitie-txt"]


def test_ingest_faults_are_skipped_with_reasons_and_the_rest_loads(tmp_path):
    """Synthetic fault files: too large, a dangling link (unreadable), non-UTF-8 text, random bytes as PDF."""
    (tmp_path / "goed.md").write_text("# Goed\n\nSynthetisch testdocument dat gewoon laadt.\n", encoding="utf-8")
    (tmp_path / "groot.txt").write_bytes(b"Synthetische regel.\n" * 60_000)  # ~1.2 MB
    (tmp_path / "weg.md").symlink_to(tmp_path / "bestaat-niet.md")
    (tmp_path / "latin1.txt").write_bytes("Synthetisch café-document over coördinatie.\n".encode("cp1252"))
    (tmp_path / "kapot.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20)
    docs, skipped = load_corpus(tmp_path, max_bytes=1024 * 1024)
    reasons = {s.path: s.reason for s in skipped}
    assert {d.id for d in docs} == {"goed", "latin1"}
    assert "too large" in reasons["groot.txt"]
    assert "disappeared" in reasons["weg.md"] or "cannot read" in reasons["weg.md"]
    assert reasons["kapot.pdf"].startswith("corrupt PDF") or "no extractable text" in reasons["kapot.pdf"]
    assert "coördinatie" in next(d for d in docs if d.id == "latin1").text
