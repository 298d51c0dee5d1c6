"""The HTTP API in-process (FastAPI TestClient) over a real embedded Chroma index (hash embedder)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from advisor.advisor import Advisor
from api.app import create_app

from . import wait_until_ready


@pytest.fixture
def client(hash_settings):
    advisor = Advisor(hash_settings)
    advisor.ingest()
    with TestClient(create_app(hash_settings, advisor=advisor)) as c:
        wait_until_ready(c)
        yield c


def test_chat_returns_the_answer_contract(client):
    res = client.post("/v1/chat", json={"question": "Waarom is mandaat belangrijk voor een samenwerkingsverband?"})
    assert res.status_code == 200
    body = res.json()
    assert set(body) == {"answered", "answer", "citations", "confidence", "mode", "reason", "timings_ms"}
    assert body["answered"] is True and body["mode"] == "extractive"
    assert {"n", "chunk_id", "document_id", "title", "url", "quote", "page"} <= set(body["citations"][0])


def test_chat_accepts_earlier_turns(client):
    res = client.post("/v1/chat", json={
        "question": "En hoe regel je dat dan?",
        "turns": [{"role": "user", "content": "Hoe betrek je moederorganisaties bij de samenwerking?"},
                  {"role": "assistant", "content": "Door hen een plek te geven in de governancestructuur."}]})
    assert res.status_code == 200 and res.json()["answered"] is True


@pytest.mark.parametrize("payload, status, code", [
    ({"question": ""}, 422, "invalid_question"),
    ({"question": "   "}, 422, "invalid_question"),
    ({"question": "x" * 5000}, 422, "invalid_question"),
    ({"question": "a" * 60_000}, 422, "invalid_request"),
    ({}, 422, "invalid_request"),
    ({"question": "Hoi", "turns": [{"role": "system", "content": "x"}]}, 422, "invalid_request"),
])
def test_bad_input_gets_a_clear_4xx(client, payload, status, code):
    res = client.post("/v1/chat", json=payload)
    assert res.status_code == status
    assert res.json()["error"]["code"] == code
    assert res.json()["error"]["message"]


def test_malformed_json_is_a_400_with_a_dutch_message(client):
    res = client.post("/v1/chat", content=b'{"question": ', headers={"content-type": "application/json"})
    assert res.status_code == 400
    assert res.json()["error"]["message"] == "De aanvraag is geen geldige JSON."


def test_html_in_a_question_is_never_reflected_as_markup(client):
    res = client.post("/v1/chat", json={"question": "<script>alert(1)</script> Waarom is mandaat belangrijk?"})
    assert res.status_code == 200
    assert "<script>" not in res.json()["answer"]


def test_health_readiness_and_docs(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["version"]
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/v1/chat" in spec["paths"] and "400" in spec["paths"]["/v1/chat"]["post"]["responses"]


def test_not_ready_without_an_index(tmp_path, hash_settings):
    empty = hash_settings.model_copy(update={"data_dir": tmp_path / "empty"})
    with TestClient(create_app(empty, advisor=Advisor(empty))) as c:
        time.sleep(0.2)
        assert c.get("/readyz").status_code == 503
        res = c.post("/v1/chat", json={"question": "Waarom is mandaat belangrijk?"})
        assert res.status_code == 503 and res.json()["error"]["code"] == "not_ready"
