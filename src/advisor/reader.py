"""Documents as a reader sees them: metadata plus typed blocks, with site chrome recognised by general signals.

Signals, not one site's strings: markup (nav/header/footer/aside/form/figure/button, role and class names such as
"cookie", "share", "newsletter"), link density, block length and sentence punctuation, byline and credit shapes
("Door …", "Geplaatst op …", "Foto: …", "©"), and (in `corpus.py`) repetition across the corpus's documents.
What is recognised is dropped with its reason; a byline's author and date are kept as metadata.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .text import split_sentences
from .types import Block

MONTHS = {m: i for i, m in enumerate(
    "januari februari maart april mei juni juli augustus september oktober november december".split(), 1)}
_MONTH_ABBR = {m[:3]: i for m, i in MONTHS.items()} | {"mrt": 3, "sept": 9}
_DATE_TEXT = re.compile(r"\b(\d{1,2})\s+([a-z]{3,9})\.?\s+((?:19|20)\d{2})\b", re.IGNORECASE)
_DATE_ISO = re.compile(r"\b((?:19|20)\d{2})-(\d{2})-(\d{2})(?!\d)")
_DATE_NUMERIC = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.]((?:19|20)\d{2})\b")
_DATE_MONTH = re.compile(r"\b([a-z]{3,9})\.?\s+((?:19|20)\d{2})\b", re.IGNORECASE)
# Byline shapes: a lead word, then a name and/or a date; or a line that is only a date.
_BYLINE = re.compile(
    r"^(?:(?:geschreven|geplaatst|gepubliceerd|toegevoegd|bijgewerkt|laatst (?:gewijzigd|bijgewerkt|aangepast)|"
    r"laatste (?:wijziging|update)|door|auteur|(?:opgesteld|samengesteld) door|"
    r"datum|published|posted|by)\b[^.!?]{0,120}$)", re.IGNORECASE)
# "Een publicatie van het RIEC Noordkust voor …", "Uitgegeven door Omgevingsdienst X": the publishing organisation.
_PUBLISHED_BY = re.compile(r"^(?:een (?:uitgave|publicatie) van|uitgegeven door|uitgave van)\s+(?:de |het )?(.+)$",
                           re.IGNORECASE)
# "In opdracht van de gemeente Havenstede | januari 2025" on a report's title page: who commissioned it, which
# stands in for the publisher when the report names none; the line stays text.
COMMISSIONED_BY = re.compile(r"^in opdracht van\s+(?:de |het )?(.+)$", re.IGNORECASE)
_NAME_LINKS = {"en", "van", "de", "der", "den", "het"}  # lower-case words inside an organisation's name
_TITLES = r"(?:drs|dr|mr|ir|ing|prof)\."  # "drs. J. Jansen": part of a name, not a sentence end
_NAME_TITLE = re.compile(r"\b" + _TITLES, re.IGNORECASE)
_MODIFIED = re.compile(r"\b(?:bijgewerkt|gewijzigd|aangepast|update)\b", re.IGNORECASE)
_AUTHOR = re.compile(
    r"(?i:\bdoor:?|auteur:?|tekst:|geschreven door:?|\bby:?)\s+"
    # one lower-case word may lead the name ("Door team Onderwijs en Jeugd", "door redactie Wonen")
    r"((?:[a-zà-ÿ]{3,}\s+)?(?:" + _TITLES + r"\s*)*[A-ZÀ-Ý][\w'’.-]+(?:\s+(?:van|de|der|den|ter|ten|het|en|"
    r"[A-ZÀ-Ý][\w'’.-]+)){0,6})")
# A person's name as a byline's first segment: two to four capitalised words (particles between), an optional
# ", role" after it.
_PERSON = re.compile(r"^((?:" + _TITLES + r"\s*)?[A-ZÀ-Ý][a-zà-ÿ'’-]+(?:\s+(?:(?:van|de|der|den|ter|ten|het)\s+)*"
                     r"[A-ZÀ-Ý][a-zà-ÿ'’-]+){1,3})(?:,\s+[a-zà-ÿ][\w\s-]*)?$")
_CREDIT = re.compile(r"^(?:foto|beeld|illustratie|fotografie|afbeelding|photo|image)\s*(?:[:©(]|credits?\b)|©",
                     re.IGNORECASE)
# A breadcrumb trail: "U bent hier: Home / Werkwijze / Casusoverleg", "Home > Nieuws > …".
_BREADCRUMB = re.compile(r"^(?:(?:u|je|jij) bent hier\b|you are here\b|(?:home|start|homepage|hoofdpagina)\s*[/>»›])",
                         re.IGNORECASE)
_SEGMENTS = re.compile(r"\s+[|·•]\s+")  # "Gemeente X | Telefoon … | Markt 1", "Wonen | Ondernemen | Contact"
_PHONE = re.compile(r"^[\s(+]*(?:\d[\s().-]*){9,13}$")
_PHONE_IN = re.compile(r"(?:\+31|\b0)\d{1,3}[\s-]?\d{2,3}[\s-]?\d{2}[\s-]?\d{2}\b")
# Calls to action, in the generic vocabulary of web pages (any site): a short sentence built around one of these
# asks the reader to click, download, subscribe or get in touch; it states nothing about the topic.
_CTA = re.compile(
    r"\b(klik (?:hier|op)|button|knop|onderstaande link|meld je aan|schrijf je in|abonneer\w*|nieuwsbrief|"
    r"cookies?|deel dit|delen via|lees (?:meer|verder|ook)|solliciteer\w*|"
    r"neem (?:gerust )?contact op|gaan graag in gesprek|bel (?:ons|gerust)|mail (?:ons|gerust)|stel je vraag|"
    r"(?:ons|gerust) (?:mailen|bellen)|te (?:bekijken|downloaden|lezen|vinden) (?:op|via) (?:de|onze) website|"
    r"terug naar|(?:direct |ga |spring )?naar (?:de )?(?:hoofd)?inhoud)\b",
    re.IGNORECASE)
# Weaker calls to action ("aanmelden", "bekijk de", button labels, a vacancy): chrome only in a short line that
# states no number or date; in a longer sentence they are content ("vier vacatures bij het Klantcontactcentrum",
# "een paar klikken in een app", "het versturen van een herinnering").
_CTA_WEAK = re.compile(r"\b(aanmelden|inschrijven|bekijk (?:de|alle|onze)|klik\w*|vacatures?|accepteren|weigeren|"
                       r"annuleren|versturen)\b", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*+•·▪◦–]|\d{1,2}[.)])\s+")
_URL_LINE = re.compile(r"^\s*(?:url|bron|source)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", ":", ";", "”", "\"", "’", ")")
# Markup that holds chrome on any site: structural elements, ARIA roles and common class/id words.
_CHROME_TAGS = {"nav", "header", "footer", "aside", "form", "button", "script", "style", "noscript", "svg",
                "iframe", "template", "select", "input", "label", "dialog"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "dialog", "alertdialog", "search", "complementary"}
_CHROME_CLASS = re.compile(
    r"(?:^|[\s_-])(cookie\w*|consent|share|sharing|social|newsletter|nieuwsbrief|breadcrumbs?|kruimelpad|"
    r"related|gerelateerd|lees-?ook|popup|modal|overlay|banner|cta|vacature\w*|vacanc\w*|jobs?|sidebar|"
    r"widget|advert\w*|promo\w*|subscribe|tags?|meta|byline|author|auteur|credits?|caption|\w*bijschrift|"
    r"onderschrift|skip)(?:$|[\s_-])",
    re.IGNORECASE)


@dataclass
class ReadDocument:
    """What a loader read: title, metadata fields, blocks, and what it dropped (text, reason)."""

    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)


# -- small helpers ----------------------------------------------------------------------------
def clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def parse_date(text: str, *, month: bool = False) -> str | None:
    """An ISO date from '2024-03-14', '14 maart 2024', '14-3-2024' (no guessing from a bare year); with
    `month`, also '2022-09' from 'september 2022' (a title page's date)."""
    if m := _DATE_ISO.search(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DATE_TEXT.search(text):
        word = m.group(2).lower()
        mo = MONTHS.get(word) or _MONTH_ABBR.get(word[:4]) or _MONTH_ABBR.get(word[:3])
        if not mo:
            return None
        d, y = int(m.group(1)), int(m.group(3))
    elif m := _DATE_NUMERIC.search(text):
        d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif month and (m := _DATE_MONTH.search(text)) and (mo := MONTHS.get(m.group(1).lower())):
        return f"{int(m.group(2)):04d}-{mo:02d}"
    else:
        return None
    try:
        return dt.date(y, mo, d).isoformat()
    except ValueError:
        return None


def byline_fields(line: str) -> dict[str, str] | None:
    """Author and/or date when `line` is a byline ("Door Anna de Vries | 12 maart 2024"), the publisher when it
    names one ("Een publicatie van het RIEC Noordkust …"), else None."""
    s = clean(line)
    if (m := _PUBLISHED_BY.match(s.rstrip(". "))) and len(s.split()) <= 30 and (name := organisation(m.group(1))):
        date = parse_date(s, month=True)  # a full date, else a month ("Uitgegeven door X | mei 2025")
        return {"publisher": name, "date": date} if date else {"publisher": name}
    if not s or len(s.split()) > 22:
        return None
    date = parse_date(s)

    def only_date(part: str) -> bool:
        return parse_date(part) is not None and \
            len(re.sub(r"[\W\d]+", " ", _DATE_TEXT.sub("", _DATE_ISO.sub("", part))).split()) <= 2

    # "Gemeente X | gepubliceerd 3 maart 2025": a line of short segments, one of them a byline or a date.
    segments = [p for p in _SEGMENTS.split(s) if p]
    short = len(segments) > 1 and all(len(p.split()) <= 8 for p in segments)
    plain = _NAME_TITLE.sub("", s)
    # a whole line that starts in lower case continues a sentence ("gestopt op 1 oktober 2024.")
    if not (_BYLINE.match(plain) or (only_date(s) and not s[:1].islower())
            or (short and any(_BYLINE.match(_NAME_TITLE.sub("", p)) or only_date(p) for p in segments))):
        return None
    if not date and _BYLINE.match(plain):
        date = parse_date(s, month=True)  # "Opgesteld door X, beleidsadviseur | juni 2025": a month
    out = {}
    if date:
        out["date"] = date
    # "Gepubliceerd op 2 oktober 2025 | Laatst gewijzigd op 14 oktober 2025": the date after the change word is
    # when it was last changed (and the publication date when the line states no other).
    if (m := _MODIFIED.search(s)) and (changed := parse_date(s[m.end():])):
        out["modified"] = changed
        out["date"] = parse_date(s[:m.start()]) or changed
    if m := _AUTHOR.search(s):
        name = re.split(r"\s*(?:\||,|·|•| op | - | – )\s*", m.group(1))[0].strip(" .")
        if name and not parse_date(name) and name.lower() not in MONTHS:
            out["author"] = name
    elif len(segments) > 1 and date and (m := _PERSON.match(segments[0])) and not parse_date(segments[0]):
        out["author"] = m.group(1)  # "Ruben Achterberg, ketenadviseur | 28 maart 2024": a name first, no "Door"
    return out


def organisation(text: str) -> str | None:
    """The organisation's name at the start of `text`: capitalised words and the links between them
    ("Regionaal Informatie- en Expertisecentrum (RIEC) Noordkust" from "… Noordkust voor havenmeesters")."""
    words: list[str] = []
    tokens = text.split()
    for n, word in enumerate(tokens):
        core = word.strip("()[]")
        # one lower-case word may lead a name ("gemeente Havenstede"), as in a byline's "Door team X"
        leading = n == 0 and core.isalpha() and len(tokens) > 1 and tokens[1][:1].isupper()
        if not (core[:1].isupper() or leading or (words and core in _NAME_LINKS)):
            break
        words.append(word.rstrip(",.;:"))
        if word.endswith((",", ".", ";", ":")):
            break
    while words and words[-1] in _NAME_LINKS:
        words.pop()
    return " ".join(words) if words and len(words) <= 12 else None


def is_credit(line: str) -> bool:
    s = clean(line)
    return bool(_CREDIT.search(s)) and len(s.split()) <= 20


def chrome_reason(text: str, *, link_density: float = 0.0) -> str | None:
    """Why a body line is chrome (byline, credit, phone, link list, button), or None when it reads as text."""
    s = clean(text)
    if not s:
        return "empty"
    words = s.split()
    if byline_fields(s) is not None:
        return "byline"
    if is_credit(s):
        return "credit"
    trail = re.split(r"\s+[>»›]\s+", s)
    if (_BREADCRUMB.match(s) or (len(trail) >= 2 and all(len(p.split()) <= 4 for p in trail)
                                 and not s.endswith(_SENTENCE_END))) and len(words) <= 20:
        return "breadcrumb"
    single = len(split_sentences(s)) <= 1  # a line of several sentences is text; its sentences are judged alone
    parts = _SEGMENTS.split(s)
    segments = len(parts) > 1  # "Gemeente X | Telefoon 14 0488 | Markt 1": a footer
    if _PHONE.match(s) or (single and _PHONE_IN.search(s) and (len(words) <= 6 or segments or _CTA.search(s))):
        return "phone number"
    # A call to action asks the reader to click, write or call; it states nothing about the topic.
    if single and ((_CTA.search(s) and len(words) <= 25)
                   or (_CTA_WEAK.search(s) and len(words) <= 12 and not re.search(r"\d", s))):
        return "call to action"
    if link_density >= 0.6 and len(words) <= 30:
        return "links"
    # "Wonen | Ondernemen | Bestuur | Contact", "Deel deze pagina: Facebook | X | LinkedIn": a row of labels.
    if len(parts) >= 3 and all(len(p.split()) <= 4 for p in parts) and not s.endswith((".", "?", "!")):
        return "links"
    if len(words) <= 4 and not s.endswith(_SENTENCE_END) and (s.isupper() or link_density > 0):
        return "button"
    return None


def _is_sentence(text: str) -> bool:
    """Ends like a sentence (a short sentence is still text; a label or button does not end like one)."""
    s = clean(text).rstrip("*_ ")
    return len(s.split()) >= 2 and s.endswith(_SENTENCE_END)


def _is_prose(text: str) -> bool:
    s = clean(text)
    return len(s.split()) >= 6 and s.endswith(_SENTENCE_END)


# -- Markdown ---------------------------------------------------------------------------------
def markdown_blocks(body: str) -> ReadDocument:
    """Blocks of a Markdown body (markdown-it-py): headings, paragraphs, lists with items (a table: its
    rows), quotes."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(body)
    doc = ReadDocument()
    path: list[tuple[int, str]] = []
    list_depth = 0
    items: list[str] = []
    in_quote = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            text = _inline_text(tokens[i + 1])
            while path and path[-1][0] >= level:
                path.pop()
            if level == 1 and not doc.title:
                doc.title = text
            else:
                path.append((level, text))
                doc.blocks.append(Block("heading", text, headings=tuple(h for _, h in path[:-1])))
            i += 3
            continue
        if tok.type == "table_open":  # a table is a list of its rows ("Leeftijd | Bedrag"), under its lead-in
            rows, cells = [], []
            while i < len(tokens) and tokens[i].type != "table_close":
                if tokens[i].type == "inline":
                    cells.append(clean(_inline_text(tokens[i])))
                elif tokens[i].type == "tr_close":
                    rows.append(" | ".join(cells))
                    cells = []
                i += 1
            if rows := [r for r in rows if r.strip(" |")]:
                doc.blocks.append(Block("list", "", items=tuple(rows), headings=tuple(h for _, h in path)))
            i += 1
            continue
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
            if list_depth == 1:
                items = []
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
            if list_depth == 0 and items:
                doc.blocks.append(Block("list", "", items=tuple(items), headings=tuple(h for _, h in path)))
                items = []
        elif tok.type == "blockquote_open":
            in_quote += 1
        elif tok.type == "blockquote_close":
            in_quote -= 1
        elif tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            text = _inline_text(tok)
            image = any(c.type == "image" for c in tok.children or [])
            if list_depth:
                if tokens[i - 2].type == "list_item_open" or not items:
                    items.append(text)
                else:
                    items[-1] = f"{items[-1]} {text}"
            elif image and not clean(text):
                pass
            elif image or is_credit(text) or (text.startswith("*") and is_credit(text.strip("*_ "))):
                doc.dropped.append((text, "caption or credit"))
            else:
                reason = chrome_reason(text.strip("*_ "))
                if reason is None and not _is_sentence(text) and len(text.split()) <= 8 and not _next_is_list(tokens, i):
                    reason = "short line without a sentence"
                if reason:
                    doc.dropped.append((text, reason))
                    if reason == "byline":
                        _merge(doc.meta, byline_fields(text.strip("*_ ")) or {})
                elif text:
                    kind = "quote" if in_quote else "paragraph"
                    doc.blocks.append(Block(kind, text, headings=tuple(h for _, h in path)))
        elif tok.type in ("fence", "code_block") and tok.content.strip():
            doc.blocks.append(Block("paragraph", tok.content.strip(), headings=tuple(h for _, h in path)))
        i += 1
    return doc


def _next_is_list(tokens, i: int) -> bool:
    """Whether the paragraph at token i is directly followed by a list (then it is the list's lead-in)."""
    return i + 2 < len(tokens) and tokens[i + 2].type in ("bullet_list_open", "ordered_list_open", "table_open")


def _inline_text(tok) -> str:
    parts = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)  # inline HTML an author wrote is text to quote, never markup to run
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content or "")
    return clean("".join(parts))


def _merge(meta: dict[str, Any], fields: dict[str, str]) -> None:
    for key, value in fields.items():
        meta.setdefault(key, value)


# -- plain text (page dumps) ------------------------------------------------------------------
def text_blocks(text: str, fallback_title: str) -> ReadDocument:
    """Blocks of a .txt page dump: menu lines before the title, URL/Bron header, byline, bullets, chrome."""
    lines = [clean(line) for line in text.split("\n")]
    doc = ReadDocument()
    # The title is the first line that reads like one (several words, not a bullet, a url, a byline or a menu
    # item) and is followed by text: a menu line is followed by more menu lines.
    candidates = [n for n, line in enumerate(lines) if line and _looks_like_title(line)]

    def followed_by_prose(n: int) -> bool:
        rest = [x for x in lines[n + 1:n + 8] if x and not _URL_LINE.match(x) and byline_fields(x) is None]
        # A two-word line ("Demonstratie melden") is a title only right above the text; a menu's last item
        # ("Over ons") is followed by the real title first.
        short = len(lines[n].split()) < 3
        return bool(rest) and (_is_prose(rest[0]) or (not short and len(rest) > 1 and looks_like_heading(rest[0])
                                                       and _is_prose(rest[1])))

    first_prose = next((n for n, line in enumerate(lines)
                        if _is_prose(line) and (len(line.split()) > 20 or line.endswith("."))), len(lines))
    long_candidates = [n for n in candidates if len(lines[n].split()) >= 3]
    chosen = next((n for n in candidates if n < first_prose and followed_by_prose(n)),
                  long_candidates[0] if long_candidates and long_candidates[0] < first_prose else None)
    if chosen is not None:
        doc.title, start = lines[chosen], chosen + 1
    else:
        doc.title, start = fallback_title, 0
    for line in lines[:start]:
        if m := _URL_LINE.match(line):
            doc.meta.setdefault("url", m.group(1))
        elif line and line != doc.title:
            fields = byline_fields(line)
            if fields:
                _merge(doc.meta, fields)
            doc.dropped.append((line, "byline" if fields else "menu"))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:]:
        if not line:
            paragraphs.append([])
            continue
        if m := _URL_LINE.match(line):
            doc.meta.setdefault("url", m.group(1))
            continue
        paragraphs[-1].append(line)
    heading: tuple[str, ...] = ()
    paras = [p for p in paragraphs if p]
    for idx, para in enumerate(paras):
        if any(_BULLET.match(line) for line in para):
            items: list[str] = []
            for i, line in enumerate(para):  # in order: lead-in, items, and text after the list
                if _BULLET.match(line):
                    items.append(_BULLET.sub("", line))
                    continue
                if items:
                    doc.blocks.append(Block("list", "", items=tuple(items), headings=heading))
                    items = []
                if i + 1 < len(para) and _is_prose(para[i + 1]) and _is_heading_line(line):
                    heading = (line,)
                    doc.blocks.append(Block("heading", line))
                else:
                    _text_line(doc, line, heading, next_is_text=True)
            if items:
                doc.blocks.append(Block("list", "", items=tuple(items), headings=heading))
            continue
        following = any(_is_prose(" ".join(p)) for p in paras[idx + 1:idx + 3])
        if len(para) == 1 and _is_heading_line(para[0]) and following:
            heading = (para[0],)
            doc.blocks.append(Block("heading", para[0]))
            continue
        # Three or more lines in a row that are not sentences: a menu, a share bar or a list of links.
        prose = [_is_prose(line) for line in para]
        runs = [i for i in range(len(para)) if not prose[i]
                and sum(1 for j in range(max(0, i - 2), min(len(para), i + 3)) if not prose[j]) >= 3
                and (i + 1 < len(para) and not prose[i + 1] or i > 0 and not prose[i - 1])]
        for i, line in enumerate(para):
            if i in runs and not (i + 1 < len(para) and prose[i + 1] and _is_heading_line(line)):
                doc.dropped.append((line, "menu or link list"))
            elif i + 1 < len(para) and prose[i + 1] and _is_heading_line(line):
                heading = (line,)  # a heading directly above its first paragraph
                doc.blocks.append(Block("heading", line))
            else:
                _text_line(doc, line, heading, next_is_text=following)
    _merge_list_runs(doc)
    return doc


