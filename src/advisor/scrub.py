"""Scrubbing personal data out of free text before it is stored (pure functions; the raw text is never kept).

Order matters: the longer, more specific shapes go first (an IBAN contains digit runs a phone number would
also match; a dossier number can look like a BSN).
"""

from __future__ import annotations

import re

EMAIL = "[e-mail]"
IBAN = "[iban]"
DOSSIER = "[zaaknummer]"
ADDRESS = "[adres]"
PHONE = "[telefoon]"
BSN = "[bsn]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE), EMAIL),
    # IBAN: country code, 2 check digits, 11-30 alphanumerics, optionally in groups of four.
    (re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b", re.IGNORECASE), IBAN),
    # Case, dossier, file and reference numbers: a keyword followed by a code that contains a digit.
    (re.compile(r"\b(?:zaak|dossier|kenmerk|referentie|klant|aanvraag|registratie|factuur|polis|case)"
                r"(?:nummer|nr\.?|number)?\s*[:#.]?\s*(?=[A-Z0-9./-]*\d)[A-Z0-9][A-Z0-9./-]{2,}", re.IGNORECASE),
     DOSSIER),
    # Bare codes in the usual shapes: Z-2024-001234, ZK24/00123, D2024-12345.
    (re.compile(r"\b[A-Z]{1,3}[-/]?\d{2,4}[-/]\d{3,}\b"), DOSSIER),
    # Dutch postcode with a house number (either order: "1234 AB 12" or "straat 12, 1234 AB").
    (re.compile(r"\b\d{4}\s?[A-Z]{2}\b(?:[ ,]+\d{1,5}(?:\s?[a-zA-Z]\b)?)?|\b\d{1,5}(?:\s?[a-zA-Z]\b)?,?\s+\d{4}\s?[A-Z]{2}\b"),
     ADDRESS),
    (re.compile(r"(?<![\w+])(?:\+|00)\d{2}[\s.-]?(?:\(0\)[\s.-]?)?\d(?:[\s.-]?\d){7,9}\b"), PHONE),
    (re.compile(r"(?<![\w+])0\d(?:[\s.-]?\d){8}\b"), PHONE),
    # BSN-like: nine digits, optionally grouped 3-3-3 with dots or spaces.
    (re.compile(r"\b\d{3}[.\s]?\d{3}[.\s]?\d{3}\b|\b\d{4}[.\s]?\d{2}[.\s]?\d{3}\b"), BSN),
]


def scrub(text: str | None) -> str | None:
    """`text` with e-mail addresses, IBANs, case/dossier numbers, postcodes+house numbers, phone numbers and
    BSN-like numbers replaced by placeholders."""
    if text is None:
        return None
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
