"""compose(query, evidence, decision) -> Answer: the extractive composer (default). It never writes content.

The answer text is the selected units verbatim with [n] markers; a list's lead-in carries its items as "- " lines;
a metadata answer states the document's field and cites the document. Each citation quotes exactly one run of
adjacent selected units, so a quote never spans text that was not selected.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from . import prompts
from .decision import Decision
from .evidence import Evidence, Unit
from .query import Query
from .sanitize import safe_url
from .types import Answer, Citation

MAX_LIST_ITEMS = 8  # a longer list shows only the items the selection scored as relevant


class Composer(Protocol):
    """Turns a decision on the evidence into the Answer a user reads."""

    mode: str

    def compose(self, query: Query, evidence: Evidence, decision: Decision) -> Answer: ...


def _expand(units: Sequence[Unit]) -> list[Unit]:
    """The chosen units plus what a list needs to be read: a lead-in brings its items, an item its lead-in."""
    out: dict[int, Unit] = {}
    for unit in units:
        lead = unit if unit.items else unit.lead_in
        if lead is None:
            out[id(unit)] = unit
            continue
        out[id(lead)] = lead
        items = lead.items
        if len(items) > MAX_LIST_ITEMS:
            chosen = {id(u) for u in units}
            ranked = sorted(items, key=lambda u: -u.score)[:MAX_LIST_ITEMS]
            items = [u for u in items if id(u) in chosen or u in ranked]
        for item in items:
            out[id(item)] = item
    return sorted(out.values(), key=lambda u: (u.passage.rank if u.passage else 0, u.position))


def _runs(units: Sequence[Unit]) -> list[list[Unit]]:
    """Consecutive units of one chunk form one run (one quote)."""
    runs: list[list[Unit]] = []
    for unit in units:
        last = runs[-1][-1] if runs else None
        if last is not None and last.passage is unit.passage and unit.position == last.position + 1:
            runs[-1].append(unit)
        else:
            runs.append([unit])
    return runs


def _citation(n: int, run: Sequence[Unit]) -> Citation:
    chunk = run[0].passage.chunk
    first, last = run[0], run[-1]
    quote = chunk.text[first.start:last.start + len(last.text)]
    return Citation(n=n, chunk_id=chunk.id, document_id=chunk.document_id, title=str(chunk.metadata.get("title", "")),
                    url=safe_url(chunk.metadata.get("url")), quote=quote, page=chunk.page)


def _run_text(run: Sequence[Unit], n: int) -> str:
    """One run as text: sentences joined by spaces, items as "- " lines, the marker after the last sentence."""
    prose = [i for i, u in enumerate(run) if u.kind != "item"]
    marked = prose[-1] if prose else 0
    text = ""
    for i, unit in enumerate(run):
        piece = unit.text + (f" [{n}]" if i == marked else "")
        if unit.kind == "item":
            text += f"\n- {piece}"
        else:
            text += ("\n\n" if "\n- " in text else " ") + piece
    return text.strip()


def render(units: Sequence[Unit]) -> tuple[str, list[Citation]]:
    """Answer body and citations for content units (already expanded and ordered)."""
    runs = _runs(units)
    citations = [_citation(n, run) for n, run in enumerate(runs, start=1)]
    body = ""
    for n, run in enumerate(runs, start=1):
        part = _run_text(run, n)
        body = part if not body else body + ("\n\n" if "\n- " in part or "\n- " in body else " ") + part
    return body, citations


# The numbered sources of the LLM composer are the same runs the extractive answer cites.
expand, runs, source_citation = _expand, _runs, _citation


def lead_in(units: Sequence[Unit]) -> str:
    documents = {u.document_id for u in units}
    if len(documents) != 1:
        return prompts.ANSWER_LEAD_IN
    meta = units[0].passage.chunk.metadata
    kind = prompts.KIND_NAMES.get(str(meta.get("kind", "")), prompts.KIND_DEFAULT)
    return prompts.ANSWER_LEAD_IN_ONE.format(kind=kind, title=meta.get("title", ""))


class ExtractiveComposer:
    """Quotes the selected evidence; refuses in Dutch with what the sources cover and the contact route."""

    mode = "extractive"

    def __init__(self, *, publisher: str, contact: str, titles: Sequence[str] = ()) -> None:
        self.publisher = publisher
        self.contact = contact
        self.titles = list(titles)

    def refuse(self, decision: Decision, evidence: Evidence | None = None) -> Answer:
        text = prompts.refusal(publisher=self.publisher, contact=self.contact, titles=self.titles,
                               reason=decision.reason)
        if decision.reason == "metadata_missing" and evidence is not None and decision.document_id:
            title = evidence.documents.get(decision.document_id, {}).get("title", "")
            text = prompts.metadata_missing(decision.meta_field or "", title, contact=self.contact)
        return Answer(answered=False, answer=text, confidence=decision.confidence, mode=self.mode,
                      reason=decision.reason)

    def compose(self, query: Query, evidence: Evidence, decision: Decision) -> Answer:
        if not decision.answerable or (decision.reason != "metadata" and not decision.units):
            return self.refuse(decision, evidence)
        if decision.reason == "metadata":
            return self._metadata(evidence, decision)
        units = _expand(decision.units)
        body, citations = render(units)
        return Answer(answered=True, answer=f"{lead_in(units)}\n\n{body}", citations=citations,
                      confidence=decision.confidence, mode=self.mode, reason=decision.reason)

    def _metadata(self, evidence: Evidence, decision: Decision) -> Answer:
        unit = decision.units[0]
        passage = next(p for p in evidence.passages if p.chunk.document_id == unit.document_id)
        chunk = passage.chunk
        title = str(chunk.metadata.get("title", ""))
        text = prompts.metadata_answer(decision.meta_field or "", title, str(unit.value),
                                       modified=str(chunk.metadata.get("modified") or ""))
        if len(decision.units) > 1:  # a second field asked or implied (the organisation, the date): both said
            second = decision.units[1]
            text += " " + prompts.metadata_also(second.meta_field or "", str(second.value))
        citation = Citation(n=1, chunk_id=chunk.id, document_id=chunk.document_id, title=title,
                            url=safe_url(chunk.metadata.get("url")), quote=str(unit.value), page=chunk.page)
        return Answer(answered=True, answer=f"{text} [1]", citations=[citation], confidence=decision.confidence,
                      mode=self.mode, reason="metadata")