def _text_line(doc: ReadDocument, line: str, heading: tuple[str, ...], *, next_is_text: bool) -> None:
    reason = chrome_reason(line)
    if reason is None and not _is_sentence(line) and len(line.split()) <= 6:
        reason = "short line without a sentence"  # buttons, menu and footer lines
    if reason:
        doc.dropped.append((line, reason))
        if reason == "byline":
            _merge(doc.meta, byline_fields(line) or {})
        return
    if doc.blocks and doc.blocks[-1].kind == "paragraph" and doc.blocks[-1].headings == heading \
            and not doc.blocks[-1].text.endswith(_SENTENCE_END):
        prev = doc.blocks.pop()  # a wrapped line continues its paragraph
        line = f"{prev.text} {line}"
    doc.blocks.append(Block("paragraph", line, headings=heading))


def _merge_list_runs(doc: ReadDocument) -> None:
    merged: list[Block] = []
    for block in doc.blocks:
        if block.kind == "list" and merged and merged[-1].kind == "list" and merged[-1].headings == block.headings:
            merged[-1] = Block("list", "", items=merged[-1].items + block.items, headings=block.headings)
        else:
            merged.append(block)
    doc.blocks = merged


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return (2 <= len(words) <= 20 and not _BULLET.match(line) and byline_fields(line) is None
            and all(chrome_reason(part) is None for part in [line, *split_sentences(line)])
            and not line.endswith((".", ";", ",")) and "http" not in line and not line.isupper())


