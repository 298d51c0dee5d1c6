"""Documents as a reader sees them: per-loader fixtures with labelled metadata, body, lists and chrome.

Each fixture in tests/fixtures/loaders has an .expected.json written by hand from the page: the metadata, some
body sentences, the lists (lead-in and items), the headings, and every chrome line (menus, cookie banner, byline,
caption, credit, share/vacancy/contact blocks, footer). The chrome labels are independent of the reader's code.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from advisor.chunking import split
from advisor.corpus import load_corpus
from advisor.text import normalize

FIXTURES = Path(__file__).parent / "fixtures" / "loaders"
CASES = sorted(p.name.removesuffix(".expected.json") for p in FIXTURES.glob("*.expected.json"))


def _load(tmp_path: Path, name: str):
    source = next(p for p in FIXTURES.iterdir() if p.stem == name and not p.name.endswith(".json"))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(source, corpus / source.name)
    documents, skipped = load_corpus(corpus)
    assert not skipped, skipped
    return documents[0], json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def _read_pdf(tmp_path: Path, title: str, lines: list[str]):
    """A one-page PDF: a bold title, then body lines at 10 pt (one paragraph each), read by the loader."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=16)
    pdf.multi_cell(0, 8, new_x="LMARGIN", new_y="NEXT", text=title)
    pdf.set_font("Helvetica", size=10)
    for line in lines:
        pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text=line)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "document.pdf").write_bytes(bytes(pdf.output()))
    [doc], _ = load_corpus(corpus)
    return doc


@pytest.mark.parametrize("name", CASES)
def test_metadata_is_what_the_page_states(tmp_path, name):
    doc, expected = _load(tmp_path, name)
    assert doc.title == expected["title"]
    for field in ("author", "date", "url"):
        assert doc.metadata.get(field) == expected[field], field


@pytest.mark.parametrize("name", CASES)
def test_body_lists_and_headings_are_kept(tmp_path, name):
    doc, expected = _load(tmp_path, name)
    body = normalize(doc.text)
    for sentence in expected["body_sentences"]:
        assert normalize(sentence) in body, sentence
    lists = [b for b in doc.blocks if b.kind == "list"]
    for want in expected["lists"]:
        match = [b for b in lists if [normalize(i) for i in b.items] == [normalize(i) for i in want["items"]]]
        assert match, f"list not read as one list: {want['items'][:2]}"
        assert normalize(want["lead_in"]) in body
    headings = {h for b in doc.blocks for h in b.headings}
    for heading in expected["headings"]:
        assert heading in headings, heading


@pytest.mark.parametrize("name", CASES)
def test_no_chrome_line_reaches_the_index(tmp_path, name):
    doc, expected = _load(tmp_path, name)
    chunks = split(doc, count_tokens=lambda t: len(t.split()), max_tokens=512)
    indexed = [normalize(c.text) for c in chunks]
    units = {normalize(line) for c in chunks for line in c.text.replace("\n- ", "\n").split("\n")}
    for line in expected["chrome"]:
        n = normalize(line)
        # A short label ("Home") may occur inside a sentence; a chrome line must never be a unit of its own,
        # and a longer one (a byline, a caption, a cookie text) must not occur at all.
        assert n not in units, line
        if len(n.split()) >= 4:
            assert not any(n in text for text in indexed), line


def test_pdf_running_headers_footers_and_byline_are_chrome(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.set_title("Factsheet grondwater")
    body = ["Het waterschap stelt een onttrekkingsverbod in zodra de grondwaterstand onder de kritieke grens "
            "zakt. Agrariers mogen dan niet meer beregenen uit grondwater.",
            "Een ontheffing is mogelijk voor kapitaalintensieve teelten. Het waterschap beslist binnen twee weken "
            "op een aanvraag."]
    for n, text in enumerate(body, start=1):
        pdf.add_page()
        pdf.multi_cell(0, 6, "Informatieblad | Waterschap Heidebeek | uitgave 2 april 2024")
        pdf.ln(4)
        pdf.multi_cell(0, 6, text)
        pdf.ln(4)
        pdf.multi_cell(0, 6, f"Waterschap Heidebeek | www.waterschapheidebeek.nl | pagina {n}")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "factsheet.pdf").write_bytes(bytes(pdf.output()))
    [doc], _ = load_corpus(corpus)
    text = normalize(doc.text)
    assert "onttrekkingsverbod" in text and "twee weken" in text
    assert "informatieblad" not in text and "pagina" not in text and "www.waterschapheidebeek.nl" not in text
    assert doc.metadata.get("date") == "2024-04-02"
    assert {reason for _, reason in doc.dropped} >= {"running header or footer"}


