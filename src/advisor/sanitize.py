"""Safe metadata values: http(s) links without credentials, titles and names as plain text (no markup).

Ingest validates every document's metadata with `check_metadata` (bad fields are reported and left out, the
document is still indexed); the answer and the API pass urls through `safe_url` again, so an index built before
this check never hands out a javascript:/data: link either.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_TEXT_FIELDS = ("title", "author", "publisher", "kind")
_ACTIVE = re.compile(r"<\s*(script|style|iframe|object|template)\b.*?(?:<\s*/\s*\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[a-zA-Z!?][^<>]*(?:>|$)")  # "a < b" is text; "<b>" and an unclosed "<img ..." are not
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_url(url: object) -> str | None:
    """The url if it is an absolute http(s) link with a host and no user/password part, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ch.isspace() or ch == "\\" for ch in url) or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # a malformed port raises here
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None  # "https://gemeente.nl@evil.example/" leads to evil.example
    return url


def plain_text(value: str) -> str:
    """Text without markup: script/style elements go with their content, other tags go, whitespace collapses."""
    text = _TAG.sub(" ", _ACTIVE.sub(" ", value))
    return " ".join(_CONTROL.sub(" ", text).split())


def check_metadata(metadata: dict, fallback_title: str) -> tuple[dict, list[tuple[str, str]]]:
    """(clean metadata, [(field, reason)]): an unusable url is left out, markup is taken out of text fields."""
    clean = dict(metadata)
    issues: list[tuple[str, str]] = []
    if "url" in clean and safe_url(clean["url"]) is None:
        issues.append(("url", f"{str(clean.pop('url'))[:80]!r} is not an http(s) link without credentials; "
                              "left out"))
    for name in _TEXT_FIELDS:
        value = clean.get(name)
        if not isinstance(value, str):
            continue
        text = plain_text(value)
        if text != " ".join(value.split()):
            issues.append((name, "markup or control characters removed" if text else "only markup; left out"))
        if text:
            clean[name] = text
        else:
            clean.pop(name)
    if not clean.get("title"):
        clean["title"] = fallback_title
    return clean, issues
