"""Security middleware: body limits, content types, API keys, rate limits, security headers, private logs.

One pure-ASGI middleware so every route (and the streaming one) gets the same checks before any work is done.
Rate limits are per process (`limits` sliding windows per client IP, and per widget key on top); with several
workers or hosts the effective limit is the per-process limit times the number of processes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import time
from typing import Awaitable, Callable

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

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
_UNSAFE_LOG = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]")


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


class RateLimits:
    """Per client IP always, per widget key on top (`limits`, sliding windows, in process memory).

    A keyed request counts against its IP's limit and its key's limit: one client of the public widget key
    cannot use up what the key allows for everyone, and a key never lifts the per-IP limit.
    """

    def __init__(self, settings: SecuritySettings) -> None:
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.per_ip = [RateLimitItemPerMinute(settings.rate_per_ip), RateLimitItemPerSecond(settings.burst)] \
            if settings.rate_per_ip else []
        self.per_key = [RateLimitItemPerMinute(settings.rate_per_key), RateLimitItemPerSecond(settings.burst * 5)] \
            if settings.rate_per_key else []

    def take(self, ip: str, key: str | None) -> float:
        """0 if allowed (and counted), else the seconds to wait; nothing is counted for a refused request."""
        checks = [(item, ("ip", ip)) for item in self.per_ip]
        if key is not None:
            checks += [(item, ("key", hashlib.sha256(key.encode()).hexdigest()[:16])) for item in self.per_key]
        for item, ids in checks:
            if not self.limiter.test(item, *ids):
                reset = self.limiter.get_window_stats(item, *ids).reset_time
                return max(1.0, reset - time.time())
        for item, ids in checks:
            self.limiter.hit(item, *ids)
        return 0.0


def log_field(value: object) -> str:
    """A value safe for one log line: control characters (CR, LF, NUL, ...) become visible escapes."""
    return _UNSAFE_LOG.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else
                           f"\\u{ord(m.group()):04x}", str(value))


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
        self.limits = RateLimits(settings)

    @staticmethod
    def _client_ip(scope: Scope) -> str:
        """The peer address; uvicorn replaces it from X-Forwarded-For only for `forwarded_allow_ips` proxies."""
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
            wait = self.limits.take(self._client_ip(scope), key if valid_key else None)
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
            if refusal is None and scope.get("method") in ("POST", "PUT", "PATCH"):
                # The whole body (at most `limit` bytes) is read here, so a chunked body without content-length
                # that grows too big is refused with 413 before any route or parser sees it.
                body, more, replay = b"", True, []
                while more:
                    message = await receive()
                    if message["type"] != "http.request":
                        replay.append(message)
                        break
                    body += message.get("body", b"")
                    more = message.get("more_body", False)
                    if len(body) > limit:
                        refusal = _json(413, "too_large", prompts.HTTP_TOO_LARGE.format(limit=limit))
                        break
                replay.insert(0, {"type": "http.request", "body": body, "more_body": False})
                receive = _replaying(replay, receive)
            if refusal is not None:
                status, raw, body = refusal
                await secured_send({"type": "http.response.start", "status": status, "headers": raw})
                await send({"type": "http.response.body", "body": body})
            else:
                await self.app(scope, receive, secured_send)
        finally:
            # Never the full IP, never the question, never a key; the path is escaped (no forged log lines).
            log.info("%s %s %s %d %.0fms", anonymise_ip(self._client_ip(scope)), log_field(scope.get("method")),
                     log_field(scope.get("path")), status_holder["status"], (time.perf_counter() - started) * 1000)


def _replaying(messages: list[dict], receive: Receive) -> Receive:
    """A receive that hands out the buffered messages first, then waits on the connection (disconnects)."""
    pending = list(messages)

    async def replay() -> dict:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
