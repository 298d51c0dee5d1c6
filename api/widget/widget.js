/*
 * advisor chat widget: one <script src="https://HOST/widget.js" data-advisor-url="https://HOST" defer>
 * tag renders a launcher and a chat panel in an open Shadow DOM on <advisor-widget id="advisor-widget">.
 * Plain ES2020, no dependencies; the only requests go to the advisor API (data-advisor-url, else the
 * script's own origin). Every question, answer, quote and title is rendered with textContent.
 */
(() => {
  "use strict";

  const HOST_ID = "advisor-widget";
  if (document.getElementById(HOST_ID)) return; // a second script tag must not create a second widget

  const script = document.currentScript
    || document.querySelector("script[data-advisor-url]")
    || Array.from(document.scripts).find((s) => /\/widget\.js(\?|#|$)/.test(s.src || ""));

  function baseUrl() {
    const attr = script && script.getAttribute("data-advisor-url");
    try {
      if (attr) return new URL(attr, location.href).href.replace(/\/+$/, "");
      if (script && script.src) return new URL(script.src, location.href).origin;
    } catch (_) { /* fall through */ }
    return location.origin;
  }

  const BASE = baseUrl();
  const TITLE = (script && script.getAttribute("data-title")) || "Vraag het onze adviseur";
  const KEY = (script && script.getAttribute("data-advisor-key")) || ""; // optional widget key (X-Advisor-Key)
  const MAX_TURNS = 10;
  const DELTA_PAUSE_MS = 60;
  const STALL_MS = 60000;

  const T = {
    launcher: "Stel een vraag",
    open: "Open de adviseur",
    close: "Sluit de adviseur",
    placeholder: "Typ je vraag…",
    inputLabel: "Je vraag",
    send: "Verstuur",
    note: "De antwoorden komen uit onze publicaties, altijd met de bronnen erbij.",
    whereFrom: "Waar haal ik mijn antwoorden vandaan?",
    docsIntro: "Ik beantwoord vragen alleen op basis van deze publicaties:",
    docsEmpty: "Er zijn nog geen publicaties geladen.",
    docsError: "De lijst met publicaties is nu niet beschikbaar.",
    starters: [
      "Waarom is mandaat belangrijk?",
      "Hoe betrek je de moederorganisaties?",
      "Wat is een gedragen samenwerking?",
    ],
    startersLabel: "Voorbeeldvragen",
    conversation: "Gesprek",
    you: "Jij",
    advisor: "Adviseur",
    searching: "Ik zoek in de publicaties…",
    found: (n) => (n === 1 ? "1 passage gevonden, ik stel het antwoord samen…"
      : `${n} passages gevonden, ik stel het antwoord samen…`),
    sources: "Bronnen",
    readSource: "Lees de bron",
    page: (p) => `pagina ${p}`,
    helpful: "Was dit antwoord nuttig?",
    up: "Nuttig antwoord",
    down: "Niet nuttig antwoord",
    thanks: "Bedankt voor je feedback.",
    feedbackError: "Je feedback kon niet worden opgeslagen. Probeer het later opnieuw.",
    unreachable: "De adviseur is nu niet bereikbaar. Probeer het later opnieuw of neem contact met ons op.",
    failed: "Er ging iets mis bij het beantwoorden van je vraag. Probeer het later opnieuw of neem contact met ons op.",
    interrupted: "Het antwoord is onderbroken. Probeer het later opnieuw.",
  };

  const CSS = `
:host { all: initial !important; }
.root, .root * { box-sizing: border-box; }
.root {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  font-size: 15px; line-height: 1.5; color: #1a1a1a; text-align: left;
  -webkit-text-size-adjust: 100%;
}
[hidden] { display: none !important; }
button, input { font: inherit; color: inherit; margin: 0; }
button { cursor: pointer; }
.sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
:focus { outline: none; }
:focus-visible { outline: 3px solid #1b4f72; outline-offset: 2px; box-shadow: 0 0 0 2px #fff; }
.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  display: inline-flex; align-items: center; gap: 8px;
  padding: 12px 18px; border: 2px solid #fff; border-radius: 999px;
  background: #1b4f72; color: #fff; font-size: 16px; font-weight: 600; line-height: 1.2;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .25);
}
.launcher:hover { background: #153e5a; }
.launcher svg { width: 20px; height: 20px; flex: none; }
.panel {
  position: fixed; right: 20px; bottom: 84px; z-index: 2147483001;
  width: 390px; max-width: calc(100vw - 40px);
  height: 620px; max-height: calc(100vh - 110px);
  display: flex; flex-direction: column;
  background: #fff; color: #1a1a1a; border: 1px solid #c5ced6; border-radius: 12px;
  box-shadow: 0 12px 40px rgba(0, 0, 0, .28); overflow: hidden;
}
.head {
  display: flex; align-items: center; gap: 8px; padding: 12px 12px 12px 16px;
  background: #1b4f72; color: #fff;
}
.head h2 { flex: 1; margin: 0; font-size: 17px; font-weight: 700; line-height: 1.3; color: #fff; }
.close {
  flex: none; width: 36px; height: 36px; display: inline-flex; align-items: center; justify-content: center;
  border: 0; border-radius: 6px; background: transparent; color: #fff; font-size: 24px; line-height: 1;
}
.close:hover { background: #153e5a; }
.close:focus-visible { outline-color: #fff; box-shadow: none; outline-offset: -3px; }
.intro { padding: 10px 16px; border-bottom: 1px solid #e1e6ea; background: #f6f8fa; font-size: 13.5px; color: #33404a; }
.intro p { margin: 0; }
.linkish {
  border: 0; background: none; padding: 0; color: #1b4f72; text-decoration: underline; font-size: 13.5px;
}
.docs { margin: 6px 0 0; }
.docs ul { margin: 4px 0 0; padding-left: 18px; }
.docs li { margin: 2px 0; }
a { color: #1b4f72; }
.log { flex: 1; overflow-y: auto; padding: 14px 16px; display: flex; flex-direction: column; gap: 12px; }
.starters { display: flex; flex-direction: column; gap: 8px; align-items: flex-start; }
.starters p { margin: 0 0 2px; font-size: 13.5px; color: #33404a; }
.starter {
  text-align: left; padding: 8px 12px; border: 1px solid #1b4f72; border-radius: 16px;
  background: #fff; color: #1b4f72; font-size: 14px; line-height: 1.3;
}
.starter:hover { background: #eaf1f6; }
.msg { max-width: 92%; border-radius: 12px; padding: 10px 12px; overflow-wrap: anywhere; }
.msg .who { display: block; font-size: 12px; font-weight: 700; margin-bottom: 2px; }
.msg.user { align-self: flex-end; background: #1b4f72; color: #fff; border-bottom-right-radius: 4px; }
.msg.user .text { margin: 0; white-space: pre-wrap; }
.msg.assistant { align-self: flex-start; background: #f1f4f6; color: #1a1a1a; border-bottom-left-radius: 4px; }
.msg.assistant .who { color: #1b4f72; }
.answer { white-space: pre-wrap; }
.answer p { margin: 0 0 8px; white-space: pre-wrap; }
.answer p:last-child { margin-bottom: 0; }
.answer ul.items { margin: 0 0 8px; padding-left: 20px; white-space: normal; }
.answer p.lead { font-weight: 600; }
.status { margin: 0; font-size: 13.5px; color: #3d4a55; font-style: italic; }
.dots::after { content: ""; }
.msg.error { background: #fdf0ef; border: 1px solid #b3261e; color: #1a1a1a; }
.sources { margin-top: 10px; border-top: 1px solid #d3dae0; padding-top: 8px; }
.sources h3 { margin: 0 0 4px; font-size: 13px; font-weight: 700; color: #1a1a1a; text-transform: none; }
.sources ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
.src {
  display: flex; width: 100%; gap: 6px; align-items: flex-start; text-align: left;
  padding: 6px 8px; border: 1px solid #c5ced6; border-radius: 6px; background: #fff; color: #1b4f72;
  font-size: 13.5px; line-height: 1.35;
}
.src:hover { background: #eaf1f6; }
.src::before { content: "▸"; flex: none; width: 10px; }
.src[aria-expanded="true"]::before { content: "▾"; }
.src[aria-expanded="true"] { border-bottom-left-radius: 0; border-bottom-right-radius: 0; }
.quote { border: 1px solid #c5ced6; border-top: 0; border-radius: 0 0 6px 6px; background: #fff; padding: 8px 10px; font-size: 13.5px; }
.quote blockquote { margin: 0 0 6px; padding-left: 10px; border-left: 3px solid #1b4f72; color: #1a1a1a; white-space: pre-wrap; }
.quote p { margin: 0; }
.feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-top: 10px; font-size: 13px; color: #33404a; }
.thumb {
  width: 34px; height: 30px; border: 1px solid #8696a3; border-radius: 6px; background: #fff; color: #1a1a1a;
  font-size: 15px; line-height: 1; display: inline-flex; align-items: center; justify-content: center;
}
.thumb svg { width: 16px; height: 16px; }
.thumb:hover { background: #eaf1f6; }
.thumb[aria-pressed="true"] { background: #1b4f72; border-color: #1b4f72; color: #fff; }
.thanks { flex-basis: 100%; margin: 0; font-size: 13px; color: #1e5631; }
.thanks.bad { color: #8c1d18; }
form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e1e6ea; background: #fff; }
input[type="text"] {
  flex: 1; min-width: 0; padding: 10px 12px; border: 1px solid #6b7883; border-radius: 8px;
  background: #fff; color: #1a1a1a; font-size: 15px;
}
input[type="text"]::placeholder { color: #5b6670; opacity: 1; }
input[type="text"]:focus-visible { outline-offset: 0; }
.send {
  flex: none; padding: 10px 16px; border: 0; border-radius: 8px; background: #1b4f72; color: #fff; font-weight: 600;
}
.send:hover { background: #153e5a; }
.send:disabled { background: #8a9aa8; color: #fff; cursor: not-allowed; }
@media (max-width: 480px) {
  .panel {
    left: 0; right: 0; bottom: 0; width: 100%; max-width: 100%;
    height: 92vh; height: 92dvh; max-height: 100%; border-radius: 12px 12px 0 0; border-left: 0; border-right: 0;
  }
  .root.open .launcher { display: none; }
  .msg { max-width: 96%; }
}
@media (prefers-reduced-motion: no-preference) {
  .panel:not([hidden]) { animation: advisor-in .18s ease-out; }
  .launcher, .send, .starter, .src, .thumb { transition: background-color .15s ease; }
  .dots::after { animation: advisor-dots 1.2s steps(4, end) infinite; }
}
@keyframes advisor-in { from { opacity: 0; transform: translateY(12px); } to { opacity: 1; transform: none; } }
@keyframes advisor-dots { 0% { content: ""; } 25% { content: "."; } 50% { content: ".."; } 75% { content: "..."; } }
`;

  /** Create an element; text is always set with textContent, never parsed as HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function safeHttpUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  const apiHeaders = (extra) => Object.assign({ Accept: "application/json" }, KEY ? { "X-Advisor-Key": KEY } : {}, extra);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const reducedMotion = () => !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);

  let uid = 0;
  const nextId = (prefix) => `${prefix}-${++uid}`;

  function init() {
    if (document.getElementById(HOST_ID) || !document.body) return;

    const host = document.createElement("advisor-widget");
    host.id = HOST_ID;
    const shadow = host.attachShadow({ mode: "open" });

    const turns = []; // the conversation: {role, content}, oldest first; the server keeps no state
    let busy = false;

    const ICONS = {
      chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
      thumb: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 "
        + "7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    };
    const svg = (name, flip) => {
      const ns = "http://www.w3.org/2000/svg";
      const s = document.createElementNS(ns, "svg");
      s.setAttribute("viewBox", "0 0 24 24");
      s.setAttribute("aria-hidden", "true");
      s.setAttribute("focusable", "false");
      if (flip) s.setAttribute("transform", "rotate(180)");
      const p = document.createElementNS(ns, "path");
      p.setAttribute("fill", "currentColor");
      p.setAttribute("d", ICONS[name]);
      s.append(p);
      return s;
    };

    const launcher = el("button", {
      type: "button", class: "launcher", "aria-label": T.open, "aria-expanded": "false",
      "aria-controls": "advisor-panel",
    }, svg("chat"), el("span", { text: T.launcher }));

    const closeBtn = el("button", { type: "button", class: "close", "aria-label": T.close }, "×");
    const heading = el("h2", { id: "advisor-title", text: TITLE });

    const docsBox = el("div", { class: "docs", id: "advisor-docs", hidden: true });
    const docsBtn = el("button", {
      type: "button", class: "linkish", "aria-expanded": "false", "aria-controls": "advisor-docs", text: T.whereFrom,
    });
    const intro = el("div", { class: "intro" }, el("p", { text: T.note }), docsBtn, docsBox);

    const starters = el("div", { class: "starters", role: "group", "aria-labelledby": "advisor-starters-label" },
      el("p", { id: "advisor-starters-label", text: T.startersLabel }));
    for (const q of T.starters) {
      starters.append(el("button", { type: "button", class: "starter", text: q, onclick: () => ask(q) }));
    }

    const log = el("div", { class: "log", role: "region", "aria-label": T.conversation, tabindex: "0" }, starters);
    const input = el("input", {
      type: "text", id: "advisor-input", name: "question", placeholder: T.placeholder, autocomplete: "off",
      maxlength: "2000", enterkeyhint: "send",
    });
    const sendBtn = el("button", { type: "submit", class: "send", text: T.send });
    const form = el("form", { novalidate: true },
      el("label", { for: "advisor-input", class: "sr-only", text: T.inputLabel }), input, sendBtn);
    const live = el("div", { class: "sr-only", "aria-live": "polite", "aria-atomic": "true" });

    const panel = el("div", {
      class: "panel", id: "advisor-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "advisor-title",
      hidden: true,
    }, el("div", { class: "head" }, heading, closeBtn), intro, log, form, live);

    const root = el("div", { class: "root" }, launcher, panel);
    let styled = false;
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
      styled = true;
    } catch (_) { /* older browsers: a <style> element below */ }
    if (!styled) shadow.append(el("style", { text: CSS }));
    shadow.append(root);
    document.body.append(host);

    // ---- open / close --------------------------------------------------------------------------
    function open() {
      panel.hidden = false;
      root.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      input.focus();
    }
    function close() {
      panel.hidden = true;
      root.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }
    launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
    closeBtn.addEventListener("click", close);
    shadow.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !panel.hidden) {
        event.preventDefault();
        event.stopPropagation();
        close();
      }
    });

    // ---- "where do the answers come from" ------------------------------------------------------
    let docsLoaded = false;
    docsBtn.addEventListener("click", async () => {
      const expand = docsBtn.getAttribute("aria-expanded") !== "true";
      docsBtn.setAttribute("aria-expanded", String(expand));
      docsBox.hidden = !expand;
      if (!expand || docsLoaded) return;
      docsLoaded = true;
      docsBox.replaceChildren(el("p", { class: "status", text: T.searching }));
      try {
        const res = await fetch(`${BASE}/v1/documents`, { headers: apiHeaders() });
        if (!res.ok) throw new Error(String(res.status));
        const data = await res.json();
        const docs = Array.isArray(data) ? data : (data && Array.isArray(data.documents) ? data.documents : []);
        if (!docs.length) {
          docsBox.replaceChildren(el("p", { text: T.docsEmpty }));
          return;
        }
        const list = el("ul");
        for (const doc of docs) {
          const title = String((doc && doc.title) || (doc && doc.id) || "");
          const href = safeHttpUrl(doc && doc.url);
          const extra = [doc && doc.author, doc && doc.date].filter(Boolean).join(", ");
          const item = el("li");
          item.append(href ? el("a", { href, target: "_blank", rel: "noopener noreferrer", text: title })
            : el("span", { text: title }));
          if (extra) item.append(document.createTextNode(` (${extra})`));
          list.append(item);
        }
        docsBox.replaceChildren(el("p", { text: T.docsIntro }), list);
      } catch (_) {
        docsLoaded = false;
        docsBox.replaceChildren(el("p", { text: T.docsError }));
      }
    });

    // ---- conversation ---------------------------------------------------------------------------
    function scrollDown() {
      log.scrollTop = log.scrollHeight;
    }

    function addUser(question) {
      const msg = el("div", { class: "msg user" },
        el("span", { class: "who", text: T.you }), el("p", { class: "text", text: question }));
      log.append(msg);
      scrollDown();
    }

    function addAssistant() {
      const status = el("p", { class: "status" }, el("span", { class: "dots", text: T.searching }));
      const answer = el("div", { class: "answer" });
      const msg = el("div", { class: "msg assistant", "data-state": "waiting" },
        el("span", { class: "who", text: T.advisor }), status, answer);
      log.append(msg);
      scrollDown();
      return { msg, status, answer, text: "", citations: null };
    }

    /** Paragraphs as <p>; a block of "- " lines as a <ul> (its first line may be the lead-in paragraph). */
    function renderParagraphs(target, text) {
      const parts = String(text).split(/\n{2,}/).map((p) => p.trim()).filter(Boolean);
      const nodes = [];
      parts.forEach((part, i) => {
        const lines = part.split("\n");
        const first = lines[0].startsWith("- ") ? [] : [lines.shift()];
        if (first.length) nodes.push(el("p", { class: i === 0 && parts.length > 1 ? "lead" : null, text: first[0] }));
        const items = lines.filter((l) => l.startsWith("- ")).map((l) => el("li", { text: l.slice(2) }));
        if (items.length) {
          const list = el("ul", { class: "items" });
          list.append(...items);
          nodes.push(list);
        }
      });
      target.replaceChildren(...nodes);
    }

    function renderSources(view, citations) {
      const old = view.msg.querySelector(".sources");
      if (old) old.remove();
      const seen = new Set();
      const items = (Array.isArray(citations) ? citations : []).filter((c) => {
        if (!c || seen.has(c.n)) return false;
        seen.add(c.n);
        return true;
      });
      if (!items.length) return;
      const list = el("ul");
      for (const c of items) {
        const panelId = nextId("advisor-src");
        const btn = el("button", {
          type: "button", class: "src", "aria-expanded": "false", "aria-controls": panelId,
        }, `[${c.n}] ${c.title || c.document_id || ""}`);
        const box = el("div", { class: "quote", id: panelId, hidden: true });
        box.append(el("blockquote", { text: String(c.quote || "") }));
        const href = safeHttpUrl(c.url);
        const meta = el("p");
        if (c.page !== null && c.page !== undefined && c.page !== "") meta.append(T.page(c.page), href ? " · " : "");
        if (href) meta.append(el("a", { href, target: "_blank", rel: "noopener noreferrer", text: T.readSource }));
        if (meta.childNodes.length) box.append(meta);
        btn.addEventListener("click", () => {
          const expand = btn.getAttribute("aria-expanded") !== "true";
          btn.setAttribute("aria-expanded", String(expand));
          box.hidden = !expand;
          if (expand && box.scrollIntoView) box.scrollIntoView({ block: "nearest" });
        });
        list.append(el("li", {}, btn, box));
      }
      const headingId = nextId("advisor-sources");
      view.msg.append(el("div", { class: "sources", role: "group", "aria-labelledby": headingId },
        el("h3", { id: headingId, text: T.sources }), list));
    }

    function renderFeedback(view, answerId, question) {
      const thanks = el("p", { class: "thanks", role: "status" });
      const up = el("button", { type: "button", class: "thumb", "aria-label": T.up, "aria-pressed": "false" }, svg("thumb"));
      const down = el("button", { type: "button", class: "thumb", "aria-label": T.down, "aria-pressed": "false" }, svg("thumb", true));
      const send = async (rating, btn, other) => {
        if (btn.getAttribute("aria-pressed") === "true") return;
        btn.setAttribute("aria-pressed", "true");
        other.setAttribute("aria-pressed", "false");
        thanks.classList.remove("bad");
        try {
          const res = await fetch(`${BASE}/v1/feedback`, {
            method: "POST",
            headers: apiHeaders({ "Content-Type": "application/json" }),
            body: JSON.stringify({ answer_id: answerId, rating, question }),
          });
          if (!res.ok) throw new Error(String(res.status));
          thanks.textContent = T.thanks;
        } catch (_) {
          btn.setAttribute("aria-pressed", "false");
          thanks.classList.add("bad");
          thanks.textContent = T.feedbackError;
        }
      };
      up.addEventListener("click", () => send("up", up, down));
      down.addEventListener("click", () => send("down", down, up));
      view.msg.append(el("div", { class: "feedback", role: "group", "aria-label": T.helpful },
        el("span", { "aria-hidden": "true", text: T.helpful }), up, down, thanks));
    }

    function showError(view, message) {
      view.status.remove();
      view.msg.classList.add("error");
      view.msg.setAttribute("data-state", "error");
      view.answer.replaceChildren(el("p", { text: message }));
      live.textContent = message;
      scrollDown();
    }

    async function errorMessage(res) {
      try {
        const data = await res.json();
        if (data && data.error && typeof data.error.message === "string" && data.error.message) {
          return data.error.message;
        }
      } catch (_) { /* not JSON */ }
      return res.status >= 500 ? T.unreachable : T.failed;
    }

    /** Parse one SSE block ("event: x\ndata: {...}") into {event, data}. */
    function parseBlock(block) {
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return null;
      try {
        return { event, data: JSON.parse(data.join("\n")) };
      } catch (_) {
        return null;
      }
    }

    async function ask(raw) {
      const question = String(raw || "").trim();
      if (!question || busy) return;
      busy = true;
      sendBtn.disabled = true;
      starters.hidden = true;
      input.value = "";
      addUser(question);
      const view = addAssistant();
      const history = turns.slice(-MAX_TURNS);
      const controller = new AbortController();
      let stallTimer = 0;
      const armStall = () => {
        clearTimeout(stallTimer);
        stallTimer = setTimeout(() => controller.abort(), STALL_MS);
      };
      let finished = false;

      // Events are rendered one after the other; each delta is its own visible step (a short pause between
      // deltas unless the visitor prefers reduced motion), so the answer grows even when the network
      // delivers all deltas in one packet.
      let chain = Promise.resolve();
      const render = async (event, data) => {
        if (event === "retrieval") {
          const n = Number(data && data.passages) || 0;
          view.status.replaceChildren(el("span", { class: "dots", text: T.found(n) }));
        } else if (event === "delta") {
          if (view.status.isConnected) view.status.remove();
          view.msg.setAttribute("data-state", "streaming");
          view.text += String((data && data.text) || "");
          view.answer.textContent = view.text;
          scrollDown();
          if (!reducedMotion()) await sleep(DELTA_PAUSE_MS);
        } else if (event === "reset") {
          // The model's sentences were replaced by the extractive answer: its deltas follow.
          view.text = "";
          view.answer.textContent = "";
        } else if (event === "citations") {
          view.citations = (data && data.citations) || [];
          renderSources(view, view.citations);
          scrollDown();
        } else if (event === "done") {
          if (view.status.isConnected) view.status.remove();
          const answer = typeof (data && data.answer) === "string" ? data.answer : view.text;
          renderParagraphs(view.answer, answer);
          const citations = Array.isArray(data && data.citations) ? data.citations : view.citations;
          if (citations && (!view.citations || citations.length !== view.citations.length)) renderSources(view, citations);
          if (data && data.answered === false) view.msg.classList.add("refused");
          if (data && data.answer_id) renderFeedback(view, data.answer_id, question);
          view.msg.setAttribute("data-state", "done");
          turns.push({ role: "user", content: question }, { role: "assistant", content: answer });
          live.textContent = answer;
          scrollDown();
        } else if (event === "error") {
          showError(view, (data && data.message) || T.failed);
        }
      };
      const onEvent = (event, data) => {
        if (finished) return;
        if (event === "done" || event === "error") finished = true;
        chain = chain.then(() => render(event, data));
      };

      try {
        let res;
        try {
          armStall();
          const headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
          if (KEY) headers["X-Advisor-Key"] = KEY;
          res = await fetch(`${BASE}/v1/chat/stream`, {
            method: "POST", headers, body: JSON.stringify({ question, turns: history }), signal: controller.signal,
          });
        } catch (_) {
          showError(view, T.unreachable);
          return;
        }
        if (!res.ok) {
          showError(view, await errorMessage(res));
          return;
        }
        const type = res.headers.get("content-type") || "";
        if (!res.body || !type.includes("text/event-stream")) {
          // A plain JSON answer (e.g. a proxy that rewrote the response): show it as a finished answer.
          try {
            const data = await res.json();
            if (data && data.error) onEvent("error", data.error);
            else onEvent("done", data);
          } catch (_) {
            onEvent("error", { message: T.failed });
          }
          await chain;
          return;
        }
        const reader = res.body.getReader();
        const decoder = new TextDecoder("utf-8");
        let buffer = "";
        let broken = false;
        try {
          while (!finished) {
            const { value, done } = await reader.read();
            armStall();
            if (done) break;
            buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n").replace(/\r(?!$)/g, "\n");
            let cut;
            while (!finished && (cut = buffer.indexOf("\n\n")) !== -1) {
              const parsed = parseBlock(buffer.slice(0, cut));
              buffer = buffer.slice(cut + 2);
              if (parsed) onEvent(parsed.event, parsed.data);
            }
          }
          if (!finished && buffer.trim()) {
            const parsed = parseBlock(buffer);
            if (parsed) onEvent(parsed.event, parsed.data);
          }
        } catch (_) {
          broken = true;
        } finally {
          reader.cancel().catch(() => {});
        }
        await chain;
        if (!finished) showError(view, view.text ? T.interrupted : (broken ? T.unreachable : T.failed));
      } finally {
        clearTimeout(stallTimer);
        busy = false;
        sendBtn.disabled = false;
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      ask(input.value);
    });
  }

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init, { once: true });
})();
