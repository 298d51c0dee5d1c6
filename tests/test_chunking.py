"""Chunking: structure-aware, sentence-aligned, within the token limit, stable ids."""

from __future__ import annotations

from advisor.chunking import split
from advisor.corpus import load_document
from advisor.types import Document, Section

from .conftest import BLOG


def _doc(*sections: Section, **meta) -> Document:
    return Document(id="doc", path="doc.md", title="Titel", sections=sections,
                    metadata={"title": "Titel", "author": "A. Auteur", "publisher": "Uitgever", **meta})


def _sentences(n: int, words: int = 12) -> str:
    return " ".join(f"Zin {i} " + " ".join(["woord"] * (words - 3)) + " einde." for i in range(n))


def test_chunks_never_cross_headings():
    doc = _doc(Section(_sentences(3), ("Kop A",)), Section(_sentences(3), ("Kop B",)))
    chunks = split(doc)
    assert [c.headings for c in chunks] == [("Kop A",), ("Kop B",)]


def test_long_section_is_cut_at_sentence_boundaries_within_word_limits():
    doc = _doc(Section(_sentences(40), ("Lang",)))  # 480 words
    chunks = split(doc, min_words=60, max_words=200)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert len(chunk.text.split()) <= 200
        assert chunk.text.endswith("einde.")  # sentence-aligned
    assert " ".join(" ".join(c.text.split()) for c in chunks) == " ".join(_sentences(40).split())  # nothing lost


def test_token_budget_includes_the_context_header():
    doc = _doc(Section(_sentences(20), ("Kop",)))
    count = lambda text: len(text.split()) * 3  # a model that costs 3 tokens a word
    chunks = split(doc, count_tokens=count, max_tokens=256)
    for chunk in chunks:
        assert count(chunk.indexed_text) <= 256


def test_a_sentence_longer_than_the_budget_is_cut_into_pieces():
    doc = _doc(Section("Een " + " ".join(["heel"] * 400) + " lange zin.", ()))
    chunks = split(doc, count_tokens=lambda t: len(t.split()), max_tokens=100)
    assert len(chunks) >= 4
    assert all(len(c.text.split()) <= 100 for c in chunks)


def test_context_header_carries_title_headings_author_and_publisher():
    chunk = split(_doc(Section(_sentences(2), ("Hoofdstuk", "Paragraaf"))))[0]
    assert chunk.context_header == "Titel | Hoofdstuk | Paragraaf | A. Auteur, Uitgever"
    assert chunk.indexed_text.startswith(chunk.context_header)


def test_ids_are_stable_and_content_derived():
    doc = _doc(Section(_sentences(5), ("Kop",)))
    assert [c.id for c in split(doc)] == [c.id for c in split(doc)]
    changed = _doc(Section(_sentences(5) + " Nieuwe zin erbij.", ("Kop",)))
    assert split(changed)[0].id != split(doc)[0].id


def test_real_blog_chunks_keep_sections_and_fit_minilm():
    doc = load_document(BLOG, BLOG.parent)
    chunks = split(doc, count_tokens=lambda t: int(len(t.split()) * 2.5) + 2, max_tokens=256)
    headings = {c.headings for c in chunks}
    assert ("Mandaat om te handelen",) in headings and ("Gedragen samenwerking",) in headings
    assert all("Neem contact op met" not in c.text for c in chunks)
    mandate = [c for c in chunks if c.headings == ("Mandaat om te handelen",)]
    assert any("ruggenspraak" in c.text for c in mandate)


def test_paragraph_breaks_survive_inside_a_chunk():
    doc = _doc(Section("Toegevoegd door A. Auteur op 1 januari 2022\n\nDe eerste zin van de tekst.", ()))
    [chunk] = split(doc)
    assert chunk.text == "Toegevoegd door A. Auteur op 1 januari 2022\n\nDe eerste zin van de tekst."
