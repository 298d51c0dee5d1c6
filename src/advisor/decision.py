"""Do the sources answer the question? Guardrails, term coverage (lexical, spelling, meaning) and question type.

Two traps shaped this module (both measured on evals/datasets/corpus.jsonl, see README):
- a fused RRF score carries no confidence, and no single similarity threshold separates on-topic questions
  the sources do not answer from answerable ones: topical similarity is high for both;
- so the decision also checks the *evidence*: are the question's content words covered by the selected
  sentences (same stem, shared compound part, a near spelling, or a near meaning), does the evidence fit
  the question type (a reason for "waarom", a number for "hoeveel"), and are the names the question
  mentions known to the sources at all?
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .text import STOPWORDS, CompoundSplitter, stem, tokenize

# Requests we refuse whatever the sources say: help with crime, and legal judgements on a specific case.
HARMFUL = re.compile(
    r"\b(witwas\w*|wit te wassen|smokkel\w*|ontduik\w*|omzeil\w*|ontloop\w*|ontwijk\w*|"
    r"zonder dat (de )?(politie|gemeente|belastingdienst|om|fiod|riec)\w* (het )?(merk|ontdek|ziet)\w*|"
    r"buiten beeld (blijven|houden)|valse? (facturen|administratie|papieren)|dekmantel|omkop\w*|afpers\w*|"
    r"stroman\w*|onder druk (te )?zet\w*|zet\w* ([\w-]+ ){0,4}onder druk|intimider\w*)\b",
    re.IGNORECASE)
LEGAL = re.compile(
    r"\b(is (dit|dat|het) (wel )?(legaal|rechtmatig|wettelijk toegestaan|toegestaan|strafbaar)|"
    r"(rechtmatig|onrechtmatig|aansprakelijk)\w*|bezwaar (maken|indienen)|in (mijn|onze) zaak|"
    r"juridisch (oordeel|advies)|maak ik kans|winnen (we|wij|ik)|strafbaar\w*|"
    r"(ben|zijn) (ik|wij|we) (daarmee |hiermee |dan )?(aansprakelijk|in overtreding))",
    re.IGNORECASE)

# Evidence for a "why" question has to state a reason or consequence; "hoeveel/hoe vaak" needs a quantity.
_CAUSAL = re.compile(r"\b(omdat|doordat|want|daardoor|waardoor|zodat|leidt tot|leiden tot|anders|reden|risico|"
                     r"belang|belangrijk|nodig|om te|zorgt|daarom)\b", re.IGNORECASE)
_QUANTITY = re.compile(r"\d|\b(twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twaalf|twintig|honderd|duizend|"
                       r"miljoen|miljard|dagelijks|wekelijks|maandelijks|jaarlijks|keer|per (dag|week|maand|jaar|"
                       r"kwartaal))\b", re.IGNORECASE)
_DATE = re.compile(r"\b(\d{4}|\d{1,2}[-/.]\d{1,2}|januari|februari|maart|april|mei|juni|juli|augustus|"
                   r"september|oktober|november|december)\b", re.IGNORECASE)
_DATE_PHRASE = re.compile(r"\b\d{1,2}\s+(januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
                          r"november|december)(\s+\d{4})?\b|\b(19|20)\d{2}\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-zà-ÿ]+ (?:(?:van|de|der|den|ter|ten)\s)*[A-Z][a-zà-ÿ]+")
_QUANTITY_Q = re.compile(r"^\W*(hoeveel|hoe vaak|hoe lang|hoe groot|hoe hoog|wat kost)\b", re.IGNORECASE)
# Words people add to a question that say nothing about what they want to know.
FILLER = frozenset("""
eigenlijk precies nou alweer steeds gewoon even echt graag vraag vragen krijg krijgen weet weten wil willen
zeggen vertel vertellen uitleggen iemand iets dingen ding eens snel kort toch soms ongeveer beetje heel erg
""".split())
# "welke X", "hoeveel X", "wat voor X": X is what the answer must be about (the focus of the question).
_FOCUS = re.compile(r"\b(welke?|hoeveel|wat voor(?: een)?)\s+(.+)", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<![.!?:]\s)(?<!^)\b([A-Z][a-zA-Z]{2,}|[A-Z]{2,}[a-z]?)\b")


@dataclass(frozen=True)
class Decision:
    answerable: bool
    confidence: float
    reason: str  # answered | no_passages | low_similarity | low_coverage | focus_missing | wrong_type | unknown_name
    #              | harmful | legal
    coverage: float = 0.0
    max_dense: float = 0.0


def question_type(question: str) -> str:
    from .text import detect_question_type

    return "quantity" if _QUANTITY_Q.search(question) else detect_question_type(question)


def type_matches(qtype: str, text: str) -> bool:
    if qtype == "why":
        return bool(_CAUSAL.search(text))
    if qtype == "when":
        return bool(_DATE.search(text))
    if qtype == "quantity":  # a date is not an amount: "20 januari 2022" does not answer "hoeveel"
        return bool(_QUANTITY.search(_DATE_PHRASE.sub(" ", text)))
    if qtype == "who":
        return bool(_NAME.search(text)) or bool(re.search(r"\b[A-Z]{2,}", text))
    return True


def unknown_names(question: str, vocabulary: set[str]) -> list[str]:
    """Names and acronyms in the question (capitalised, not sentence-initial) that the sources never mention."""
    # A name is a unit: "Belastingdienst" is not known because "dienst" is (compound parts do not count).
    unknown = []
    for match in _CAPITALISED.finditer(question):
        for token in tokenize(match.group(1)):
            if not {token, token.rstrip("s"), token + "s", token.rstrip("'s")} & vocabulary:
                unknown.append(token)
    return unknown


# Category nouns ask for a list of instances ("welke partijen" -> "gemeenten, politie"): the answer does not
# repeat the category word, so they are no focus to check.
_GENERIC_FOCUS = frozenset("""
partij partijen organisatie organisaties instantie instanties persoon personen mensen rol rollen stap stappen
manier manieren aspect aspecten vorm vormen zaak zaken punt punten onderwerp onderwerpen factor factoren
voorbeeld voorbeelden maatregel maatregelen middel middelen soort soorten type typen
""".split())


# "andere/overige/verdere X" asks for X beyond what is known: evidence about X itself does not answer it.
_CONTRASTIVE = re.compile(r"\b(andere|overige|verdere)\s+\w+", re.IGNORECASE)


def contrastive_word(question: str) -> str | None:
    """The contrastive modifier of a question ("andere" in "Wat zijn de andere inzichten?"), if any."""
    match = _CONTRASTIVE.search(question)
    return match.group(1).lower() if match else None


def focus_word(question: str) -> str | None:
    """The word a "welke/hoeveel/wat voor" question asks about, e.g. "softwarepakket" in "Welk softwarepakket ...?"."""
    match = _FOCUS.search(question)
    if not match:
        return None
    for token in tokenize(match.group(2)):
        if token not in STOPWORDS and token not in FILLER and len(token) >= 3:
            return None if token in _GENERIC_FOCUS else token
    return None


class SpellingIndex:
    """Corrects a word to a corpus word one edit away (symmetric deletes), for typos in informal questions."""

    def __init__(self, vocabulary: Iterable[str], min_length: int = 5) -> None:
        self.vocabulary = set(vocabulary)
        self.min_length = min_length
        self._deletes: dict[str, set[str]] = {}
        for word in self.vocabulary:
            if len(word) >= min_length and word.isalpha():
                for variant in self._variants(word):
                    self._deletes.setdefault(variant, set()).add(word)

    @staticmethod
    def _variants(word: str) -> set[str]:
        return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}

    def correct(self, word: str) -> str | None:
        """The corpus word meant by `word`, or None when it is known already or nothing is close."""
        if word in self.vocabulary or len(word) < self.min_length:
            return None
        candidates = set()
        for variant in self._variants(word):
            candidates |= self._deletes.get(variant, set())
        # Prefer the candidate that keeps the first letter; ties break alphabetically for stable results.
        ranked = sorted(candidates, key=lambda c: (c[0] != word[0], abs(len(c) - len(word)), c))
        return ranked[0] if ranked else None


class TermMatcher:
    """Whether evidence covers each content word of a question: stem, compound part, spelling or meaning."""

    def __init__(self, embedder=None, *, stemmer: str = "dutch_porter", threshold: float = 0.90,
                 cache_size: int = 50_000) -> None:
        self.embedder = embedder
        self.stemmer = stemmer
        self.threshold = threshold
        self._cache: dict[str, np.ndarray] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def groups(self, question: str, splitter: CompoundSplitter | None, spelling: SpellingIndex | None
               ) -> list[tuple[str, set[str]]]:
        """One (word, acceptable stems) pair per content word of the question."""
        groups: list[tuple[str, set[str]]] = []
        seen: set[str] = set()
        for token in tokenize(question):
            if token in STOPWORDS or token in FILLER or len(token) < 2 or token in seen:
                continue
            seen.add(token)
            words = {token}
            corrected = spelling.correct(token) if spelling else None
            if corrected:
                words.add(corrected)
            stems = {stem(w, self.stemmer) for w in words}
            if splitter is not None:
                stems |= {stem(p, self.stemmer) for w in words for p in splitter.split(w) if p not in STOPWORDS}
            groups.append((corrected or token, stems))
        return groups

    def covers_focus(self, word: str, evidence_stems: set[str], evidence_words: Iterable[str],
                     splitter: CompoundSplitter | None, spelling: SpellingIndex | None) -> bool:
        """Whether the evidence is about the question's focus word.

        Stricter than `coverage`: a compound counts by its head only (Dutch compounds are right-headed:
        a "governancemodel" is a model, so "governance" in the evidence does not answer it).
        """
        candidates = {word} | ({spelling.correct(word)} - {None} if spelling else set())
        if splitter is not None:
            candidates |= {splitter.split(w)[-1] for w in list(candidates) if splitter.split(w)}
        if {stem(w, self.stemmer) for w in candidates} & evidence_stems:
            return True
        words = [w for w in set(evidence_words) if len(w) >= 3 and w not in STOPWORDS and not w.isdigit()]
        if self.embedder is None or not words:
            return False
        vectors = self._vectors([word] + words)
        return float(np.max(np.stack([vectors[w] for w in words]) @ vectors[word])) >= self.threshold

    def _vectors(self, words: Sequence[str]) -> dict[str, np.ndarray]:
        missing = [w for w in dict.fromkeys(words) if w not in self._cache]
        if missing:
            # Single words are embedded as queries: word-to-word similarity was measured that way.
            vectors = [self.embedder.embed_query(w) for w in missing]
            with self._lock:
                if len(self._cache) + len(missing) > self._cache_size:
                    self._cache.clear()
                self._cache.update(zip(missing, vectors))
        return {w: self._cache[w] for w in words if w in self._cache}

    def coverage(self, groups: Sequence[tuple[str, set[str]]], evidence_stems: set[str],
                 evidence_words: Iterable[str] = ()) -> float:
        """Share of question words covered by the evidence, lexically or (with an embedder) by meaning."""
        if not groups:
            return 0.0
        covered = [bool(stems & evidence_stems) for _, stems in groups]
        open_words = [w for (w, _), c in zip(groups, covered) if not c and len(w) >= 4 and not w.isdigit()]
        candidates = [w for w in set(evidence_words) if len(w) >= 4 and w not in STOPWORDS and not w.isdigit()]
        if self.embedder is not None and open_words and candidates:
            vectors = self._vectors(open_words + candidates)
            matrix = np.stack([vectors[w] for w in candidates])
            matched = {w for w in open_words if float(np.max(matrix @ vectors[w])) >= self.threshold}
            covered = [c or w in matched for (w, _), c in zip(groups, covered)]
        return sum(covered) / len(groups)