def test_pdf_font_sizes_give_title_headings_and_drop_the_header_above_the_title(tmp_path):
    from fpdf import FPDF

    from advisor.chunking import split

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="Netwerk Veilig Bestuur - Factsheet")  # a one-off kicker line, not a running header
    pdf.set_font("Helvetica", "B", size=16)
    pdf.multi_cell(0, 8, new_x="LMARGIN", new_y="NEXT", text="Agressie tegen het lokaal bestuur: wat de cijfers vragen van gemeenten")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="Bestuurders krijgen steeds vaker te maken met bedreiging. Deze factsheet vat de monitor samen.")
    pdf.set_font("Helvetica", "B", size=12)
    pdf.multi_cell(0, 6, new_x="LMARGIN", new_y="NEXT", text="De belangrijkste cijfers")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="Bijna de helft van de ambtsdragers had te maken met agressie:")
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="- In 2022 ging het om 49 procent.")
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="- In 2014 lag dit aandeel op 26 procent.")
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="Vooral de laatste twee jaar is er een forse stijging.")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "factsheet.pdf").write_bytes(bytes(pdf.output()))
    [doc], _ = load_corpus(corpus)
    text = normalize(doc.text)
    assert doc.title.startswith("Agressie tegen het lokaal bestuur")
    assert "factsheet" not in text.split(".")[0] and "netwerk veilig bestuur" not in text
    assert "de belangrijkste cijfers bijna" not in text  # the heading is not glued to the paragraph
    chunks = split(doc, count_tokens=lambda t: len(t.split()), max_tokens=512)
    assert any("De belangrijkste cijfers" in c.context_header for c in chunks)
    paragraphs = doc.text.split("\n\n")
    # the lead-in stays its own paragraph and the two items form one list after it (not glued to the text)
    assert "- In 2022 ging het om 49 procent.\n- In 2014 lag dit aandeel op 26 procent." in paragraphs
    assert any(p.endswith("te maken met agressie:") for p in paragraphs)
    assert ("Netwerk Veilig Bestuur - Factsheet", "header above the title") in doc.dropped


def test_pdf_title_page_month_date_beats_the_files_creation_date(tmp_path):
    """'Utrecht, september 2022' on the title page is the publication date (month precision), not the date the
    PDF file was made; the metadata answer says "in september 2022"."""
    from advisor.prompts import metadata_answer

    doc = _read_pdf(tmp_path, "Handreiking weerbare medewerkers", [
        "Utrecht, september 2022",
        "Sinds september 2022 werken gemeenten met deze handreiking. Zij bespreken agressie in het team en melden "
        "elk incident."])
    assert doc.metadata["date"] == "2022-09"
    assert "Sinds september 2022 werken gemeenten" in doc.text  # a body sentence with a month is kept
    assert "Utrecht, september 2022" not in doc.text
    assert metadata_answer("date", doc.title, doc.metadata["date"]) == \
        "‘Handreiking weerbare medewerkers’ is gepubliceerd in september 2022."


