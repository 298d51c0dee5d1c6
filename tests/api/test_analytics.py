"""Question analytics through the API (in-process, hash embedder): what is stored, scrubbing, the switch,
feedback attached later; the settings from the environment; `advisor insights` and `faq suggest` on the CLI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from advisor import cli
from advisor.advisor import Advisor
from advisor.db import Database, database_url
from advisor.scrub import scrub
from advisor.settings import AdvisorSettings, AnalyticsSettings, SecuritySettings, get_settings
from api.app import create_app

from . import wait_until_ready

QUESTION = "Mijn mail is piet@example.org en mijn nummer 0612345678: waarom is mandaat belangrijk?"


def _client(settings):
    advisor = Advisor(settings)
    advisor.ingest()
    return TestClient(create_app(settings, advisor=advisor))


@pytest.fixture
def settings(hash_settings):
    return hash_settings.model_copy(update={"security": SecuritySettings(admin_key="adm", rate_per_ip=0)})


def test_each_question_is_stored_scrubbed_with_its_decision_and_later_feedback(settings):
    with _client(settings) as c:
        wait_until_ready(c)
        res = c.post("/v1/chat", json={"question": QUESTION})
        key = res.headers["X-Answer-Id"]
        c.post("/v1/feedback", json={"answer_id": key, "rating": "down", "comment": "bel 020-1234567"})
    [row] = Database(database_url(settings)).questions()
    assert row["question"] == "Mijn mail is [e-mail] en mijn nummer [telefoon]: waarom is mandaat belangrijk?"
    assert row["answer_id"] == key and row["answered"] is True and row["reason"] == "answered"
    assert row["cited"] == ["het-belang-van-betrokken-moederorganisaties"] and row["mode"] == "extractive"
    assert row["latency_ms"] > 0 and 0 <= row["confidence"] <= 1
    assert row["asked_hour"].minute == 0 and row["rating"] == "down" and row["comment"] == "bel [telefoon]"


def test_analytics_can_be_switched_off(settings):
    off = settings.model_copy(update={"analytics": AnalyticsSettings(enabled=False)})
    with _client(off) as c:
        wait_until_ready(c)
        assert c.post("/v1/chat", json={"question": "Waarom is mandaat belangrijk?"}).status_code == 200
        key = c.post("/v1/chat", json={"question": "Wat is mandaat?"}).headers["X-Answer-Id"]
        assert c.post("/v1/feedback", json={"answer_id": key, "rating": "up"}).status_code == 201
    db = Database(database_url(off))
    assert db.questions() == [] and len(db.feedback()) == 1  # feedback the user gives is still kept


def test_database_and_analytics_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVISOR_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:5999/advisor")
    monkeypatch.setenv("ADVISOR_ANALYTICS__ENABLED", "false")
    monkeypatch.setenv("ADVISOR_ANALYTICS__RETENTION_DAYS", "30")
    settings = get_settings()
    assert database_url(settings) == "postgresql+psycopg://u:p@127.0.0.1:5999/advisor"
    assert settings.analytics.enabled is False and settings.analytics.retention_days == 30
    default = AdvisorSettings(data_dir=tmp_path, database_url=None)
    assert database_url(default) == f"sqlite:///{(tmp_path / 'advisor.sqlite3').resolve()}"


def test_scrub_keeps_ordinary_numbers_and_words():
    assert scrub("Wat veranderde in 2024 voor 12 van de 342 gemeenten?") == \
        "Wat veranderde in 2024 voor 12 van de 342 gemeenten?"
    assert scrub("Stuur het naar NL91ABNA0417164300, o.v.v. dossiernummer 2023/4567") == \
        "Stuur het naar [iban], o.v.v. [zaaknummer]"
    assert scrub("BSN 123.456.782, postcode 3811 AB 12") == "BSN [bsn], postcode [adres]"
    assert scrub("+31 (0)33 467 7777") == "[telefoon]"


def test_cli_insights_and_faq_suggest(settings, monkeypatch, tmp_path, capsys):
    with _client(settings) as c:
        wait_until_ready(c)
        for q in ["Waarom is mandaat belangrijk?", "Wat is mandaat?", "Hoe betrek je moederorganisaties?"] * 2:
            c.post("/v1/chat", json={"question": q})
    monkeypatch.setattr(cli, "_advisor", lambda: Advisor(settings))
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(settings.data_dir))
    assert cli.main(["insights", "--since", "7d", "--out", str(tmp_path / "out")]) == 0
    assert "6 questions" in capsys.readouterr().out
    html = (tmp_path / "out" / "insights.html").read_text(encoding="utf-8")
    assert "<script" not in html and "Inzichten voor de redactie" in html
    assert cli.main(["faq", "suggest", "--out", str(tmp_path / "faq.txt")]) == 0
    suggested = (tmp_path / "faq.txt").read_text(encoding="utf-8").splitlines()
    assert suggested[0].startswith("#") and 1 <= len(suggested[1:]) <= 3
    assert cli.main(["insights", "--since", "ooit"]) == 2 and cli.main(["faq", "suggest", "--since", "1y"]) == 2
    assert "--since" in capsys.readouterr().err


def test_the_service_purges_analytics_past_retention_at_start_up(settings):
    from datetime import datetime, timedelta, timezone

    db = Database.from_settings(settings)
    old = datetime.now(timezone.utc) - timedelta(days=settings.analytics.retention_days + 1)
    db.record_question(answer_id="old", question="Oude vraag", answered=False, reason="not_in_sources",
                       confidence=0.9, cited=[], latency_ms=1.0, mode="extractive", asked=old)
    db.record_question(answer_id="recent", question="Nieuwe vraag", answered=False, reason="not_in_sources",
                       confidence=0.9, cited=[], latency_ms=1.0, mode="extractive")
    with _client(settings) as c:
        wait_until_ready(c)
    assert [r["answer_id"] for r in db.questions()] == ["recent"]
