"""Metadata checked at ingest: bad fields are reported and left out, the document is indexed, nothing fails later."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from advisor import cli
from advisor.advisor import Advisor
from advisor.sanitize import check_metadata, plain_text, safe_url
from api.app import create_app

from .api import wait_until_ready

NUMERIC_URL = """---
title: "<b>Nummer</b><script>alert(1)</script> van het mandaat"
url: 12345
---
# Nummer van het mandaat

Dit synthetische testdocument gaat over mandaat in een samenwerkingsverband. Een helder mandaat voorkomt dat
partners steeds moeten terugvallen op ruggenspraak met hun eigen organisatie.
"""
CREDENTIAL_URL = """---
title: Gemeentelijke samenwerking
url: "https://gemeente.nl@evil.example/"
---
# Gemeentelijke samenwerking

Dit synthetische testdocument beschrijft hoe gemeenten in een samenwerkingsverband afspraken maken over mandaat.
"""
SCRIPT_URL = """---
title: Scriptlink
url: "javascript:alert(document.cookie)"
---
# Scriptlink

Dit synthetische testdocument beschrijft de escalatieladder die partners in een convenant vastleggen.
"""


@pytest.mark.parametrize("url, ok", [
    ("https://www.gemeente.nl/pagina?x=1#y", True), ("http://example.org", True),
    ("https://gemeente.nl@evil.example/", False), ("https://user:pw@example.org/", False),
    ("javascript:alert(1)", False), ("data:text/html,<script>x</script>", False), ("//evil.example", False),
    ("12345", False), (12345, False), (None, False), ("https://exa mple.org", False), ("https://x.org:99999/", False),
    ("https://example.org/\r\nSet-Cookie: x", False), ("https:\\\\evil.example", False), ("ftp://example.org/", False),
])
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_plain_text_and_check_metadata():
    assert plain_text("<b>Nummer</b><script>alert(1)</script> van het mandaat") == "Nummer van het mandaat"
    assert plain_text("Kosten < baten") == "Kosten < baten"
    clean, issues = check_metadata({"title": "<i></i>", "url": "12345", "author": "Jan"}, "Bestandsnaam")
    assert clean == {"title": "Bestandsnaam", "author": "Jan"}
    assert [f for f, _ in issues] == ["url", "title"]


@pytest.fixture
def hostile_corpus(corpus_dir):
    (corpus_dir / "nummer.md").write_text(NUMERIC_URL, encoding="utf-8")
    (corpus_dir / "gemeente.md").write_text(CREDENTIAL_URL, encoding="utf-8")
    (corpus_dir / "script.md").write_text(SCRIPT_URL, encoding="utf-8")
    return corpus_dir


def test_bad_metadata_is_reported_field_wise_and_the_documents_are_indexed(hash_settings, hostile_corpus):
    advisor = Advisor(hash_settings)
    report = advisor.ingest()
    issues = {(i.path, i.field) for i in report.metadata_issues}
    assert {("nummer.md", "url"), ("nummer.md", "title"), ("gemeente.md", "url"), ("script.md", "url")} <= issues
    assert {"nummer", "gemeente", "script"} <= set(report.added)
    documents = {d["id"]: d for d in advisor.snapshot().documents()}
    assert documents["nummer"]["title"] == "Nummer van het mandaat"
    assert all(documents[d]["url"] is None for d in ("nummer", "gemeente", "script"))
    for question in ("Waarom is een helder mandaat belangrijk?", "Hoe maken gemeenten afspraken over mandaat?",
                     "Wat is de url van Scriptlink?", "Welke escalatieladder leggen partners vast?"):
        answer = advisor.ask(question)
        assert all(c.url is None or c.url.startswith("https://") for c in answer.citations)
        assert "evil.example" not in answer.answer and "javascript:" not in answer.answer


def test_numeric_url_breaks_neither_the_api_nor_the_cli(hash_settings, hostile_corpus, tmp_path, monkeypatch,
                                                        capsys):
    advisor = Advisor(hash_settings)
    advisor.ingest()
    with TestClient(create_app(hash_settings, advisor=advisor)) as client:
        wait_until_ready(client)
        chat = client.post("/v1/chat", json={"question": "Waarom is een helder mandaat belangrijk?"})
        assert chat.status_code == 200 and chat.json()["answered"]
        assert client.get("/").status_code == 200
        docs = client.get("/v1/documents").json()
        assert all(d["url"] is None or d["url"].startswith("https://") for d in docs)
        assert not any("<" in d["title"] for d in docs)
        assert client.get("/v1/embed", params={"question": "Wat is de url van het nummerdocument?"}).status_code == 200
    monkeypatch.setenv("ADVISOR_CORPUS_DIR", str(hash_settings.corpus_dir))
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(hash_settings.data_dir))
    monkeypatch.setenv("ADVISOR_EMBEDDER", "hash")
    monkeypatch.setenv("ADVISOR_RETRIEVAL__REFUSE", "false")
    assert cli.main(["ingest", "--quiet"]) == 0
    assert "metadata nummer.md: url: '12345' is not an http(s) link" in capsys.readouterr().out
    assert cli.main(["ask", "--json", "Waarom is een helder mandaat belangrijk?"]) == 0
    assert json.loads(capsys.readouterr().out)["answered"] is True
    questions = tmp_path / "q.txt"
    questions.write_text("Waarom is een helder mandaat belangrijk?\n", encoding="utf-8")
    out = tmp_path / "faq.html"
    title = "</title><script>alert(1)</script>"
    assert cli.main(["faq", "build", "--questions", str(questions), "--out", str(out), "--page", "--title", title]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;/title&gt;&lt;script&gt;" in page
