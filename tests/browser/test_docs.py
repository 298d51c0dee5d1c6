"""/docs in headless Chromium under the app's own CSP: Swagger UI loads from the service itself and renders."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from advisor.settings import AdvisorSettings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A uvicorn server in a thread (no index needed: /docs and /openapi.json do not read it)."""
    import uvicorn

    from api.app import create_app

    settings = AdvisorSettings(data_dir=tmp_path_factory.mktemp("docs-data"), embedder="hash")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, "server not up"
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=15)


def test_docs_render_under_the_csp(page: Page, base):
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    response = page.goto(base + "/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("advisor", timeout=20_000)
    expect(page.locator(".opblock-summary-path", has_text="/v1/chat").first).to_be_visible()
    assert problems == [] and external == []
