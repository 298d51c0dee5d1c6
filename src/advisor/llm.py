"""The optional chat-model composer: a LangChain chat model writes the answer, every sentence is verified against
the units it cites before it is released, and the extractive answer is the fallback.

Nothing here imports LangChain at module level: `make_chat_model` loads `langchain_openai` / `langchain_ollama`
only when a provider is configured (`pip install -e '.[llm]'`). The decision to answer stays with `decide()`: this
composer is only called for content answers that `decide()` accepted, and the model may still refuse.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import prompts
from .compose import ExtractiveComposer, expand, runs, source_citation
from .decision import Decision
from .errors import ConfigurationError
from .evidence import Evidence, Unit
from .query import Query
from .settings import LLMSettings
from .text import STOPWORDS, normalize, split_sentences, stem, tokenize
from .types import Answer, Citation, Turn

log = logging.getLogger("advisor.access")  # the access log: fallbacks are logged with their reason, never the text

_MARKS = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_LEADING_MARKS = re.compile(r"^(?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+")
_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Capitalised words that are not sentence-initial: names, organisations, places, months written with a capital.
_NAME = re.compile(r"(?<!^)(?<![.!?:]\s)\b([A-ZÀ-Ý][\wà-ÿ'-]+|[A-Z]{2,}[a-z]?)\b")
_MONTHS = frozenset("januari februari maart april mei juni juli augustus september oktober november december".split())
_NUMBER_WORDS = {"een": "1", "twee": "2", "drie": "3", "vier": "4", "vijf": "5", "zes": "6", "zeven": "7",
                 "acht": "8", "negen": "9", "tien": "10", "elf": "11", "twaalf": "12", "twintig": "20",
                 "dertig": "30", "veertig": "40", "vijftig": "50", "honderd": "100", "duizend": "1000"}
# Chat-template tokens and role labels: text that belongs to a prompt, never to an answer.
_TEMPLATE = re.compile(r"<\|[^|>]*\|>|</?s>|\[/?INST\]|^\s*(?:system|assistant|user|systeem)\s*:|###",
                       re.IGNORECASE | re.MULTILINE)
# Instructions about the assistant itself (a source or question that tries to steer the model, repeated by it).
# The guardrail classifier judges the sentence's e5 vector as well; this catches the plain forms without vectors.
_INSTRUCTION = re.compile(r"\b(?:negeer|vergeet|ignore|disregard|forget)\b.{0,60}\b(?:instructies?|opdrachten?|regels|"
                          r"prompt|instructions?|rules)\b|\b(?:systeemprompt|system prompt|jailbreak)\b",
                          re.IGNORECASE)
_LANGUAGES = ["nl", "en", "de", "fr", "es", "it", "pt", "da", "sv"]


# -- the model --------------------------------------------------------------------------------------------------
def make_chat_model(settings: LLMSettings, *, max_tokens: int | None = None, timeout: float | None = None):
    """The configured LangChain chat model (imported here, lazily); ConfigurationError when it cannot be built."""
    timeout = timeout or settings.timeout
    tokens = max_tokens or settings.max_tokens
    if settings.provider == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise ConfigurationError("ADVISOR_LLM__PROVIDER=openai needs the llm extra: pip install -e '.[llm]'"
                                     ) from exc
        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        # No retries: a rate-limited or failing endpoint gets the extractive answer now, not after backoffs.
        # langchain-openai sends the limit as max_completion_tokens, which llama.cpp's server and older vLLM
        # ignore (they would write until the context is full); max_tokens is what every compatible server reads.
        limit = ({"max_tokens": tokens} if settings.token_field == "max_tokens" else {})
        return ChatOpenAI(model=settings.model or "default", base_url=settings.base_url, api_key=key,
                          timeout=timeout, max_retries=0, temperature=settings.temperature, streaming=True,
                          extra_body=limit or None, **({} if limit else {"max_tokens": tokens}))
    if settings.provider == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise ConfigurationError("ADVISOR_LLM__PROVIDER=ollama needs the llm extra: pip install -e '.[llm]'"
                                     ) from exc
        return ChatOllama(model=settings.model, base_url=settings.base_url, temperature=settings.temperature,
                          num_predict=tokens, client_kwargs={"timeout": timeout})
    raise ConfigurationError(f"no chat model for ADVISOR_LLM__PROVIDER={settings.provider!r}")


class ModelHealth:
    """What /readyz reports about the model: ok, or degraded for a while after a failed call."""

    def __init__(self, degraded_seconds: float = 60.0) -> None:
        self.degraded_seconds = degraded_seconds
        self._lock = threading.Lock()
        self._failed_at: float | None = None
        self.reason: str | None = None

    def ok(self) -> None:
        with self._lock:
            self._failed_at, self.reason = None, None

    def failed(self, reason: str) -> None:
        with self._lock:
            self._failed_at, self.reason = time.monotonic(), reason

    @property
    def status(self) -> str:
        with self._lock:
            if self._failed_at is not None and time.monotonic() - self._failed_at < self.degraded_seconds:
                return "degraded"
            return "ok"


class ModelUnavailable(Exception):
    """The endpoint failed, stalled past the deadline or sent nothing usable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _text_of(chunk: Any) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return ""


