"""Query: the question and the conversation, analysed once (every later step reads this, none re-analyses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from .text import STOPWORDS, analyze, stem, tokenize
from .types import Turn

# Work stays proportional to a short question: long input is cut before analysis (the cost bound per request).
# Measured on the 886 train/dev questions (with a follow-up's borrowed turn): at most 17 content terms and 33
# words; the caps leave real questions whole and bound what random text costs.
MAX_TERMS = 48
MAX_ANALYSED_WORDS = 64  # of a question (or resolved follow-up) that term analysis and lexical search read
MAX_TURN_CHARS = 200  # of the earlier question a follow-up borrows
MAX_EMBED_TOKENS = 48  # what is embedded of a question, in model tokens (99 % of the 886 train/dev questions fit)
# The Dutch interrogatives: which one opens a question says what kind of answer fits (the fitted models weigh it).
QUESTION_WORDS = ("wie", "wat", "wanneer", "waar", "waarom", "hoe", "hoeveel", "welk", "other")
_QWORD_ALIASES = {"welke": "welk", "waarvoor": "waar", "waarmee": "waar", "waardoor": "waarom", "hoelang": "hoe"}
_FOLLOW_UP_START = {"en", "maar", "dus", "ook", "of", "dan", "waarom", "hoe"}
_ANAPHORA = {"dat", "dit", "die", "daar", "daarvan", "daarmee", "daarvoor", "daarbij", "hun", "ze", "zij", "hem",
             "hen", "ermee", "erover", "ervan", "hiervoor", "hierbij", "zo'n", "zoiets", "het"}
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-ZÀ-Ý][\wà-ÿ'-]{2,}|[A-Z]{2,}[a-z]?)\b")


@dataclass(frozen=True)
class Query:
    """A question as every step sees it."""

    text: str  # what the user asked now (cleaned)
    resolved: str  # the text retrieval uses: a dependent follow-up carries the previous question
    terms: tuple[str, ...]  # analysed content terms (stems, compound parts, corrected typos) of `resolved`
    own_terms: tuple[str, ...]  # the same for `text` alone: what is asked now
    numbers: tuple[str, ...]  # numbers and years the question names
    names: tuple[str, ...]  # capitalised words (not sentence-initial): names, organisations, places
    qword: str  # the opening interrogative (QUESTION_WORDS), "other" for none
    follow_up: bool = False
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # of `resolved` (retrieval, units)
    own_vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # of `text` (guardrail, intent)

    def with_vectors(self, vector: np.ndarray, own_vector: np.ndarray) -> "Query":
        return replace(self, vector=vector, own_vector=own_vector)


def resolve_follow_up(question: str, turns: Sequence[Turn]) -> str:
    """The text to retrieve with: a short dependent follow-up borrows the previous user question."""
    earlier = [t.content for t in turns if t.role == "user" and t.content.strip()]
    if not earlier:
        return question
    tokens = tokenize(question)
    content = [t for t in tokens if t not in STOPWORDS]
    dependent = (len(tokens) <= 10 and ((tokens[:1] and tokens[0] in _FOLLOW_UP_START)
                                        or any(t in _ANAPHORA for t in tokens))) or len(content) < 2
    return f"{earlier[-1][:MAX_TURN_CHARS]} {question}" if dependent else question


def analysed_text(text: str) -> str:
    """The part of a question that analysis and lexical search read: its first MAX_ANALYSED_WORDS words."""
    words = text.split()
    return text if len(words) <= MAX_ANALYSED_WORDS else " ".join(words[:MAX_ANALYSED_WORDS])


def question_word(text: str) -> str:
    for token in tokenize(text)[:6]:
        token = _QWORD_ALIASES.get(token, token)
        if token in QUESTION_WORDS:
            return token
    return "other"


def content_terms(text: str, *, splitter=None, spelling=None, stemmer: str = "dutch_porter") -> tuple[str, ...]:
    """Analysed content terms, typos corrected against the corpus vocabulary, capped at MAX_TERMS."""
    words = []
    for token in tokenize(analysed_text(text))[:MAX_TERMS * 2]:
        if token in STOPWORDS or len(token) < 2:
            continue
        corrected = spelling.correct(token) if spelling is not None else None
        words.append(corrected or token)
    terms = analyze(" ".join(words), splitter, stemmer=stemmer)
    return tuple(dict.fromkeys(terms))[:MAX_TERMS]


def analyse(question: str, turns: Sequence[Turn] = (), *, splitter=None, spelling=None,
            stemmer: str = "dutch_porter", resolved: str | None = None) -> Query:
    """Analyse a (validated) question and its conversation once; `resolved` overrides the follow-up rule (a
    checked rewrite by the chat model)."""
    resolved = resolved or resolve_follow_up(question, turns)
    return Query(
        text=question, resolved=resolved,
        terms=content_terms(resolved, splitter=splitter, spelling=spelling, stemmer=stemmer),
        own_terms=content_terms(question, splitter=splitter, spelling=spelling, stemmer=stemmer),
        numbers=tuple(dict.fromkeys(_NUMBER.findall(question)))[:8],
        names=tuple(dict.fromkeys(stem(t, stemmer) for m in _NAME.finditer(question) for t in tokenize(m.group(1))
                                  if t not in STOPWORDS))[:8],
        qword=question_word(question), follow_up=resolved != question)
