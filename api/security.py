"""Security middleware: body limits, content types, API keys, rate limits, security headers, private logs.

One pure-ASGI middleware so every route (and the streaming one) gets the same checks before any work is done.
Rate limits are per process (a token bucket per client IP and per widget key); with several workers or hosts
the effective limit is the per-process limit times the number of processes.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
import time
from typing import Awaitable, Callable

from advisor import prompts
from advisor.settings import SecuritySettings

log = logging.getLogger("advisor.access")

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

_WIDGET_PATHS = ("/v1/chat", "/v1/chat/stream", "/v1/feedback", "/v1/documents", "/v1/embed")
_HTML_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
_API_CSP = "default-src 'none'; frame-ancestors 'none'"


def anonymise_ip(ip: str) -> str:
    """Keep a network, never the address: IPv4 /24, IPv6 /48 (logs and rate-limit keys stay useful)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def keys_match(given: str | None, expected: str) -> bool:
    """Constant-time comparison, so response timing does not reveal how much of a key was right."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class TokenBucket:
    """Requests per minute with a burst allowance, per key; old keys are forgotten."""

    def __init__(self, per_minute: int, burst: int, max_keys: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                return 0.0
            self._state[key] = (tokens, now)
            if len(self._state) > self.max_keys:
                self._state.clear()  # crude, bounded memory; a flood of new IPs resets everyone's bucket
            return (1.0 - tokens) / self.rate


def _json(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, raw, body


class SecurityMiddleware:
    """Checks every HTTP request before the app sees it and adds security headers to every response."""

    def __init__(self, app, settings: SecuritySettings) -> None:
        self.app = app
        self.settings = settings
        self.ip_bucket = TokenBucket(settings.rate_per_ip, settings.burst) if settings.rate_per_ip else None
        self.key_bucket = TokenBucket(settings.rate_per_key, settings.burst * 5) if settings.rate_per_key else None

    def _client_ip(self, scope: Scope, headers: dict[str, str]) -> str:
        if self.settings.trust_forwarded_for and headers.get("x-forwarded-for"):
            return headers["x-forwarded-for"].split(",")[0].strip()
        client = scope.get("client")
        return client[0] if client else "unknown"

    def _reject(self, scope: Scope, headers: dict[str, str]):
        """A (status, headers, body) refusal, or None when the request may proceed."""
        path, method = scope.get("path", ""), scope.get("method", "GET")
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.settings.max_body_bytes:
            return _json(413, "too_large", prompts.HTTP_TOO_LARGE.format(limit=self.settings.max_body_bytes))
        key = headers.get("x-advisor-key")
        if path.startswith("/v1/admin"):  # admin routes take no body: only the key matters
            admin = self.settings.admin_key
            if admin is None or not keys_match(key, admin.get_secret_value()):
                return _json(401 if admin else 404, "unauthorized" if admin else "not_found",
                             prompts.HTTP_NO_ACCESS if admin else prompts.HTTP_STATUS[404])
            return None
        if method == "POST" and path.startswith("/v1/"):
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                return _json(415, "unsupported_media_type", prompts.HTTP_NOT_JSON)
        widget_route = path in _WIDGET_PATHS
        valid_key = key is not None and any(keys_match(key, k) for k in self.settings.widget_keys)
        if widget_route and key is not None and not valid_key:
            return _json(401, "invalid_key", prompts.HTTP_INVALID_KEY)
        if widget_route and self.settings.require_widget_key and not valid_key:
            return _json(401, "key_required", prompts.HTTP_KEY_REQUIRED)
        if widget_route:
            bucket, bucket_key = (self.key_bucket, "k:" + key) if valid_key else \
                (self.ip_bucket, "ip:" + self._client_ip(scope, headers))
            wait = bucket.take(bucket_key) if bucket else 0.0
            if wait > 0:
                return _json(429, "rate_limited", prompts.HTTP_RATE_LIMITED,
                             {"Retry-After": str(max(1, int(wait + 0.999)))})
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        status_holder = {"status": 500}
        limit = self.settings.max_body_bytes
        received = 0

        async def limited_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a chunked body without content-length that grows too big
                    raise _BodyTooLarge()
            return message

        async def secured_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                raw = list(message.get("headers", []))
                ctype = dict(raw).get(b"content-type", b"").decode("latin-1")
                extra = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
                         "x-frame-options": "DENY", "permissions-policy": "camera=(), microphone=(), geolocation=()",
                         "content-security-policy": _HTML_CSP if ctype.startswith("text/html") else _API_CSP}
                present = {k.decode("latin-1").lower() for k, _ in raw}
                raw += [(k.encode(), v.encode()) for k, v in extra.items() if k not in present]
                message = {**message, "headers": raw}
            await send(message)

        refusal = self._reject(scope, headers)
        try:
            if refusal is not None:
                status, raw, body = refusal
                await secured_send({"type": "http.response.start", "status": status, "headers": raw})
                await send({"type": "http.response.body", "body": body})
            else:
                await self.app(scope, limited_receive, secured_send)
        except _BodyTooLarge:
            status, raw, body = _json(413, "too_large", prompts.HTTP_TOO_LARGE.format(limit=limit))
            await secured_send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": body})
        finally:
            # Never the full IP, never the question, never a key.
            log.info("%s %s %s %d %.0fms", anonymise_ip(self._client_ip(scope, headers)), scope.get("method"),
                     scope.get("path"), status_holder["status"], (time.perf_counter() - started) * 1000)


class _BodyTooLarge(Exception):
    pass