def _is_heading_line(line: str) -> bool:
    return looks_like_heading(line) and len(line.split()) <= 12 and byline_fields(line) is None \
        and chrome_reason(line) is None


def looks_like_heading(line: str) -> bool:
    return 0 < len(line) < 90 and not line.endswith((".", ":", ";", ",")) and not _BULLET.match(line)


# -- HTML -------------------------------------------------------------------------------------
def html_blocks(data: bytes, fallback_title: str) -> ReadDocument:
    """Blocks of an HTML page: the main content element, chrome removed by markup and text signals."""
    import lxml.html

    root = lxml.html.fromstring(data)
    doc = ReadDocument()
    doc.meta.update(_html_meta(root))
    for el in root.xpath("//comment()|//processing-instruction()"):
        _remove(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if el.tag in _CHROME_TAGS or (el.get("role") or "").lower() in _CHROME_ROLES or \
                _CHROME_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}") or el.get("hidden") is not None \
                or (el.get("aria-hidden") or "") == "true":
            if el.tag not in ("script", "style", "template"):
                text = clean(el.text_content())
                if text and el.tag != "figure":
                    doc.dropped.append((text[:200], f"chrome <{el.tag}>"))
            if el.tag == "header" or len(clean(el.text_content()).split()) <= 25:
                _read_byline_element(el, doc)  # a removed header or byline box still says who and when
            for h1 in el.iter("h1"):
                doc.meta.setdefault("_h1", clean(h1.text_content()))
            _remove(el)
    for fig in root.iter("figure"):
        for cap in fig.iter("figcaption"):
            doc.dropped.append((clean(cap.text_content()), "caption or credit"))
        _remove(fig)
    main = _main_element(root)
    if main is not root:
        _read_outside_main(root, main, doc)
    for t in main.iter("time"):
        if "date" not in doc.meta and (value := parse_date(t.get("datetime", "") or t.text_content())):
            doc.meta["date"] = value
    title_h1 = None
    path: list[tuple[int, str]] = []
    for el in main.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = clean(el.text_content())
            if not text:
                continue
            level = int(el.tag[1])
            if level == 1 and title_h1 is None:
                title_h1 = text
                continue
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, text))
            doc.blocks.append(Block("heading", text, headings=tuple(h for _, h in path[:-1])))
        elif el.tag in ("ul", "ol") and not _has_ancestor(el, ("ul", "ol"), main):
            items = [clean(li.text_content()) for li in el.iter("li") if not _has_ancestor(li, ("li",), el)]
            items = [x for x in items if x]
            density = _link_density(el)
            if items and density < 0.6:
                doc.blocks.append(Block("list", "", items=tuple(items), headings=tuple(h for _, h in path)))
            elif items:
                doc.dropped.append(("; ".join(items)[:200], "link list"))
        elif el.tag in ("p", "blockquote", "dd") or (el.tag == "div" and _is_leaf_text_div(el)):
            if _has_ancestor(el, ("ul", "ol", "blockquote", "table"), main) and el.tag != "blockquote":
                continue
            text = clean(el.text_content())
            if not text:
                continue
            reason = chrome_reason(text, link_density=_link_density(el))
            if reason is None and not _is_sentence(text) and len(text.split()) <= 4:
                reason = "short line without a sentence"
            if reason:
                doc.dropped.append((text, reason))
                if reason == "byline":
                    _merge(doc.meta, byline_fields(text) or {})
                continue
            doc.blocks.append(Block("quote" if el.tag == "blockquote" else "paragraph", text,
                                    headings=tuple(h for _, h in path)))
        elif el.tag == "table":
            rows = [" | ".join(clean(c.text_content()) for c in tr.iter("td", "th")) for tr in el.iter("tr")]
            rows = [r for r in rows if r.strip(" |")]
            if rows:  # a list of its rows: each row is an evidence unit, under the paragraph that leads in
                doc.blocks.append(Block("list", "", items=tuple(rows), headings=tuple(h for _, h in path)))
    doc.title = doc.meta.pop("_headline", None) or title_h1 or doc.meta.pop("_h1", None) \
        or doc.meta.pop("_og_title", None) or doc.meta.pop("_title", None) or fallback_title
    if (site := doc.meta.pop("_site", None)) and site.lower() not in doc.title.lower():
        doc.meta.setdefault("publisher", site)
    for key in ("_headline", "_h1", "_og_title", "_title"):
        doc.meta.pop(key, None)
    return doc