def stream_with_deadline(chat, messages, deadline: float) -> Iterator[str]:
    """The model's text pieces; ModelUnavailable when the call fails or the deadline passes (even mid-read)."""
    pieces: queue.Queue = queue.Queue()
    done = object()
    cancelled = threading.Event()

    def pump() -> None:
        try:
            stream = chat.stream(messages)
            try:
                for chunk in stream:
                    if cancelled.is_set():  # closing the stream closes the connection: the server can stop
                        break
                    pieces.put(_text_of(chunk))
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        except Exception as exc:  # noqa: BLE001 - any failure of the endpoint means: extractive answer
            pieces.put(ModelUnavailable(f"error:{type(exc).__name__}"))
        pieces.put(done)

    # A daemon thread: a stalled socket cannot hold the answer; the HTTP read timeout ends the thread later.
    threading.Thread(target=pump, daemon=True, name="advisor-llm").start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ModelUnavailable("timeout")
            try:
                item = pieces.get(timeout=remaining)
            except queue.Empty:
                raise ModelUnavailable("timeout") from None
            if item is done:
                return
            if isinstance(item, ModelUnavailable):
                raise item
            yield item
    finally:
        cancelled.set()  # also when the consumer stops early (the model refused, or the client went away)


def invoke_with_deadline(chat, messages, timeout: float) -> str:
    return "".join(stream_with_deadline(chat, messages, time.monotonic() + timeout))


# -- language -----------------------------------------------------------------------------------------------------
_LANGID = None
_LANGID_LOCK = threading.Lock()


def language(text: str) -> str:
    """The language of text (langid, restricted to the languages a model is likely to drift into)."""
    global _LANGID
    with _LANGID_LOCK:
        if _LANGID is None:
            from langid.langid import LanguageIdentifier, model

            identifier = LanguageIdentifier.from_modelstring(model, norm_probs=True)
            identifier.set_languages(_LANGUAGES)
            _LANGID = identifier
        return _LANGID.classify(text)[0]


def warm_up() -> None:
    """Load the language model (a few seconds) before a deadline starts counting."""
    language("Dit is een zin.")


def is_dutch(text: str) -> bool:
    """Dutch, or too short to tell (under four words: the term checks then decide)."""
    return len(tokenize(text)) < 4 or language(text) == "nl"


# -- sources and verification -------------------------------------------------------------------------------------
@dataclass
class Source:
    """One numbered source of the prompt: a run of adjacent selected units, quoted as one citation."""

    n: int
    units: list[Unit]
    citation: Citation
    text: str
    terms: frozenset[str] = frozenset()
    norm: str = ""
    numbers: frozenset[str] = frozenset()


def sources_of(decision: Decision) -> list[Source]:
    """The evidence units decide() selected, as numbered sources (the same runs the extractive answer cites)."""
    out = []
    for n, run in enumerate(runs(expand(decision.units)), start=1):
        text = "\n".join(("- " + u.text) if u.kind == "item" else u.text for u in run)
        terms = frozenset().union(*(u.terms for u in run))
        norm = normalize(text)
        out.append(Source(n=n, units=list(run), citation=source_citation(n, run), text=text, terms=terms,
                          norm=norm, numbers=frozenset(_numbers(norm))))
    return out


def _numbers(norm: str) -> list[str]:
    found = [m.group().replace(".", "").replace(",", ".") if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", m.group())
             else m.group().replace(",", ".") for m in _NUMBER.finditer(norm)]
    found += [_NUMBER_WORDS[w] for w in norm.split() if w in _NUMBER_WORDS and w != "een"]
    return found


@dataclass
class Verdict:
    ok: bool
    reason: str  # ok | uncited | wrong_citation | number | name | unsupported | language | injection | empty
    cited: tuple[int, ...] = ()
    coverage: float = 0.0
    similarity: float | None = None


