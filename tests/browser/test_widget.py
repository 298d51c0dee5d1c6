"""The embeddable chat widget in headless Chromium against a live advisor service (real e5 index, uvicorn).

Every test drives the widget the way a visitor does (the launcher, the input, the keyboard) on the demo
page served by the app (`GET /`), or on a hostile host page served from the same origin through a route.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from advisor.settings import AdvisorSettings, SecuritySettings

from ..conftest import BLOG, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT = 30_000  # ms; the first question on a fresh service loads the models

UNREACHABLE = "De adviseur is nu niet bereikbaar. Probeer het later opnieuw of neem contact met ons op."
MANDATE_Q = "Waarom is mandaat belangrijk voor een samenwerkingsverband?"
XSS_DOC_Q = "Hoe werkt de veilige weergave van HTML-code in antwoorden?"
IMG_MARKUP = '<img src=x onerror="window.__xss=1">'
SCRIPT_MARKUP = "<script>window.__xss=2</script>"

XSS_DOC = f"""---
title: Synthetisch testdocument over de veilige weergave van HTML-code
author: Testauteur
kind: test
language: nl
---
# Synthetisch testdocument over de veilige weergave van HTML-code

## Veilige weergave van HTML-code in antwoorden

Dit is een synthetisch testdocument, geen publicatie; het bestaat alleen voor de browsertests van de widget.
Bij de veilige weergave van HTML-code in antwoorden verschijnt een fragment als {IMG_MARKUP} letterlijk als tekst.
Ook een fragment als {SCRIPT_MARKUP} wordt bij de veilige weergave van HTML-code in antwoorden als gewone tekst getoond.
"""

HOSTILE_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Vijandige hostpagina</title>
<style>
  * { color: red !important; font-size: 40px !important; font-family: serif !important;
      line-height: 3 !important; }
  button { display: none !important; }
  div { border: 5px dashed lime !important; }
</style></head>
<body>
  <h1>Vijandige hostpagina</h1>
  <button id="host-button">Knop van de hostpagina</button>
  <div class="panel" id="host-panel">Een element van de host met de klasse panel</div>
  <script src="{base}/widget.js" data-advisor-url="{base}" data-title="Vraag het onze adviseur" defer></script>
  <script src="{base}/widget.js" data-advisor-url="{base}" defer></script>
</body></html>
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live(tmp_path_factory, e5_embedder):
    """A real advisor service (e5 + embedded Chroma) over the blog plus one synthetic document."""
    import uvicorn

    from advisor.advisor import Advisor
    from api.app import create_app

    tmp = tmp_path_factory.mktemp("widget")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(BLOG, corpus / BLOG.name)
    (corpus / "synthetisch-testdocument-html.md").write_text(XSS_DOC, encoding="utf-8")
    # No per-IP rate limit: every test's browser talks to this one service from 127.0.0.1.
    settings = AdvisorSettings(corpus_dir=corpus, data_dir=tmp / "data", refresh_seconds=0,
                               feedback_db=tmp / "feedback.sqlite3", security=SecuritySettings(rate_per_ip=0))
    advisor = Advisor(settings, embedder=e5_embedder)
    report = advisor.ingest()
    assert report.documents == 2, report

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, advisor=advisor), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as res:
                if res.status == 200:
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        assert time.monotonic() < deadline, "the service did not become ready"
        assert thread.is_alive(), "the server thread died"
        time.sleep(0.2)
    ARTIFACTS.mkdir(exist_ok=True)
    yield SimpleNamespace(base=base, settings=settings)
    server.should_exit = True
    thread.join(timeout=15)


# ---- helpers -------------------------------------------------------------------------------------

def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name))


def _open(page: Page, base: str, path: str = "/") -> None:
    page.goto(base + path)
    page.get_by_role("button", name="Open de adviseur").click()
    expect(page.get_by_role("dialog", name="Vraag het onze adviseur")).to_be_visible()


def _assistant(page: Page, n: int):
    """The n-th (0-based) assistant message."""
    return page.locator("#advisor-widget .msg.assistant").nth(n)


def _ask(page: Page, question: str, n: int):
    """Type a question, press Enter and wait until the n-th assistant message is finished."""
    box = page.get_by_placeholder("Typ je vraag…")
    box.fill(question)
    box.press("Enter")
    msg = _assistant(page, n)
    expect(msg).to_have_attribute("data-state", "done", timeout=TIMEOUT)
    return msg


def _focused(page: Page) -> dict:
    """What has focus inside the widget's shadow root (or outside it)."""
    return page.evaluate("""() => {
        const host = document.getElementById('advisor-widget');
        if (document.activeElement !== host) return {inside: false, tag: document.activeElement.tagName};
        const el = host.shadowRoot.activeElement;
        return {inside: true, tag: el && el.tagName, id: el && el.id, cls: el && el.className,
                label: el && (el.getAttribute('aria-label') || el.textContent.trim())};
    }""")


