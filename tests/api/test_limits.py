"""Rate limits over real HTTP against `advisor serve` (a subprocess on 127.0.0.1, hash embedder).

Two client addresses on loopback (127.0.0.1 and 127.0.0.2) stand for two users; the server is started the way an
operator starts it, so uvicorn's proxy-header handling is the one `advisor serve` configures.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KEY = "publieke-widget-sleutel"
ASK = {"question": "Waarom is mandaat belangrijk voor een samenwerkingsverband?"}


def _env(tmp_path: Path, **security) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env.update(ADVISOR_CORPUS_DIR=str(tmp_path / "corpus"), ADVISOR_DATA_DIR=str(tmp_path / "data"),
               ADVISOR_EMBEDDER="hash", ADVISOR_RETRIEVAL__REFUSE="false", ADVISOR_REFRESH_SECONDS="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]))
    for name, value in security.items():
        env[f"ADVISOR_SECURITY__{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


@pytest.fixture
def serve(tmp_path):
    """serve(**security) -> base url of a running `advisor serve`; terminated afterwards whatever happens."""
    procs: list[subprocess.Popen] = []

    def start(**security) -> str:
        (tmp_path / "corpus").mkdir(exist_ok=True)
        shutil.copy(ROOT / "corpus" / "het-belang-van-betrokken-moederorganisaties.md", tmp_path / "corpus")
        env = _env(tmp_path, **security)
        cli = [sys.executable, "-m", "advisor.cli"]
        subprocess.run([*cli, "ingest", "--quiet"], env=env, cwd=tmp_path, check=True, capture_output=True,
                       timeout=120)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = (tmp_path / "server.log").open("wb")
        proc = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=tmp_path,
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "server not ready"
            try:
                if httpx.get(base + "/readyz", timeout=2, trust_env=False).status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.2)

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _client(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30, trust_env=False)


def test_a_spoofed_x_forwarded_for_is_limited_like_any_other_client(serve):
    base = serve(rate_per_ip=10, burst=10)
    with _client("127.0.0.1") as client:
        codes = [client.post(base + "/v1/chat", json=ASK,
                             headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(15)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429] * 5, codes


def test_a_configured_proxy_is_believed(serve):
    base = serve(rate_per_ip=3, burst=3, forwarded_allow_ips=["127.0.0.1"])
    with _client("127.0.0.1") as client:
        codes = [client.post(base + "/v1/chat", json=ASK,
                             headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(6)]
    assert codes == [200] * 6  # six users behind the proxy, each within their own limit


def test_a_flood_with_the_shared_widget_key_leaves_other_users_of_that_key_answered(serve):
    base = serve(widget_keys=[KEY], require_widget_key=True)  # default limits: 60/min per IP, 600/min per key
    headers = {"X-Advisor-Key": KEY}
    done = threading.Event()
    flood_codes: list[int] = []

    def flood() -> None:
        with _client("127.0.0.1") as client:
            while not done.is_set() and len(flood_codes) < 3000:
                flood_codes.append(client.post(base + "/v1/chat", json=ASK, headers=headers).status_code)

    flooders = [threading.Thread(target=flood) for _ in range(6)]
    for t in flooders:
        t.start()
    other: list[int] = []
    try:
        with _client("127.0.0.2") as client:
            for _ in range(20):
                seen = len(flood_codes)
                deadline = time.monotonic() + 30
                while len(flood_codes) < seen + 20 and time.monotonic() < deadline:  # the flood goes on meanwhile
                    time.sleep(0.005)
                other.append(client.post(base + "/v1/chat", json=ASK, headers=headers).status_code)
    finally:
        done.set()
        for t in flooders:
            t.join()
    print(f"\nflood: {len(flood_codes)} requests, {flood_codes.count(429)} got 429; the other client: "
          f"{other.count(200)} of {len(other)} answered")
    assert flood_codes.count(429) > len(flood_codes) / 2, "the flood was not limited at all"
    assert other.count(200) >= 0.9 * len(other), other