def test_txt_breadcrumb_is_not_the_title_and_an_author_bio_is_not_evidence(tmp_path):
    page = ("Jeugdregio Noorderkempen\nMenu\nVoor ouders\nContact\n\n"
            "U bent hier: Home / Voor professionals / Van zorg naar maatregel\n\n"
            "Van zorg naar maatregel: zo werkt de route\n"
            "Laatst bijgewerkt op 2 november 2023 door Wendy Aarts\n\n"
            "Soms is vrijwillige hulp niet genoeg. Dan vraagt de gemeente de Raad voor de Kinderbescherming om een "
            "onderzoek, en beslist de kinderrechter over een maatregel.\n\n"
            "Wendy Aarts is beleidsadviseur jeugd bij de regio.\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "route.txt").write_text(page, encoding="utf-8")
    [doc], _ = load_corpus(corpus)
    assert doc.title == "Van zorg naar maatregel: zo werkt de route"
    assert doc.metadata["date"] == "2023-11-02" and doc.metadata["author"] == "Wendy Aarts"
    assert "beleidsadviseur" not in doc.text and "U bent hier" not in doc.text
    assert ("Wendy Aarts is beleidsadviseur jeugd bij de regio.", "author bio") in doc.dropped


def test_a_page_that_says_when_it_was_last_changed_gets_both_dates_in_its_date_answer(tmp_path):
    from advisor.reader import byline_fields

    assert byline_fields("Gepubliceerd op 2 oktober 2025 | Laatst gewijzigd op 14 oktober 2025") == \
        {"date": "2025-10-02", "modified": "2025-10-14"}
    assert byline_fields("Laatst gewijzigd: 17 februari 2026") == {"date": "2026-02-17", "modified": "2026-02-17"}
    html = ("<html><head><title>Mantelzorgwaardering</title></head><body><main><h1>Mantelzorgwaardering 2025</h1>"
            "<p class='datum'>Gepubliceerd op 2 oktober 2025</p><p>Mantelzorgers in de gemeente kunnen ook dit jaar "
            "een waardering aanvragen. Dat kan tot en met 15 december via het digitale loket of op papier.</p>"
            "<div class='gewijzigd'>Laatst gewijzigd op 14 oktober 2025</div></main></body></html>")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mantelzorg.html").write_text(html, encoding="utf-8")
    [doc], _ = load_corpus(corpus)
    assert doc.metadata["date"] == "2025-10-02" and doc.metadata["modified"] == "2025-10-14"
    assert "gewijzigd" not in doc.text


def test_label_rows_skip_links_short_titles_tekst_bylines_captions_and_title_page_fields(tmp_path):
    """Chrome shapes from a blind set, by general signals: a row of '|' labels and a skip link before a two-word
    title; a 'Tekst: Naam | datum' byline and a bijschrift caption in HTML; 'Label: waarde' lines on a PDF's
    title page (the author from 'Opgesteld door')."""
    from fpdf import FPDF

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "demonstratie.txt").write_text(
        "Gemeente Almstad\nDirect naar de inhoud\nWonen en leven | Ondernemen | Bestuur | Contact\n\n"
        "Demonstratie melden\nLaatst gewijzigd: 9 januari 2026\n\n"
        "Iedereen mag demonstreren. U meldt een demonstratie minimaal 48 uur vooraf bij de burgemeester.\n\n"
        "Deel deze pagina: Facebook | X | LinkedIn | WhatsApp\n", encoding="utf-8")
    (corpus / "informatiepunt.html").write_text(
        "<html><body><main><h1>Het Informatiepunt Digitale Overheid helpt</h1>"
        "<div class='byline'>Tekst: Hanneke Smulders | 27 januari 2026</div>"
        "<div class='bijschrift'>Medewerker Yusuf Demir helpt een bezoeker bij het informatiepunt.</div>"
        "<p>Steeds meer zaken met de overheid regel je online. In de bibliotheek helpen medewerkers inwoners die "
        "daar moeite mee hebben, gratis en zonder afspraak.</p></main></body></html>", encoding="utf-8")
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=16)
    pdf.multi_cell(0, 8, new_x="LMARGIN", new_y="NEXT", text="Uitvoeringsplan inburgering 2026")
    pdf.set_font("Helvetica", size=10)
    for line in ("Datum: 3 februari 2026", "Versie: 1.0, vastgesteld door het college",
                 "Opgesteld door: Nadia Bouzian, beleidsadviseur inburgering"):
        pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text=line)
    pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="Sinds 2022 zijn gemeenten verantwoordelijk voor de "
                   "inburgering van nieuwkomers. Zij begeleiden inburgeringsplichtigen vanaf het begin.")
    (corpus / "uitvoeringsplan.pdf").write_bytes(bytes(pdf.output()))
    docs = {d.id: d for d in load_corpus(corpus)[0]}
    txt, html, plan = docs["demonstratie"], docs["informatiepunt"], docs["uitvoeringsplan"]
    assert txt.title == "Demonstratie melden"
    assert "Facebook" not in txt.text and "Ondernemen" not in txt.text and "inhoud" not in txt.text
    assert html.metadata["author"] == "Hanneke Smulders" and "Yusuf" not in html.text
    assert plan.metadata["author"] == "Nadia Bouzian" and plan.metadata["date"] == "2026-02-03"
    assert "Versie" not in plan.text and "Opgesteld" not in plan.text and "inburgering van nieuwkomers" in plan.text


