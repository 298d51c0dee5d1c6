"""Bounded load test: a real uvicorn server in a subprocess (hash embedder, real corpus), 50 clients, loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from advisor.loadtest import check_loopback, format_load, run_load

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
LOAD_KEY = "loadtest-widget-key"

SERVER = """
import sys
from pathlib import Path

import uvicorn

from advisor.advisor import Advisor
from advisor.settings import AdvisorSettings, RetrievalSettings
from api.app import create_app

corpus, data, port, key = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# The 50 clients share one IP and the load test's widget key: both limits far above what they send.
settings = AdvisorSettings(corpus_dir=corpus, data_dir=data, embedder="hash", refresh_seconds=0,
                           retrieval=RetrievalSettings(refuse=False),
                           security={"widget_keys": [key], "rate_per_key": 1_000_000, "rate_per_ip": 1_000_000,
                                     "burst": 100_000})
advisor = Advisor(settings)
advisor.ingest()
uvicorn.run(create_app(settings, advisor=advisor), host="127.0.0.1", port=port, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(proc: subprocess.Popen, base: str, log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
    pytest.fail(f"server not ready within {timeout:.0f} s:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture
def server(tmp_path):
    """(base_url, pid) of a uvicorn server over the real corpus, terminated afterwards whatever happens."""
    script = tmp_path / "serve.py"
    script.write_text(textwrap.dedent(SERVER), encoding="utf-8")
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(script), str(ROOT / "corpus"), str(tmp_path / "data"),
                                 str(port), LOAD_KEY], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(proc, base, log)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_server_holds_50_clients_without_errors_or_memory_growth(server):
    base, pid = server
    result = run_load(base, clients=50, requests=5000, duration_s=60, pid=pid, key=LOAD_KEY)
    print("\n" + format_load(result))
    assert result["errors"] == 0, result["error_kinds"]
    assert result["rate_limited"] == 0, "the load test's key has a high limit; 429s mean the run measured nothing"
    if result["hit_duration_limit"]:
        assert result["requests"] >= 1000, f"only {result['requests']} requests in {result['duration_s']} s"
    else:
        assert result["requests"] == 5000
    assert result["ok"] == result["requests"]
    assert result["rss_samples"] >= 5
    assert result["rss_growth_mb"] < 30, f"server memory grew {result['rss_growth_mb']} MB during the run"


@pytest.mark.parametrize("url", [
    "http://10.0.0.1:8000",
    "http://192.168.1.10",
    "https://example.org",
    "http://127.0.0.1.example.org:8000",
    "http://localhost.evil.test",
    "http://[2001:db8::1]:8000",
    "http://0.0.0.0:8000",
    "ftp://127.0.0.1/",
    "127.0.0.1:8000",
])
def test_non_loopback_targets_are_refused(url):
    with pytest.raises(ValueError, match="refused"):
        check_loopback(url)
    with pytest.raises(ValueError, match="refused"):
        run_load(url, clients=1, requests=1, duration_s=1)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:9/", "http://[::1]:8000",
                                 "http://LOCALHOST:1"])
def test_loopback_targets_are_accepted(url):
    assert check_loopback(url) == url.rstrip("/")
