"""Bounded work per request over real HTTP (uvicorn on 127.0.0.1 in a thread): deadline, disconnect, work cap.

The embedder is the hash embedder with a gate on the question embedding: it stands for one slow model call, so
the test decides when the work may go on instead of racing a clock.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import httpx
import pytest
import uvicorn

from advisor.advisor import Advisor
from advisor.embeddings import HashEmbedder
from advisor.settings import SecuritySettings
from api.app import create_app

ASK = {"question": "Waarom is mandaat belangrijk voor een samenwerkingsverband?"}


class GatedEmbedder(HashEmbedder):
    """HashEmbedder whose embed_query waits while the gate is closed and counts its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.calls = 0

    def embed_query(self, text: str):
        self.calls += 1
        self.entered.set()
        assert self.gate.wait(60), "the test never opened the gate"
        return super().embed_query(text)


class Statuses(logging.Handler):
    """The statuses the access log reports, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.codes: list[int] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.codes.append(int(record.getMessage().split()[3]))


def _wait(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def serve(hash_settings):
    """serve(**security) -> (base_url, embedder, statuses): a real uvicorn server in a thread, stopped afterwards."""
    started: list[tuple[uvicorn.Server, threading.Thread, Statuses]] = []

    def start(**security):
        settings = hash_settings.model_copy(update={"security": SecuritySettings(rate_per_ip=0, **security)})
        embedder = GatedEmbedder()
        advisor = Advisor(settings, embedder=embedder)
        advisor.ingest()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(settings, advisor=advisor), host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        statuses = Statuses()
        logging.getLogger("advisor.access").addHandler(statuses)
        started.append((server, thread, statuses))
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return httpx.get(base + "/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(ready, "server not ready")
        return base, embedder, statuses

    yield start
    for server, thread, statuses in started:
        logging.getLogger("advisor.access").removeHandler(statuses)
        server.should_exit = True
        thread.join(timeout=30)


def _post_in_thread(url: str, timeout: float) -> tuple[threading.Thread, dict]:
    result: dict = {}

    def go() -> None:
        try:
            result["response"] = httpx.post(url, json=ASK, timeout=timeout)
        except httpx.TimeoutException as exc:
            result["timeout"] = exc

    thread = threading.Thread(target=go)
    thread.start()
    return thread, result


def test_a_client_that_goes_away_stops_its_work_and_one_waiting_in_line_never_starts(serve):
    base, embedder, statuses = serve(max_concurrent_work=1, request_timeout_s=60)
    embedder.gate.clear()
    running, first = _post_in_thread(base + "/v1/chat", timeout=1.0)
    assert embedder.entered.wait(30)  # the first question holds the only work slot
    queued, second = _post_in_thread(base + "/v1/chat", timeout=1.0)
    running.join()
    queued.join()
    assert "timeout" in first and "timeout" in second  # both clients gave up and closed their connections
    _wait(lambda: 499 in statuses.codes, "the waiting request was not cancelled when its client left")
    assert embedder.calls == 1  # the one in line never started
    embedder.gate.set()
    _wait(lambda: statuses.codes.count(499) == 2, "the running request did not stop when its client left")
    res = httpx.post(base + "/v1/chat", json=ASK, timeout=30)
    assert res.status_code == 200 and res.json()["answered"]
    assert embedder.calls == 2  # the abandoned question stopped after its first step; the new one ran


def test_deadline_gives_503_while_waiting_and_504_while_computing(serve):
    base, embedder, statuses = serve(max_concurrent_work=1, request_timeout_s=1.0)
    embedder.gate.clear()
    running, first = _post_in_thread(base + "/v1/chat", timeout=30)
    assert embedder.entered.wait(30)
    waiting = httpx.post(base + "/v1/chat", json=ASK, timeout=15)  # no slot frees up before its deadline
    assert waiting.status_code == 503 and waiting.json()["error"]["code"] == "busy"
    assert "druk" in waiting.json()["error"]["message"] and int(waiting.headers["retry-after"]) >= 1
    embedder.gate.set()
    running.join()
    slow = first["response"]
    assert slow.status_code == 504 and slow.json()["error"]["code"] == "timeout"
    assert slow.json()["error"]["message"] == "Het antwoord duurde te lang; probeer het straks opnieuw."
    assert httpx.post(base + "/v1/chat", json=ASK, timeout=30).status_code == 200
    streamed = httpx.post(base + "/v1/chat/stream", json=ASK, timeout=30)
    assert streamed.status_code == 200 and "event: done" in streamed.text