def test_a_title_bar_and_byline_above_the_body_div_and_the_site_name_in_the_title_tag(tmp_path):
    """A page without <article>/<main> whose h1 and 'Door …' line stand in divs above the body div: they still
    give the title and the author (not evidence); the site name after '|' in <title> is the publisher; an
    academic title in a byline ('drs.') is part of the name, not a sentence end. A 'Lees ook' teaser after the
    body has another page's byline: it must not become this page's author."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    body = " ".join(["De zeven gemeenten kopen de dagbesteding opnieuw in, met meer ruimte voor activiteiten in de "
                     "wijk en een eenvoudiger toegang voor lichte vormen van ondersteuning."] * 4)
    (corpus / "inkoop.html").write_text(
        "<html><head><title>Inkoop dagbesteding | Sociaal Domein Oostland</title></head><body>"
        "<div class='kop'><div class='naam'>Sociaal Domein Oostland</div></div>"
        "<div class='kopregel'><h1>Nieuwe inkoop dagbesteding: wat verandert er?</h1></div>"
        "<div class='info'>Door Karin Wessels, beleidsadviseur Wmo | 3 april 2025</div>"
        f"<div class='tekst'><p>{body}</p><p>{body}</p></div>"
        "<div class='teaser'><div>Door Piet Jansen | 1 maart 2024</div></div></body></html>", encoding="utf-8")
    (corpus / "edepot.txt").write_text(
        "Streekarchief Eemland\nHome\nContact\n\nAansluiten op het e-depot\n"
        "Auteur: drs. Joost van Wingerden, gemeentearchivaris | 25 maart 2025\n\n"
        "Gemeenten maken en ontvangen bijna alle informatie digitaal, en brengen die na tien jaar over.\n",
        encoding="utf-8")
    docs = {d.id: d for d in load_corpus(corpus)[0]}
    page, txt = docs["inkoop"], docs["edepot"]
    assert page.title == "Nieuwe inkoop dagbesteding: wat verandert er?"
    assert page.metadata["author"] == "Karin Wessels" and page.metadata["date"] == "2025-04-03"
    assert page.metadata["publisher"] == "Sociaal Domein Oostland"
    assert "Wessels" not in page.text and "Jansen" not in page.text
    assert txt.metadata["author"] == "drs. Joost van Wingerden" and txt.metadata["date"] == "2025-03-25"
    assert "Wingerden" not in txt.text


def test_pdf_title_page_line_with_a_full_date_is_the_documents_date_and_stays_text(tmp_path):
    """'Versie 2.1, vastgesteld door het bestuur op 26 juni 2024' on the title page: the date the document states
    for itself beats the PDF file's creation date; the line is content too (who adopted it when), so it is kept."""
    doc = _read_pdf(tmp_path, "Regionaal draaiboek nooddrinkwater", [
        "Versie 2.1, vastgesteld door het Algemeen Bestuur op 26 juni 2024",
        "Bij een langdurige storing richt de veiligheidsregio distributiepunten in. Elke inwoner krijgt drie liter "
        "water per dag."])
    assert doc.metadata["date"] == "2024-06-26"
    assert "vastgesteld door het Algemeen Bestuur op 26 juni 2024" in doc.text


def test_pdf_bullet_paragraphs_are_one_list_with_its_lead_in(tmp_path):
    """A PDF list whose bullet items ('•', '*', '▪') come out as separate paragraphs is read as one list: the items
    are units that travel with their lead-in, not loose sentences starting with a bullet."""
    from advisor.chunking import chunk_units

    items = ("een exploitatievergunning voor een horecabedrijf;", "een vergunning voor een seksbedrijf;",
             "een aanwezigheidsvergunning voor speelautomaten.")
    doc = _read_pdf(tmp_path, "Beleidslijn Wet Bibob", [
        "De burgemeester past de wet toe bij aanvragen voor de volgende vergunningen:",
        *(f"* {item}" for item in items),  # core fonts have no "•"
        "In 2024 voerde de gemeente 57 toetsen uit."])
    chunks = split(doc, count_tokens=lambda t: len(t.split()), max_tokens=512)
    units = [(kind, text) for c in chunks for _, text, kind in chunk_units(c.text)]
    items = [text for kind, text in units if kind == "item"]
    assert len(items) == 3 and items[0].startswith("een exploitatievergunning")
    lead = next(i for i, (kind, text) in enumerate(units) if text.endswith("vergunningen:"))
    assert units[lead + 1][0] == "item"