# ---- tests ---------------------------------------------------------------------------------------

def test_answer_with_sources_and_quotes(page: Page, live):
    _open(page, live.base)
    shadow_ok = page.evaluate("""() => {
        const host = document.getElementById('advisor-widget');
        return host.parentElement === document.body && host.shadowRoot !== null
            && host.shadowRoot.mode === 'open' && !document.querySelector('.launcher, .panel');
    }""")
    assert shadow_ok, "the widget lives in an open shadow root on a host appended to <body>"
    dialog = page.get_by_role("dialog", name="Vraag het onze adviseur")
    assert dialog.get_attribute("aria-modal") == "false"
    for starter in ("Waarom is mandaat belangrijk?", "Hoe betrek je de moederorganisaties?",
                    "Wat is een gedragen samenwerking?"):
        expect(page.get_by_role("button", name=starter)).to_be_visible()

    msg = _ask(page, MANDATE_Q, 0)
    expect(msg.locator(".answer")).to_contain_text("ruggenspraak")
    expect(page.locator("#advisor-widget .msg.user").first).to_contain_text(MANDATE_Q)
    sources = msg.locator(".sources button.src")
    assert sources.count() >= 1
    first = sources.first
    assert first.inner_text().startswith("[1] ")
    expect(first).to_have_attribute("aria-expanded", "false")
    quote = msg.locator(".quote blockquote").first
    expect(quote).to_be_hidden()
    first.click()
    expect(first).to_have_attribute("aria-expanded", "true")
    expect(quote).to_be_visible()
    assert len(quote.inner_text()) > 40
    link = msg.locator(".quote a").first
    expect(link).to_have_text("Lees de bron")
    assert link.get_attribute("href").startswith("https://www.twynstragudde.nl/")
    assert link.get_attribute("target") == "_blank"
    assert set(link.get_attribute("rel").split()) == {"noopener", "noreferrer"}
    # the live region announces the finished answer once, not the deltas
    live_text = page.locator("#advisor-widget [aria-live=polite]").text_content()
    assert "ruggenspraak" in live_text
    _shot(page, "widget-answer.png")


def test_the_service_streams_events(live):
    """HTTP level: the events arrive as separate chunks and the deltas add up to the final answer."""
    import httpx

    chunks, t0 = [], time.perf_counter()
    with httpx.stream("POST", f"{live.base}/v1/chat/stream", json={"question": MANDATE_Q, "turns": []},
                      timeout=30) as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        for chunk in res.iter_raw():
            chunks.append((time.perf_counter() - t0, chunk.decode()))
    assert len(chunks) >= 2, "the response was not sent in one piece"
    events = []
    for block in "".join(c for _, c in chunks).split("\n\n"):
        if block.strip():
            name, data = block.split("\n", 1)
            events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    names = [n for n, _ in events]
    assert names[0] == "retrieval" and names[-2:] == ["citations", "done"], names
    deltas = [d["text"] for n, d in events if n == "delta"]
    assert len(deltas) >= 2
    assert "".join(deltas) == events[-1][1]["answer"]


