"""Sanitised HTML for embedding answers ("Meer weten?"): everything escaped, only http(s) links."""

from __future__ import annotations

import html
import re
from typing import Iterable, Sequence

from .sanitize import safe_url
from .types import Answer

__all__ = ["read_questions", "render_answer", "render_faq", "safe_url"]

_MARKER = re.compile(r"\[(\d+)\]")


def _inline(text: str) -> str:
    return _MARKER.sub(r'<sup class="advisor-ref">[\1]</sup>', html.escape(text.strip()))


def _paragraphs(text: str) -> str:
    """Paragraphs as <p>; "- " lines (a list the answer quotes) as <ul>, after their lead-in paragraph."""
    out = []
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        if lines and not lines[0].startswith("- "):
            out.append(f"<p>{_inline(lines.pop(0))}</p>")
        items = [f"<li>{_inline(line[2:])}</li>" for line in lines if line.startswith("- ")]
        if items:
            out.append('<ul class="advisor-items">' + "".join(items) + "</ul>")
    return "".join(out)


def render_answer(question: str, answer: Answer, *, heading_level: int = 3, anchor: str | None = None) -> str:
    """One question with its answer and sources, as an accessible HTML fragment with no active content."""
    level = min(max(heading_level, 2), 6)
    anchor_attr = f' id="{html.escape(anchor)}"' if anchor else ""
    parts = [f'<section class="advisor-answer"{anchor_attr}>',
             f"<h{level}>{html.escape(question)}</h{level}>", _paragraphs(answer.answer)]
    if answer.citations:
        parts.append('<ol class="advisor-sources" aria-label="Bronnen">')
        for c in answer.citations:
            url = safe_url(c.url)
            title = html.escape(c.title) + (f" (p. {c.page})" if c.page else "")
            link = f'<a href="{html.escape(url)}" rel="noopener noreferrer">{title}</a>' if url else title
            parts.append(f'<li value="{c.n}">{link}<blockquote>{html.escape(c.quote)}</blockquote></li>')
        parts.append("</ol>")
    parts.append("</section>")
    return "".join(parts)


def render_faq(pairs: Iterable[tuple[str, Answer]], *, title: str = "Meer weten?") -> str:
    """A static Q&A section (works without JavaScript): native <details> per question."""
    items = []
    for i, (question, answer) in enumerate(pairs, start=1):
        body = render_answer(question, answer, heading_level=3).replace(f"<h3>{html.escape(question)}</h3>", "", 1)
        items.append(f'<details class="advisor-faq-item" id="vraag-{i}"><summary>{html.escape(question)}</summary>'
                     f"{body}</details>")
    return (f'<section class="advisor-faq" aria-labelledby="advisor-faq-title"><h2 id="advisor-faq-title">'
            f"{html.escape(title)}</h2>{''.join(items)}</section>")


def read_questions(lines: Sequence[str]) -> list[str]:
    """Questions from a text file: one per line; blank lines and # comments are skipped."""
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