def test_a_byline_whose_author_is_a_team_a_department_or_a_name_without_door_keeps_it_as_the_author():
    from advisor.reader import byline_fields

    assert byline_fields("Door team Onderwijs en Jeugd · 14 maart 2025") == \
        {"date": "2025-03-14", "author": "team Onderwijs en Jeugd"}
    assert byline_fields("Door Piet Jansen en Anna de Vries, 2 mei 2024") == \
        {"date": "2024-05-02", "author": "Piet Jansen en Anna de Vries"}
    assert byline_fields("Geplaatst door de redactie op 3 mei 2021") == {"date": "2021-05-03"}  # no name stated
    # no "Door": a name first in a dated byline, with or without a role after it
    assert byline_fields("Ruben Achterberg, ketenadviseur | 28 maart 2024") == \
        {"date": "2024-03-28", "author": "Ruben Achterberg"}
    assert byline_fields("Marloes Dijkman | 9 september 2025 | 5 minuten leestijd") == \
        {"date": "2025-09-09", "author": "Marloes Dijkman"}
    assert byline_fields("Nieuws | 3 maart 2025") == {"date": "2025-03-03"}  # one word is no name
    # "Door:" with a colon, as plain-text page dumps often have it
    assert byline_fields("Door: Anouk Veldman | Gepubliceerd: 18 augustus 2025") == \
        {"date": "2025-08-18", "author": "Anouk Veldman"}


def test_a_compiled_by_line_with_a_month_and_a_published_by_line_give_author_date_and_publisher():
    from advisor.reader import byline_fields

    assert byline_fields("Opgesteld door Pieter Wolthuis, beleidsadviseur spelen | juni 2025") == \
        {"date": "2025-06", "author": "Pieter Wolthuis"}
    assert byline_fields("Een publicatie van het Regionaal Informatie- en Expertisecentrum (RIEC) Noordkust voor "
                         "havenmeesters, eigenaren van jachthavens en gemeenten.") == \
        {"publisher": "Regionaal Informatie- en Expertisecentrum (RIEC) Noordkust"}
    assert byline_fields("Uitgegeven door Omgevingsdienst Vlietstreek, 4 april 2025") == \
        {"publisher": "Omgevingsdienst Vlietstreek", "date": "2025-04-04"}
    # a sentence that merely mentions who made or adopted something stays text
    assert byline_fields("Het plan is opgesteld door de gemeente samen met bewoners.") is None
    assert byline_fields("Vastgesteld door de gemeenteraad op 24 juni 2025") is None
    assert byline_fields("een publicatie van vorig jaar liet zien dat het werkt") is None