@dataclass
class Verifier:
    """Checks one sentence against the sources it cites: citations exist, numbers, dates and names occur, content
    terms occur (stems, compound parts) or are entailed (e5 similarity), Dutch, and no instruction."""

    analyze: Callable[[str], list[str]]
    min_coverage: float = 0.6
    min_similarity: float = 0.896
    embed: Callable[[str], np.ndarray] | None = None
    unit_vector: Callable[[Unit], np.ndarray | None] | None = None
    injection: Callable[[np.ndarray, str], bool] | None = None  # the guardrail on the sentence (vector, text)

    def check(self, sentence: str, sources: dict[int, Source], inherited: tuple[int, ...] = ()) -> Verdict:
        cited = tuple(dict.fromkeys(int(n) for m in _MARKS.finditer(sentence)
                                    for n in re.split(r"\s*[,;]\s*", m.group(1))))
        body = " ".join(_MARKS.sub(" ", sentence).split())
        if not any(c.isalpha() for c in body):
            return Verdict(False, "empty", cited)
        if _TEMPLATE.search(sentence) or _INSTRUCTION.search(body):
            return Verdict(False, "injection", cited)
        if not is_dutch(body):
            return Verdict(False, "language", cited)
        if any(n not in sources for n in cited):
            return Verdict(False, "wrong_citation", cited)
        cited = cited or inherited
        if not cited:
            return Verdict(False, "uncited", cited)
        chosen = [sources[n] for n in cited]
        norm = normalize(body)
        numbers = set().union(*(s.numbers for s in chosen))
        if any(n not in numbers for n in _numbers(norm)):
            return Verdict(False, "number", cited)
        text = " ".join(s.norm for s in chosen)
        terms = frozenset().union(*(s.terms for s in chosen))
        for name in _NAME.findall(body):
            key = normalize(name)
            if key not in text and stem(key) not in terms:
                return Verdict(False, "name", cited)
        for month in _MONTHS & set(norm.split()):
            if month not in text:
                return Verdict(False, "number", cited)
        coverage = self._coverage(body, terms)
        vector = self.embed(body) if self.embed is not None else None
        if vector is not None and self.injection is not None and self.injection(vector, body):
            return Verdict(False, "injection", cited, coverage)
        if coverage >= self.min_coverage:
            return Verdict(True, "ok", cited, coverage)
        similarity = self._similarity(vector, chosen)
        # Entailment as far as it can be measured here: most terms present and the meaning close to a cited unit.
        if similarity is not None and similarity >= self.min_similarity and coverage >= self.min_coverage / 2:
            return Verdict(True, "ok", cited, coverage, similarity)
        return Verdict(False, "unsupported", cited, coverage, similarity)

    def _coverage(self, body: str, terms: frozenset[str]) -> float:
        """Share of the sentence's content words found in the cited units: as a stem, or through all its parts."""
        words = [w for w in dict.fromkeys(tokenize(body)) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]
        if not words:
            return 1.0
        found = 0
        for word in words:
            analysed = self.analyze(word)
            if not analysed:
                found += 1
                continue
            head, parts = analysed[0], analysed[1:]
            found += head in terms or (bool(parts) and all(p in terms for p in parts))
        return found / len(words)

    def _similarity(self, vector: np.ndarray | None, chosen: Sequence[Source]) -> float | None:
        if vector is None or self.unit_vector is None:
            return None
        sims = [float(v @ vector) for s in chosen for u in s.units
                if (v := self.unit_vector(u)) is not None and v.shape == vector.shape]
        return max(sims) if sims else None


# -- segmentation of the streamed text ----------------------------------------------------------------------------
@dataclass
class Piece:
    text: str
    item: bool = False
    paragraph: bool = False  # a blank line before it


def segment(text: str) -> list[Piece]:
    """Sentences and list items of the model's text; citation markers that open a piece belong to the one before."""
    pieces: list[Piece] = []
    blank = False
    for line in text.split("\n"):
        if not line.strip():
            blank = True
            continue
        item = bool(_ITEM.match(line))
        parts = [_ITEM.sub("", line, count=1).strip()] if item else split_sentences(line)
        for i, part in enumerate(parts):
            lead = _LEADING_MARKS.match(part)
            if lead and pieces:
                pieces[-1].text += " " + lead.group().strip()
                part = part[lead.end():].strip()
            if part:
                pieces.append(Piece(part, item=item and i == 0, paragraph=blank and i == 0))
            blank = False
    return pieces


def _has_content(piece: Piece) -> bool:
    return any(c.isalpha() for c in _MARKS.sub("", piece.text))