def test_answer_streams_progressively(page: Page, live):
    _open(page, live.base)
    page.evaluate("""() => {
        const root = document.getElementById('advisor-widget').shadowRoot;
        window.__snaps = [];
        const t0 = performance.now();
        new MutationObserver(() => {
            const msgs = root.querySelectorAll('.msg.assistant');
            const msg = msgs[msgs.length - 1];
            if (!msg) return;
            window.__snaps.push({t: performance.now() - t0, state: msg.dataset.state,
                                 text: msg.querySelector('.answer').textContent});
        }).observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
    }""")
    _ask(page, MANDATE_Q, 0)
    snaps = page.evaluate("window.__snaps")
    streaming = [s["text"] for s in snaps if s["state"] == "streaming" and s["text"]]
    distinct = list(dict.fromkeys(streaming))
    assert len(distinct) >= 2, f"the answer did not grow in steps before 'done': {snaps}"
    assert all(b.startswith(a) for a, b in zip(distinct, distinct[1:])), "each delta appends to the answer"
    assert "ruggenspraak" in snaps[-1]["text"]


def test_follow_up_sends_the_earlier_turns(page: Page, live):
    bodies = []
    page.on("request", lambda r: bodies.append(json.loads(r.post_data))
            if r.url.endswith("/v1/chat/stream") else None)
    _open(page, live.base)
    first = _ask(page, MANDATE_Q, 0)
    first_answer = page.evaluate("""() => document.getElementById('advisor-widget').shadowRoot
        .querySelector('[aria-live=polite]').textContent""")
    assert "ruggenspraak" in first.inner_text()
    second = _ask(page, "En hoe regel je dat dan?", 1)
    assert len(bodies) == 2
    assert bodies[0] == {"question": MANDATE_Q, "turns": []}
    assert bodies[1]["question"] == "En hoe regel je dat dan?"
    assert bodies[1]["turns"] == [{"role": "user", "content": MANDATE_Q},
                                  {"role": "assistant", "content": first_answer}]
    text = second.locator(".answer").inner_text()
    assert len(text) > 40
    expect(page.locator("#advisor-widget .msg.user")).to_have_count(2)


def test_feedback_is_stored(page: Page, live):
    _open(page, live.base)
    msg = _ask(page, MANDATE_Q, 0)
    up = msg.get_by_role("button", name="Nuttig antwoord", exact=True)
    down = msg.get_by_role("button", name="Niet nuttig antwoord")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(down).to_have_attribute("aria-pressed", "false")
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as info:
        up.click()
    assert info.value.status == 201 and info.value.json() == {"stored": True}
    expect(msg.get_by_text("Bedankt voor je feedback.")).to_be_visible()
    expect(up).to_have_attribute("aria-pressed", "true")
    sent = json.loads(info.value.request.post_data)
    with sqlite3.connect(live.settings.feedback_db) as db:
        rows = db.execute("SELECT answer_id, rating, question FROM feedback WHERE answer_id = ?",
                          (sent["answer_id"],)).fetchall()
    assert rows == [(sent["answer_id"], "up", MANDATE_Q)]


def test_refusal_gets_feedback_buttons(page: Page, live):
    _open(page, live.base)
    msg = _ask(page, "Wat is de hoofdstad van Australië?", 0)
    assert "geen betrouwbaar antwoord" in msg.locator(".answer").inner_text()
    expect(msg.get_by_role("button", name="Niet nuttig antwoord")).to_be_visible()
    expect(msg.locator(".sources")).to_have_count(0)


def test_keyboard_only(page: Page, live):
    page.goto(live.base + "/")
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if _focused(page).get("label") == "Open de adviseur":
            break
    else:
        pytest.fail("Tab never reached the launcher")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Vraag het onze adviseur")).to_be_visible()
    assert _focused(page)["id"] == "advisor-input", "opening moves focus to the input"
    page.keyboard.type(MANDATE_Q)
    page.keyboard.press("Enter")
    msg = _assistant(page, 0)
    expect(msg).to_have_attribute("data-state", "done", timeout=TIMEOUT)
    expect(msg.locator(".answer")).to_contain_text("ruggenspraak")
    for _ in range(40):
        page.keyboard.press("Tab")
        if "src" in str(_focused(page).get("cls")):
            break
    else:
        pytest.fail("Tab never reached a source button")
    page.keyboard.press("Enter")  # a focused source button opens its quote
    expect(msg.locator(".quote blockquote").first).to_be_visible()
    outline = page.evaluate("""() => getComputedStyle(document.getElementById('advisor-widget')
        .shadowRoot.activeElement).outlineStyle""")
    assert outline == "solid", "the focused control has a visible focus style"
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Vraag het onze adviseur")).to_be_hidden()
    assert _focused(page)["label"] == "Open de adviseur", "Escape returns focus to the launcher"