def _remove(el) -> None:
    parent = el.getparent()
    if parent is not None:
        tail = el.tail
        if tail and tail.strip():  # keep text that follows the removed element
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(el)


def _has_ancestor(el, tags: Iterable[str], stop) -> bool:
    node = el.getparent()
    while node is not None and node is not stop:
        if node.tag in tags:
            return True
        node = node.getparent()
    return False


def _is_leaf_text_div(el) -> bool:
    block_children = {"p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "section",
                      "article", "figure"}
    return not any(isinstance(c.tag, str) and c.tag in block_children for c in el) and bool(clean(el.text_content()))


def _link_density(el) -> float:
    text = len(clean(el.text_content()))
    if not text:
        return 0.0
    return sum(len(clean(a.text_content())) for a in el.iter("a")) / text


def _main_element(root):
    for xpath in ("//article", "//main", "//*[@role='main']"):
        found = root.xpath(xpath)
        if found:
            return max(found, key=lambda e: len(clean(e.text_content())))
    # Otherwise: the deepest element that holds most (80 %) of the page's prose (chrome is already removed).
    weight: dict[Any, int] = {}
    depth: dict[Any, int] = {}
    total = 0
    for el in root.iter("p", "div", "blockquote", "li"):
        if el.tag == "div" and not _is_leaf_text_div(el):
            continue
        text = clean(el.text_content())
        if not _is_prose(text):
            continue
        total += len(text)
        node, chain = el.getparent(), []
        while node is not None:
            chain.append(node)
            node = node.getparent()
        for d, node in enumerate(reversed(chain)):
            weight[node] = weight.get(node, 0) + len(text)
            depth[node] = d
    holders = [el for el, w in weight.items() if w >= 0.8 * total]
    return max(holders, key=lambda el: depth[el]) if holders else root


