"""A scripted session of 300+ questions through the real HTTP API (e5, embedded Chroma, SQLite analytics),
then the insights report: planted themes found as the top unanswered topics, personal data scrubbed, and the
HTML report opened in Chromium (plots drawn, nothing fetched from elsewhere)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections import Counter
from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy as sa

from advisor.db import Database
from advisor.settings import AdvisorSettings, SecuritySettings

from ..conftest import BLOG, ROOT, SYNTHETIC_DOC
from ..session_questions import GAP_THEMES, PLANTED, session

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ADMIN = "insights-admin-key"
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory, e5_embedder):
    """One service for the module; the whole session is asked once, through HTTP, before any test."""
    import uvicorn

    from advisor.advisor import Advisor
    from api.app import create_app

    tmp = tmp_path_factory.mktemp("insights")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(BLOG, corpus / BLOG.name)
    (corpus / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
    settings = AdvisorSettings(corpus_dir=corpus, data_dir=tmp / "data", refresh_seconds=0,
                               security=SecuritySettings(rate_per_ip=0, admin_key=ADMIN))
    advisor = Advisor(settings, embedder=e5_embedder)
    advisor.ingest()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, advisor=advisor), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=base, timeout=60)
    deadline = time.monotonic() + 120
    while True:
        try:
            if client.get("/readyz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and thread.is_alive(), "the service did not become ready"
        time.sleep(0.2)
    asked = []
    for i, (question, label) in enumerate(session()):
        if i % 3 == 0:  # the widget's path: server-sent events, the answer id in the final event
            with client.stream("POST", "/v1/chat/stream", json={"question": question}) as res:
                events = [json.loads(line[6:]) for line in res.iter_lines() if line.startswith("data: ")]
            body = events[-1]
            key = body["answer_id"]
        else:
            res = client.post("/v1/chat", json={"question": question})
            assert res.status_code == 200, res.text
            body, key = res.json(), res.headers["X-Answer-Id"]
        asked.append((question, label, key, body["answered"]))
        if i % 4 == 0:  # about a quarter get a thumb; the answered ones mostly up, the refused ones down
            down = not body["answered"] or i % 12 == 0
            comment = f"Niet wat ik zocht, mail me: {PLANTED['email']}" if down else None
            assert client.post("/v1/feedback", json={"answer_id": key, "rating": "down" if down else "up",
                                                     "comment": comment}).status_code == 201
    res = client.get("/v1/admin/insights", params={"since": "30d"}, headers={"X-Advisor-Key": ADMIN}, timeout=600)
    assert res.status_code == 200, res.text
    yield SimpleNamespace(base=base, client=client, settings=settings, asked=asked, insights=res.json())
    client.close()
    server.should_exit = True
    thread.join(timeout=15)


def test_the_session_is_large_and_mixed(live):
    assert len(live.asked) >= 300
    answered = Counter(label for _, label, _, ok in live.asked if ok)
    assert answered["answer"] >= 0.8 * sum(1 for _, label, _, _ in live.asked if label == "answer")
    assert sum(answered[t] for t in GAP_THEMES) <= 3  # the planted themes are (nearly) never answered
    t = live.insights["totals"]
    assert t["questions"] == len(live.asked) and t["thumbs_up"] > 0 and t["thumbs_down"] > 0


def test_top_unanswered_topics_are_the_planted_themes(live):
    db = Database(f"sqlite:///{live.settings.data_dir / 'advisor.sqlite3'}")
    texts = {r["id"]: r["question"] for r in db.questions()}
    db.dispose()
    labels = {}
    from advisor.scrub import scrub

    for question, label, _, _ in live.asked:
        labels[scrub(question)] = label
    top = live.insights["unanswered_topics"][:len(GAP_THEMES)]
    sizes = [t["size"] for t in live.insights["unanswered_topics"]]
    assert sizes == sorted(sizes, reverse=True)  # sorted by how often asked
    majority, members = [], 0
    for topic in top:
        themes = Counter(labels[texts[i]] for i in topic["question_ids"])
        theme, count = themes.most_common(1)[0]
        majority.append((theme, count))
        members += topic["size"]
        assert 3 <= len(topic["questions"]) <= 5 and topic["nearest"] and topic["reason"]
    purity = sum(c for _, c in majority) / members
    print(f"purity of the top {len(top)} unanswered topics: {purity:.3f}; themes {[t for t, _ in majority]}; "
          f"sizes {[t['size'] for t in top]}")
    assert purity >= 0.8
    assert {t for t, _ in majority} == set(GAP_THEMES)


def test_the_report_has_thumbs_down_faq_citations_volume_and_latency(live):
    data = live.insights
    downs = data["thumbs_down"]
    assert downs and all(PLANTED["email"] not in (d["comment"] or "") for d in downs)
    assert any("[e-mail]" in (d["comment"] or "") for d in downs)
    assert any(d["cited"] for d in downs)  # answered-and-disliked ones show the sources they cited
    assert data["answered_topics"] and data["faq_suggestions"]
    assert {d["id"] for d in data["documents"]["most_cited"]} <= {"het-belang-van-betrokken-moederorganisaties",
                                                                   "synthetisch"}
    assert sum(d["asked"] for d in data["per_day"]) == len(live.asked)
    lat = data["latency_ms"]
    assert lat["count"] == len(live.asked) and 0 < lat["p50"] <= lat["p95"] <= lat["p99"]


def test_no_planted_personal_data_in_the_database(live):
    db = Database(f"sqlite:///{live.settings.data_dir / 'advisor.sqlite3'}")
    with db.engine.connect() as conn:
        dump = " ".join(str(v) for table in ("questions", "feedback")
                        for row in conn.execute(sa.text(f"SELECT * FROM {table}")) for v in row)
    db.dispose()
    for value in PLANTED.values():
        assert value not in dump
    assert "[e-mail]" in dump and "[iban]" in dump and "[zaaknummer]" in dump and "[telefoon]" in dump


def test_insights_need_the_admin_key_and_a_valid_period(live):
    assert live.client.get("/v1/admin/insights").status_code == 401
    bad = live.client.get("/v1/admin/insights", params={"since": "lang"}, headers={"X-Advisor-Key": ADMIN})
    assert bad.status_code == 422 and bad.json()["error"]["message"].startswith("Ongeldige periode")


def test_the_html_report_opens_in_chromium(page, live):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_extra_http_headers({"X-Advisor-Key": ADMIN})
    page.goto(f"{live.base}/v1/admin/insights?since=30d&format=html")
    assert page.title() == "Inzichten voor de redactie"
    for plot in ("#plot-volume", "#plot-gaps", "#plot-cited"):
        box = page.locator(plot).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 60, plot
        widths = page.locator(f"{plot} rect.bar").evaluate_all(
            "els => els.map(e => Math.max(e.getBoundingClientRect().width, e.getBoundingClientRect().height))")
        assert widths and max(widths) > 5, plot
    assert page.locator("#gaps tr.topic").count() == len(live.insights["unanswered_topics"])
    assert page.locator("#thumbs-down tr").count() == len(live.insights["thumbs_down"]) + 1
    assert page.locator("#faq li").count() == len(live.insights["faq_suggestions"])
    assert requests == [f"{live.base}/v1/admin/insights?since=30d&format=html"]  # nothing else fetched
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1200, "height": 1600})
    page.screenshot(path=str(ARTIFACTS / "insights.png"), full_page=False)
