"""A real Chroma server shared by two API worker processes: ingest and ask through ADVISOR_CHROMA_URL."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import BLOG, SYNTHETIC_DOC

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as res:
            return res.status, json.loads(res.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _post(url: str, payload: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.loads(res.read())


def _wait(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def chroma_server(tmp_path):
    port = _free_port()
    proc = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _get(f"http://127.0.0.1:{port}/api/v2/heartbeat")[0] == 200, 60, "chroma server")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_two_workers_share_one_index_version_through_a_chroma_server(tmp_path, chroma_server):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BLOG, corpus / BLOG.name)
    env = {**os.environ, "ADVISOR_CHROMA_URL": chroma_server, "ADVISOR_CORPUS_DIR": str(corpus),
           "ADVISOR_DATA_DIR": str(tmp_path / "state"), "ADVISOR_REFRESH_SECONDS": "0.2"}
    first = subprocess.run([str(BIN / "advisor"), "ingest", "--json", "--quiet"], env=env, capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    version1 = json.loads(first.stdout)["version"]
    assert not (tmp_path / "state" / "versions").exists()  # nothing embedded locally: it all lives in the server

    ports = [_free_port(), _free_port()]
    workers = [subprocess.Popen([str(BIN / "advisor"), "serve", "--port", str(p)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    try:
        for p in ports:
            _wait(lambda p=p: _get(f"http://127.0.0.1:{p}/readyz")[0] == 200, 120, f"worker {p}")
        assert {_get(f"http://127.0.0.1:{p}/readyz")[1]["version"] for p in ports} == {version1}
        for p in ports:
            body = _post(f"http://127.0.0.1:{p}/v1/chat",
                         {"question": "Waarom is mandaat belangrijk voor een samenwerkingsverband?"})
            assert body["answered"] and any("ruggenspraak" in c["quote"] for c in body["citations"])

        # An editor adds a document and re-ingests while the workers keep serving.
        (corpus / "synthetisch.md").write_text(SYNTHETIC_DOC, encoding="utf-8")
        second = subprocess.run([str(BIN / "advisor"), "ingest", "--json", "--quiet"], env=env,
                                capture_output=True, text=True, timeout=300)
        report = json.loads(second.stdout)
        assert report["added"] == ["synthetisch"] and report["unchanged"] == [
            "het-belang-van-betrokken-moederorganisaties"]
        for p in ports:
            _wait(lambda p=p: _get(f"http://127.0.0.1:{p}/readyz")[1].get("version") == report["version"], 30,
                  f"worker {p} to see the new version")
            body = _post(f"http://127.0.0.1:{p}/v1/chat",
                         {"question": "Welke afspraken maken partners vooraf over informatiedeling en gegevens?"})
            assert body["answered"], body["answer"]
            assert any(c["document_id"] == "synthetisch" for c in body["citations"])
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=20)
