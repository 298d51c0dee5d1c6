"""Streaming, feedback, documents, embeddable HTML, the demo page and CORS (in-process, hash embedder)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from advisor.advisor import Advisor
from advisor.faq import render_answer, safe_url
from advisor.types import Answer, Citation
from api.app import create_app

from . import wait_until_ready

from ..conftest import SYNTHETIC_DOC


@pytest.fixture
def settings(hash_settings, tmp_path):
    return hash_settings.model_copy(update={"feedback_db": tmp_path / "fb.sqlite3",
                                            "cors_origins": ["https://www.example.nl"]})


@pytest.fixture
def client(settings, corpus_dir):
    (corpus_dir / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    advisor = Advisor(settings)
    advisor.ingest()
    with TestClient(create_app(settings, advisor=advisor)) as c:
        wait_until_ready(c)
        yield c


def _events(body: str) -> list[tuple[str, dict]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_stream_sends_retrieval_deltas_citations_and_done(client):
    with client.stream("POST", "/v1/chat/stream", json={"question": "Waarom is mandaat belangrijk?"}) as res:
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/event-stream")
        events = _events("".join(res.iter_text()))
    names = [e for e, _ in events]
    assert names[0] == "retrieval" and names[-2:] == ["citations", "done"]
    assert names.count("delta") >= 2
    done = events[-1][1]
    assert "".join(d["text"] for e, d in events if e == "delta") == done["answer"]
    assert done["answer_id"] and done["answered"] is True
    assert done["citations"] == events[-2][1]["citations"]


def test_stream_rejects_an_empty_question_before_streaming(client):
    res = client.post("/v1/chat/stream", json={"question": " "})
    assert res.status_code == 422 and res.json()["error"]["code"] == "invalid_question"


def test_feedback_is_stored_in_sqlite(client, settings):
    res = client.post("/v1/chat", json={"question": "Waarom is mandaat belangrijk?"})
    answer_id = res.headers["X-Answer-Id"]
    fb = client.post("/v1/feedback", json={"answer_id": answer_id, "rating": "down", "comment": "Te kort.",
                                           "question": "Waarom is mandaat belangrijk?"})
    assert fb.status_code == 201 and fb.json() == {"stored": True}
    rows = sqlite3.connect(settings.feedback_db).execute("SELECT answer_id, rating, comment FROM feedback").fetchall()
    assert rows == [(answer_id, "down", "Te kort.")]
    bad = client.post("/v1/feedback", json={"answer_id": "x", "rating": "maybe"})
    assert bad.status_code == 422


def test_documents_lists_what_the_advisor_knows(client):
    docs = {d["id"]: d for d in client.get("/v1/documents").json()}
    blog = docs["het-belang-van-betrokken-moederorganisaties"]
    assert blog["date"] == "2022-01-20" and blog["author"] == "Sanne Groothuis"
    assert blog["url"].startswith("https://www.twynstragudde.nl/") and "synthetisch" in docs


def test_embed_returns_a_cached_safe_fragment(client):
    res = client.get("/v1/embed", params={"question": "Waarom is mandaat belangrijk? <script>x</script>"})
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert "max-age" in res.headers["cache-control"] and res.headers["etag"]
    assert "<script>" not in res.text and "&lt;script&gt;" in res.text
    again = client.get("/v1/embed", params={"question": "Waarom is mandaat belangrijk? <script>x</script>"},
                       headers={"If-None-Match": res.headers["etag"]})
    assert again.status_code == 304


def test_demo_page_has_the_faq_and_the_widget_tag(client):
    page = client.get("/").text
    assert '<section class="advisor-faq"' in page and "<details" in page
    assert 'src="http://testserver/widget.js" data-advisor-url="http://testserver"' in page


def test_cors_allows_only_listed_origins(client):
    ok = client.options("/v1/chat", headers={"Origin": "https://www.example.nl", "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "content-type"})
    assert ok.headers.get("access-control-allow-origin") == "https://www.example.nl"
    other = client.options("/v1/chat", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in other.headers


def test_rendered_answer_escapes_everything_and_keeps_only_http_links():
    answer = Answer(answered=True, confidence=0.9, answer="Intro:\n\nTekst met <img src=x onerror=alert(1)> [1]",
                    citations=[Citation(n=1, chunk_id="c", document_id="d", title="<b>Titel</b>",
                                        url="javascript:alert(1)", quote="<script>alert(2)</script>")])
    html = render_answer("Vraag <i>?</i>", answer)
    assert "<img" not in html and "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "javascript:" not in html and "href" not in html
    assert safe_url("https://example.org/x") == "https://example.org/x"
    assert safe_url("data:text/html,x") is None and safe_url("//evil") is None