# -- the composer -------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What the model wrote and what verification kept (eval reads these)."""

    released: list[tuple[Piece, Verdict]] = field(default_factory=list)
    dropped: list[tuple[Piece, Verdict]] = field(default_factory=list)
    fallback: str | None = None
    text: str = ""  # everything the model wrote

    @property
    def kept(self) -> float | None:
        """Share of the model's sentences that passed verification (None: it wrote none)."""
        total = len(self.released) + len(self.dropped)
        return len(self.released) / total if total else None


class LLMComposer:
    """Writes with a chat model, releases only verified sentences, else answers extractively."""

    mode = "llm"

    def __init__(self, chat, *, settings: LLMSettings, verifier: Verifier, fallback: ExtractiveComposer,
                 publisher: str, turns: Sequence[Turn] = (), health: ModelHealth | None = None) -> None:
        self.chat = chat
        self.settings = settings
        self.verifier = verifier
        self.fallback = fallback
        self.publisher = publisher
        self.turns = list(turns)
        self.health = health or ModelHealth(settings.degraded_seconds)
        self.last: Outcome | None = None

    def compose(self, query: Query, evidence: Evidence, decision: Decision) -> Answer:
        answer = None
        for event, data in self.stream(query, evidence, decision):
            if event == "answer":
                answer = data
        assert answer is not None
        return answer

    def stream(self, query: Query, evidence: Evidence, decision: Decision) -> Iterator[tuple[str, Any]]:
        """("delta", text) per released sentence, ("reset", reason) when released text is replaced by the
        extractive answer (whose deltas follow), and finally ("answer", Answer)."""
        outcome = Outcome()
        self.last = outcome
        if not decision.answerable or decision.reason != "answered" or not decision.units:
            # Refusals and metadata answers are not the model's to write (or to overrule).
            yield "answer", self.fallback.compose(query, evidence, decision)
            return
        sources = sources_of(decision)
        by_n = {s.n: s for s in sources}
        messages = prompts.llm_messages(publisher=self.publisher, question=query.text,
                                        sources=[(s.n, s.citation.title, s.text) for s in sources],
                                        turns=[(t.role, t.content) for t in self.turns])
        warm_up()
        deadline = time.monotonic() + self.settings.timeout
        text, done, released_text, lead_marks = "", 0, "", ()
        refusal = normalize(prompts.LLM_NO_ANSWER)[:30]

        def judge(piece: Piece) -> str | None:
            nonlocal released_text, lead_marks
            verdict = self.verifier.check(piece.text, by_n, inherited=lead_marks if piece.item else ())
            if not verdict.ok:
                outcome.dropped.append((piece, verdict))
                return None
            outcome.released.append((piece, verdict))
            if not piece.item:
                lead_marks = verdict.cited if _MARKS.sub("", piece.text).rstrip().endswith(":") else ()
            previous = outcome.released[-2][0] if len(outcome.released) > 1 else None
            joint = "" if previous is None else ("\n- " if piece.item else "\n\n" if piece.paragraph or
                                                 previous.item else " ")
            if piece.item and previous is None:
                joint = "- "
            delta = joint + " ".join(piece.text.split())
            released_text += delta
            return delta

        try:
            for token in stream_with_deadline(self.chat, messages, deadline):
                text += token
                if normalize(text).startswith(refusal):
                    break
                pieces = segment(text)
                last_content = max((i for i, p in enumerate(pieces) if _has_content(p)), default=-1)
                while done < last_content:  # a piece is final once a later one has begun
                    delta = judge(pieces[done])
                    done += 1
                    if delta:
                        yield "delta", delta
            else:
                self.health.ok()
        except ModelUnavailable as exc:
            self.health.failed(exc.reason)
            outcome.fallback = "fallback_timeout" if exc.reason == "timeout" else "fallback_unavailable"
        outcome.text = text
        if normalize(text).startswith(refusal):
            self.health.ok()
            answer = self.fallback.refuse(Decision(False, decision.confidence, "not_in_sources"), evidence)
            answer.mode, answer.reason = "llm", "llm_refused"
            yield from self._finish(outcome, answer, released_text)
            return
        if outcome.fallback is None:
            for piece in segment(text)[done:]:
                if _has_content(piece):
                    delta = judge(piece)
                    if delta:
                        yield "delta", delta
            outcome.fallback = self._fallback_reason(outcome, text)
        if outcome.fallback is not None:
            answer = self.fallback.compose(query, evidence, decision)
            answer.reason = outcome.fallback
            log.info("llm fallback reason=%s released=%d dropped=%d", outcome.fallback, len(outcome.released),
                     len(outcome.dropped))
            yield from self._finish(outcome, answer, released_text)
            return
        cited = list(dict.fromkeys(n for _, v in outcome.released for n in v.cited))
        answer = Answer(answered=True, answer=released_text, citations=[by_n[n].citation for n in sorted(cited)],
                        confidence=decision.confidence, mode="llm", reason="answered")
        yield "answer", answer

    def _fallback_reason(self, outcome: Outcome, text: str) -> str | None:
        total = len(outcome.released) + len(outcome.dropped)
        if not text.strip() or total == 0:
            self.health.failed("empty")
            return "fallback_empty"
        kept = len(outcome.released) / total
        if outcome.released and kept >= self.settings.min_kept:
            return None
        reasons = [v.reason for _, v in outcome.dropped]
        if reasons.count("language") * 2 > len(reasons):
            self.health.failed("language")
            return "fallback_language"
        if "injection" in reasons:
            return "fallback_injection"
        return "fallback_unsupported"

    def _finish(self, outcome: Outcome, answer: Answer, released_text: str) -> Iterator[tuple[str, Any]]:
        if released_text:
            yield "reset", answer.reason
        yield "answer", answer