def _read_outside_main(root, main, doc: ReadDocument) -> None:
    """The page's h1 and byline when they stand before the main text, outside it (a title bar, an "info" line
    above the article body): they say what the page is called and who wrote it when; they are not evidence."""
    above = set(main.iterancestors())
    for el in root.iter():
        if el is main:
            break  # only what precedes the main text: a "Lees ook" teaser after it has bylines of other pages
        if not isinstance(el.tag, str) or el in above:
            continue
        if el.tag == "h1":
            doc.meta.setdefault("_h1", clean(el.text_content()))
        elif el.tag == "p" or (el.tag in ("div", "span") and _is_leaf_text_div(el)):
            text = clean(el.text_content())
            if fields := byline_fields(text):
                doc.dropped.append((text[:200], "byline"))
                _merge(doc.meta, fields)


def _read_byline_element(el, doc: ReadDocument) -> None:
    for t in el.iter("time"):
        if value := parse_date(t.get("datetime", "") or t.text_content()):
            doc.meta.setdefault("date", value)
    fields = byline_fields(clean(el.text_content()))
    if fields:
        _merge(doc.meta, fields)


def _html_meta(root) -> dict[str, Any]:
    meta: dict[str, Any] = {}

    def metatag(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                found = root.xpath(f"//meta[@{attr}=$n]/@content", n=name)
                if found and clean(found[0]):
                    return clean(found[0])
        return None

    for script in root.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text_content())
        except ValueError:
            continue
        for obj in (data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []):
            if not isinstance(obj, dict):
                continue
            if obj.get("headline"):
                meta.setdefault("_headline", clean(str(obj["headline"])))
            if value := parse_date(str(obj.get("datePublished", ""))):
                meta.setdefault("date", value)
            author = obj.get("author")
            names = [a.get("name") if isinstance(a, dict) else a for a in (author if isinstance(author, list)
                                                                            else [author] if author else [])]
            names = [clean(str(n)) for n in names if n]
            if names:
                meta.setdefault("author", ", ".join(names))
            publisher = obj.get("publisher")
            if isinstance(publisher, dict) and publisher.get("name"):
                meta.setdefault("publisher", clean(str(publisher["name"])))
            if isinstance(obj.get("url"), str) and obj["url"].startswith("http"):
                meta.setdefault("url", obj["url"])
    if value := metatag("article:published_time", "date", "dc.date", "datePublished"):
        if parsed := parse_date(value):
            meta.setdefault("date", parsed)
    if value := metatag("author", "article:author", "dc.creator"):
        if not value.startswith("http"):
            meta.setdefault("author", value)
    if value := metatag("og:site_name"):
        meta.setdefault("publisher", value)
    if value := metatag("og:url"):
        meta.setdefault("url", value)
    canonical = root.xpath("//link[@rel='canonical']/@href")
    if canonical and canonical[0].startswith("http"):
        meta.setdefault("url", canonical[0])
    if value := metatag("description", "og:description"):
        meta.setdefault("description", value)
    if value := metatag("og:title"):
        meta["_og_title"] = value
    titles = root.xpath("//title/text()")
    if titles and clean(titles[0]):
        parts = re.split(r"\s+[|–—-]\s+", clean(titles[0]))
        meta["_title"] = parts[0]
        if len(parts) > 1 and len(parts[-1].split()) <= 6:
            meta["_site"] = parts[-1]  # "Artikel | Gemeente X": the site that publishes the page
    lang = root.get("lang")
    if lang:
        meta["language"] = lang.lower()
    return meta