def test_markup_is_rendered_as_text(page: Page, live):
    _open(page, live.base)
    hostile_q = 'Wat betekent <img src=x onerror="window.__xss=3"> hier?'
    _ask(page, hostile_q, 0)
    expect(page.locator("#advisor-widget .msg.user").first).to_contain_text(hostile_q)
    msg = _ask(page, XSS_DOC_Q, 1)
    answer = msg.locator(".answer").inner_text()
    assert IMG_MARKUP in answer and SCRIPT_MARKUP in answer, answer
    msg.locator(".sources button.src").first.click()
    quote = msg.locator(".quote blockquote").first.inner_text()
    assert IMG_MARKUP in quote and SCRIPT_MARKUP in quote
    page.wait_for_timeout(300)  # give an injected onerror handler time to run, were there one
    assert page.evaluate("window.__xss") is None
    counts = page.evaluate("""() => {
        const log = document.getElementById('advisor-widget').shadowRoot.querySelector('.log');
        return {img: log.querySelectorAll('img').length, script: log.querySelectorAll('script').length,
                on: [...log.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length};
    }""")
    assert counts == {"img": 0, "script": 0, "on": 0}
    _shot(page, "widget-markup-as-text.png")


def test_unreachable_service(page: Page, live):
    page.route("**/v1/chat/stream", lambda route: route.abort())
    _open(page, live.base)
    box = page.get_by_placeholder("Typ je vraag…")
    box.press("Enter")  # empty input is not sent
    expect(page.locator("#advisor-widget .msg")).to_have_count(0)
    box.fill(MANDATE_Q)
    box.press("Enter")
    msg = _assistant(page, 0)
    expect(msg).to_have_attribute("data-state", "error")
    expect(msg).to_contain_text(UNREACHABLE)
    expect(page.get_by_role("button", name="Verstuur")).to_be_enabled()
    _shot(page, "widget-unreachable.png")


def test_error_messages_from_the_service_are_shown(page: Page, live):
    error_json = {"error": {"code": "not_ready", "message": "De adviseur is nog niet klaar: test."}}
    page.route("**/v1/chat/stream", lambda route: route.fulfill(
        status=503, content_type="application/json", body=json.dumps(error_json)))
    _open(page, live.base)
    box = page.get_by_placeholder("Typ je vraag…")
    box.fill(MANDATE_Q)
    box.press("Enter")
    expect(_assistant(page, 0)).to_contain_text("De adviseur is nog niet klaar: test.")
    page.unroute("**/v1/chat/stream")
    sse = ('event: retrieval\ndata: {"passages": 2}\n\n'
           'event: error\ndata: {"code": "internal", "message": "Er ging iets mis: test."}\n\n')
    page.route("**/v1/chat/stream", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body=sse))
    box.fill(MANDATE_Q)
    box.press("Enter")
    expect(_assistant(page, 1)).to_contain_text("Er ging iets mis: test.")
    expect(_assistant(page, 1)).to_have_attribute("data-state", "error")