# -- follow-up rewrite ----------------------------------------------------------------------------------------------
class FollowUpRewriter:
    """A follow-up rewritten into a standalone question by the model, kept only when it uses the conversation's
    words (a rewrite that brings in new words would steer retrieval with the model's own ideas)."""

    def __init__(self, chat, *, timeout: float, health: ModelHealth | None = None) -> None:
        self.chat = chat
        self.timeout = timeout
        self.health = health

    def rewrite(self, question: str, turns: Sequence[Turn]) -> str | None:
        if not any(t.role == "user" for t in turns):
            return None
        messages = prompts.rewrite_messages(question, [(t.role, t.content) for t in turns])
        try:
            text = invoke_with_deadline(self.chat, messages, self.timeout)
        except ModelUnavailable as exc:
            if self.health is not None:
                self.health.failed(exc.reason)
            return None
        candidate = " ".join(_MARKS.sub(" ", text).split()).strip(" \"'“”")
        return candidate if acceptable_rewrite(candidate, question, turns) else None


def acceptable_rewrite(candidate: str, question: str, turns: Sequence[Turn]) -> bool:
    """Only words of the conversation and the question (compared as stems), of a question's length."""
    if not candidate or len(candidate) > 400 or "\n" in candidate:
        return False
    allowed = {stem(w) for w in tokenize(question + " " + " ".join(t.content for t in turns))}
    words = tokenize(candidate)
    return bool(words) and all(w in STOPWORDS or stem(w) in allowed for w in words)


# -- the similarity threshold, fitted on data ----------------------------------------------------------------------
def calibrate_similarity(units: Sequence[tuple[str, str, np.ndarray]], embed: Callable[[str], np.ndarray], *,
                         max_false: float = 0.05, drop_every: int = 3) -> dict[str, float]:
    """The e5 threshold for "this sentence says what its cited unit says", from (document, text, vector) units.

    Positives: each unit's text with every `drop_every`-th word dropped (a sentence that borrows most of the
    unit's words), against its own vector. Negatives: the same sentence against the closest OTHER unit of the
    same document (a citation of the wrong, but related, unit). The threshold is the lowest value that accepts
    at most `max_false` of the negatives."""
    positives, negatives = [], []
    by_doc: dict[str, list[tuple[str, np.ndarray]]] = {}
    for doc, text, vector in units:
        by_doc.setdefault(doc, []).append((text, vector))
    for doc, rows in by_doc.items():
        if len(rows) < 2:
            continue
        matrix = np.stack([v for _, v in rows])
        for i, (text, vector) in enumerate(rows):
            words = text.split()
            if len(words) < 8:
                continue
            sentence = " ".join(w for j, w in enumerate(words) if (j + 1) % drop_every)
            q = embed(sentence)
            sims = matrix @ q
            positives.append(float(sims[i]))
            sims[i] = -1.0
            negatives.append(float(sims.max()))
    ordered = sorted(negatives)
    threshold = ordered[min(len(ordered) - 1, int(np.ceil((1 - max_false) * len(ordered))))] if ordered else 1.0
    return {"threshold": round(threshold, 3), "positives": len(positives), "negatives": len(negatives),
            "accepted_positives": float(np.mean([p >= threshold for p in positives])) if positives else 0.0,
            "accepted_negatives": float(np.mean([n >= threshold for n in negatives])) if negatives else 0.0}
