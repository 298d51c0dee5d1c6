"""Property-based API fuzzing: schemathesis generates requests from the app's own OpenAPI document, in-process.

Every operation gets at most 30 generated examples (positive and negative); each response must not be a
server error (5xx), its status code must be documented, and its body must match the documented schema.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from advisor.advisor import Advisor
from advisor.settings import AdvisorSettings, RetrievalSettings
from api.app import create_app

from . import wait_until_ready

from ..conftest import BLOG

ADMIN_KEY = "fuzz-admin-key-0123456789"
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))

def _build_app():
    """The app over an ingested hash-embedder index in a throw-away folder (removed when the process ends).

    Built at import: schemathesis needs the schema when it collects the tests (its fixture-based lazy schema,
    `schemathesis.pytest.from_fixture`, fails under pytest 9: it reads the removed `Function._nodeid`).
    """
    root = Path(tempfile.mkdtemp(prefix="advisor-fuzz-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(BLOG, corpus / BLOG.name)
    # The in-process client is one IP: with the per-IP rate limit most examples would be 429s. The admin key
    # lets the fuzzer reach the admin handlers themselves.
    app_settings = AdvisorSettings(corpus_dir=corpus, data_dir=root / "data", embedder="hash", refresh_seconds=0,
                                   retrieval=RetrievalSettings(refuse=False),
                                   security={"rate_per_ip": 0, "admin_key": ADMIN_KEY})
    advisor = Advisor(app_settings)
    advisor.ingest()
    return create_app(app_settings, advisor=advisor)


APP = _build_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def client():
    """The lifespan running (app.state.advisor, .feedback, .warm) and the index loaded before any example.

    Schemathesis 4 also runs the ASGI lifespan itself (and ends it after each test); the app only sets
    app.state there, so both are harmless together.
    """
    with TestClient(APP) as c:
        wait_until_ready(c)
        yield c


def _checks():
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

    return [not_a_server_error, status_code_conformance, response_schema_conformance]


@schema.parametrize()
@FUZZ
def test_api_conforms_to_its_openapi(case):
    headers = {"X-Advisor-Key": ADMIN_KEY} if case.path.startswith("/v1/admin") else None
    case.call_and_validate(headers=headers, checks=_checks())


# Statuses the security middleware answers before a route runs must be documented too (found by this fuzzer).

def _documented(method: str, path: str) -> set[str]:
    return set(APP.openapi()["paths"][path][method.lower()]["responses"])


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream", "/v1/feedback"])
def test_post_without_json_content_type_gets_a_documented_status(client, path):
    res = client.post(path, content=b"question=mandaat", headers={"content-type": "text/plain"})
    assert 400 <= res.status_code < 500 and res.json()["error"]["message"]
    assert str(res.status_code) in _documented("POST", path), f"{res.status_code} not in {_documented('POST', path)}"


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/chat/stream"])
def test_schema_valid_large_chat_body_gets_a_documented_status(client, path):
    body = {"question": "Waarom is mandaat belangrijk?",
            "turns": [{"role": "user", "content": "mandaat " * 1000}] * 10}  # schema-valid, ~80 KB: 413
    res = client.post(path, json=body)
    assert str(res.status_code) in _documented("POST", path), f"{res.status_code} not in {_documented('POST', path)}"


@pytest.mark.parametrize("method, path", [("POST", "/v1/admin/reingest"), ("POST", "/v1/admin/reload"),
                                          ("GET", "/v1/admin/feedback")])
def test_admin_without_key_gets_a_documented_status(client, method, path):
    assert path in APP.openapi()["paths"]  # this app has an admin key
    res = client.request(method, path)
    assert 400 <= res.status_code < 500
    assert str(res.status_code) in _documented(method, path), f"{res.status_code} not in {_documented(method, path)}"