def _title_page_pdf(tmp_path: Path, lines: list[tuple[int, str]]) -> Any:
    """A two-page PDF: the (font size, text) lines of its title page, then a page of body text at 10 pt."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 12, 3, tzinfo=dt.timezone.utc))  # the day the file was made
    pdf.add_page()
    for size, text in lines:
        pdf.set_font("Helvetica", "B" if size > 12 else "", size=size)
        pdf.multi_cell(0, size * 0.6, new_x="LMARGIN", new_y="NEXT", text=text)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for _ in range(3):
        pdf.multi_cell(0, 5, new_x="LMARGIN", new_y="NEXT", text="Wie grond wil verplaatsen, toetst de kwaliteit "
                       "eerst aan de bodemkwaliteitskaart van de gemeente en meldt het grondverzet vooraf.")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "handreiking.pdf").write_bytes(bytes(pdf.output()))
    [doc], _ = load_corpus(corpus)
    return doc


def test_a_pdf_title_page_names_its_publisher_and_its_month(tmp_path):
    # The organisation above the title (at or above body size) publishes it; "Datum: september 2025" is the
    # document's date, not the file's creation date; neither line is evidence.
    doc = _title_page_pdf(tmp_path, [(12, "Omgevingsdienst Vlietstreek"), (22, "Handreiking grondverzet"),
                                     (10, "Datum: september 2025"), (10, "Kenmerk: ODV/BOD/2025-118")])
    assert doc.title == "Handreiking grondverzet"
    assert doc.metadata.get("publisher") == "Omgevingsdienst Vlietstreek"
    assert doc.metadata.get("date") == "2025-09"
    assert "Vlietstreek" not in doc.text and "september 2025" not in doc.text


def test_a_pdf_title_page_field_uitgave_names_the_publisher(tmp_path):
    doc = _title_page_pdf(tmp_path, [(22, "Handreiking grondverzet"),
                                     (10, "Uitgave: Omgevingsdienst Vlietstreek, team Bodem"),
                                     (10, "Datum: 4 september 2025")])
    assert doc.metadata.get("publisher") == "Omgevingsdienst Vlietstreek"
    assert doc.metadata.get("date") == "2025-09-04"


def test_a_pdf_report_compiled_by_a_person_for_a_commissioner_keeps_author_publisher_and_the_stated_day(tmp_path):
    # "Opgesteld door X | juni 2025" is a byline (a month); the adoption line states the day and stays text;
    # "In opdracht van de gemeente X" names who the report is for (the publisher when none is named) and stays text.
    doc = _title_page_pdf(tmp_path, [(22, "Speelruimteplan Wervelde"),
                                     (10, "Opgesteld door Pieter Wolthuis, beleidsadviseur spelen | juni 2025"),
                                     (10, "In opdracht van de gemeente Wervelde"),
                                     (10, "Vastgesteld door de gemeenteraad op 24 juni 2025")])
    assert doc.metadata.get("author") == "Pieter Wolthuis"
    assert doc.metadata.get("date") == "2025-06-24"
    assert doc.metadata.get("publisher") == "gemeente Wervelde"
    assert "Pieter Wolthuis" not in doc.text
    assert "In opdracht van de gemeente Wervelde" in doc.text and "24 juni 2025" in doc.text


def test_a_kicker_above_a_pdf_title_is_no_publisher(tmp_path):
    doc = _title_page_pdf(tmp_path, [(12, "Factsheet"), (22, "Handreiking grondverzet"), (10, "Versie 1.0")])
    assert "publisher" not in doc.metadata


def test_a_table_in_html_or_markdown_is_a_list_of_its_rows_under_its_lead_in(tmp_path):
    # Each row is one evidence unit ("21 jaar en ouder | € 338"), not one run-on sentence glued to the next
    # paragraph; a Markdown table is no longer dropped as a row of short labels.
    (tmp_path / "toeslag.html").write_text(
        "<html><head><meta charset=\"utf-8\"><title>Studietoeslag</title></head><body><main><h1>Studietoeslag aanvragen</h1>"
        "<p>Vanaf 1 januari 2025 gelden de volgende bedragen per maand:</p>"
        "<table><tr><th>Leeftijd</th><th>Bedrag per maand</th></tr><tr><td>21 jaar en ouder</td><td>€ 338</td></tr>"
        "<tr><td>20 jaar</td><td>€ 270</td></tr></table>"
        "<p>De toeslag wordt elke maand rond de 25e op uw rekening gestort.</p></main></body></html>",
        encoding="utf-8")
    (tmp_path / "zwemwater.md").write_text(
        "# Zwemwater\n\nIn 2024 gold op deze plekken een waarschuwing:\n\n"
        "| Zwemplek | Dagen met waarschuwing |\n| --- | --- |\n| Grote Plas | 14 |\n| Kleine Wiel | 3 |\n\n"
        "Controleer voor u gaat zwemmen altijd de actuele status van de zwemplek.\n", encoding="utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert not skipped
    by_id = {d.id: d for d in docs}
    html, md = by_id["toeslag"], by_id["zwemwater"]
    rows = next(b for b in html.blocks if b.kind == "list").items
    assert rows == ("Leeftijd | Bedrag per maand", "21 jaar en ouder | € 338", "20 jaar | € 270")
    assert next(b for b in md.blocks if b.kind == "list").items == (
        "Zwemplek | Dagen met waarschuwing", "Grote Plas | 14", "Kleine Wiel | 3")
    assert "- 21 jaar en ouder | € 338\n" in html.text and "- Grote Plas | 14\n" in md.text