def test_host_css_does_not_leak_in_or_out(page: Page, live):
    page.route(f"{live.base}/hostile.html", lambda route: route.fulfill(
        status=200, content_type="text/html", body=HOSTILE_PAGE.replace("{base}", live.base)))
    page.goto(f"{live.base}/hostile.html")
    expect(page.locator("#host-button")).to_be_hidden()  # the hostile CSS is in force on the host page
    launcher = page.get_by_role("button", name="Open de adviseur")
    expect(launcher).to_be_visible()
    assert page.locator("advisor-widget").count() == 1, "two script tags, one widget"
    style = launcher.evaluate("e => { const s = getComputedStyle(e); return [s.fontSize, s.color]; }")
    assert style[0] != "40px" and style[1] != "rgb(255, 0, 0)", style
    host_panel = page.evaluate("getComputedStyle(document.getElementById('host-panel')).position")
    assert host_panel == "static", "widget CSS (.panel is fixed) does not reach the host page"
    launcher.click()
    msg = _ask(page, MANDATE_Q, 0)
    expect(msg.locator(".answer")).to_contain_text("ruggenspraak")
    sizes = msg.locator(".answer p").first.evaluate("e => getComputedStyle(e).fontSize")
    assert sizes != "40px"
    _shot(page, "widget-hostile-host.png")


def test_accessibility_axe(page: Page, live):
    assert AXE.is_file(), "run `npm ci` (axe-core is a devDependency in package.json)"
    _open(page, live.base)
    msg = _ask(page, MANDATE_Q, 0)
    msg.locator(".sources button.src").first.click()
    msg.get_by_role("button", name="Nuttig antwoord", exact=True).click()
    expect(msg.get_by_text("Bedankt voor je feedback.")).to_be_visible()
    # The demo page's CSP (script-src 'self') blocks page.add_script_tag's inline script; evaluate is not
    # subject to the page's CSP.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']});
        const inWidget = (n) => JSON.stringify(n.target).includes('#advisor-widget');
        const pick = (list) => list.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.filter(inWidget).map(n => ({target: n.target, summary: n.failureSummary}))}))
            .filter(v => v.nodes.length);
        return {violations: pick(r.violations), passes: pick(r.passes).map(v => v.id)};
    }""")
    assert results["violations"] == [], json.dumps(results["violations"], indent=1, ensure_ascii=False)
    # axe really looked inside the shadow root, contrast included
    assert "color-contrast" in results["passes"], results["passes"]
    assert "button-name" in results["passes"]
    # prefers-reduced-motion: the panel animation is switched off
    page.emulate_media(reduced_motion="reduce")
    anim = page.evaluate("""() => getComputedStyle(document.getElementById('advisor-widget')
        .shadowRoot.querySelector('.panel')).animationName""")
    assert anim == "none"


def test_where_the_answers_come_from(page: Page, live):
    _open(page, live.base)
    info = page.get_by_role("button", name="Waar haal ik mijn antwoorden vandaan?")
    expect(info).to_have_attribute("aria-expanded", "false")
    info.click()
    expect(info).to_have_attribute("aria-expanded", "true")
    docs = page.locator("#advisor-widget .docs li")
    expect(docs).to_have_count(2)
    expect(page.locator("#advisor-widget .docs")).to_contain_text("Het belang van betrokken moederorganisaties")
    link = page.locator("#advisor-widget .docs a")
    expect(link).to_have_count(1)  # the synthetic document has no url, so no link
    assert link.get_attribute("href").startswith("https://www.twynstragudde.nl/")


def test_phone_layout(page: Page, live):
    page.set_viewport_size({"width": 390, "height": 844})
    _open(page, live.base)
    panel = page.get_by_role("dialog", name="Vraag het onze adviseur")
    box = panel.bounding_box()
    assert box["width"] >= 0.95 * 390, box
    assert box["height"] >= 0.75 * 844, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5
    _ask(page, MANDATE_Q, 0)
    _shot(page, "widget-phone.png")


def test_demo_page_faq_works_without_javascript(browser, live):
    """The "Meer weten?" FAQ is server-rendered: with JavaScript off it still opens and shows cited answers."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live.base + "/")
        expect(page.get_by_role("heading", name="Meer weten?")).to_be_visible()
        question = page.locator("details summary", has_text="Waarom is mandaat belangrijk")
        question.click()
        answer = page.locator("details[open] .advisor-answer")
        expect(answer).to_contain_text("ruggenspraak")
        expect(answer.locator(".advisor-sources blockquote").first).to_be_visible()
        assert page.locator("#advisor-widget").count() == 0  # no script ran: the page still works
        _shot(page, "demo-faq-no-js.png")
    finally:
        context.close()
