"""A bounded load test of a running advisor server, loopback only.

`run_load` sends POST /v1/chat from `clients` concurrent workers until `requests` requests were made or
`duration_s` seconds passed, whichever comes first, and samples the server's resident memory by pid. It
refuses any base URL whose host is not 127.0.0.1, localhost or ::1: this is a tool for a server on the
same machine, never for someone else's.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Answerable questions about the corpus (mandaat, moederorganisaties, gedragen samenwerking) and a few
# that the sources do not answer, so both the answer and the refusal path are under load.
DEFAULT_QUESTIONS: tuple[str, ...] = (
    "Waarom is mandaat belangrijk voor een samenwerkingsverband?",
    "Hoe betrek je de moederorganisaties bij een samenwerking?",
    "Wat is een gedragen samenwerking?",
    "Welke rol spelen moederorganisaties in de governance van een samenwerkingsverband?",
    "Hoe voorkom je dat er steeds ruggenspraak nodig is?",
    "Wat gebeurt er als de vertegenwoordigers geen mandaat hebben?",
    "Hoe zorg je voor draagvlak bij de moederorganisaties?",
    "Wat is de hoofdstad van Frankrijk?",
    "Hoe laat vertrekt de laatste trein naar Groningen?",
    "Wat is een goed recept voor appeltaart?",
)

RSS_INTERVAL_S = 0.5
KEEPALIVE_EXPIRY_S = 2.0


def check_loopback(base_url: str) -> str:
    """The base URL without a trailing slash, or ValueError when its host is not a loopback name."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"load test refused: {base_url!r} is not an http(s) URL")
    host = (parts.hostname or "").lower()
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"load test refused: host {host or '(none)'!r} in {base_url!r} is not loopback; "
            f"only {', '.join(sorted(LOOPBACK_HOSTS))} may be targeted"
        )
    return base_url.rstrip("/")


def read_rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MiB from /proc/<pid>/status, or None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def _rss_figures(samples: list[tuple[float, float]]) -> dict:
    """Start, end, max, and the growth of the mean RSS between the first and the last fifth of the run."""
    if not samples:
        return {"rss_samples": 0, "rss_start_mb": None, "rss_end_mb": None, "rss_max_mb": None,
                "rss_growth_mb": None}
    t0, t1 = samples[0][0], samples[-1][0]
    span = t1 - t0
    first = [mb for t, mb in samples if t <= t0 + span / 5] or [samples[0][1]]
    last = [mb for t, mb in samples if t >= t1 - span / 5] or [samples[-1][1]]
    return {
        "rss_samples": len(samples),
        "rss_start_mb": round(samples[0][1], 1),
        "rss_end_mb": round(samples[-1][1], 1),
        "rss_max_mb": round(max(mb for _, mb in samples), 1),
        "rss_first_fifth_mb": round(statistics.fmean(first), 1),
        "rss_last_fifth_mb": round(statistics.fmean(last), 1),
        "rss_growth_mb": round(statistics.fmean(last) - statistics.fmean(first), 1),
    }


async def run_load_async(base_url: str, *, clients: int = 50, requests: int = 5000, duration_s: float = 60.0,
                         questions: list[str] | None = None, pid: int | None = None, key: str | None = None,
                         timeout_s: float = 30.0) -> dict:
    """The load test inside a running event loop; see `run_load`."""
    import httpx

    base = check_loopback(base_url)
    if clients < 1 or requests < 1 or duration_s <= 0:
        raise ValueError("clients and requests must be at least 1 and duration_s positive")
    pool = list(questions or DEFAULT_QUESTIONS)
    if not pool:
        raise ValueError("no questions to ask")
    headers = {"X-Advisor-Key": key} if key else {}

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    error_kinds: Counter[str] = Counter()
    rss: list[tuple[float, float]] = []
    issued = 0
    started = time.perf_counter()
    deadline = started + duration_s

    def sample() -> None:
        if pid is not None:
            mb = read_rss_mb(pid)
            if mb is not None:
                rss.append((time.perf_counter(), mb))

    async def sampler() -> None:
        while True:
            sample()
            await asyncio.sleep(RSS_INTERVAL_S)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            n = issued
            issued += 1  # single-threaded event loop: no lock needed between the check and the claim
            t = time.perf_counter()
            try:
                res = await client.post("/v1/chat", json={"question": pool[n % len(pool)]})
                await res.aread()
            except httpx.HTTPError as exc:
                error_kinds[type(exc).__name__] += 1
                continue
            latencies.append((time.perf_counter() - t) * 1000)
            statuses[res.status_code] += 1
            if res.status_code not in (200, 429):
                error_kinds[f"HTTP {res.status_code}"] += 1

    # An idle pooled connection is dropped by the client before the server's keep-alive timeout (uvicorn: 5 s,
    # the same as httpx's default expiry) can close it: otherwise a request sent on a connection the server is
    # closing at that moment fails with a reset (a client/server race, not a server fault).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients,
                          keepalive_expiry=KEEPALIVE_EXPIRY_S)
    # trust_env=False: no proxy from the environment may carry this traffic off the machine; no redirects.
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout_s, limits=limits,
                                 trust_env=False, follow_redirects=False) as client:
        sampling = asyncio.create_task(sampler())
        tasks = [asyncio.create_task(worker(client)) for _ in range(clients)]
        try:
            # Requests still in flight at the deadline may finish within their own timeout, no later.
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=duration_s + timeout_s + 5)
        except asyncio.TimeoutError:
            error_kinds["cancelled_at_deadline"] += sum(1 for t in tasks if t.cancelled())
        finally:
            sampling.cancel()
            for task in tasks:
                task.cancel()
        elapsed = time.perf_counter() - started
        sample()

    done = sum(statuses.values()) + sum(v for k, v in error_kinds.items() if not k.startswith("HTTP "))
    errors = sum(error_kinds.values())
    result = {
        "base_url": base,
        "clients": clients,
        "requests": done,
        "ok": statuses.get(200, 0),
        "errors": errors,
        "rate_limited": statuses.get(429, 0),
        "error_kinds": dict(error_kinds),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "duration_s": round(elapsed, 2),
        "hit_duration_limit": done < requests,
        "throughput_rps": round(done / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_ms": {f"p{q}": (round(v, 1) if (v := _percentile(latencies, q)) is not None else None)
                       for q in (50, 95, 99)},
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "pid": pid,
    }
    result.update(_rss_figures(rss))
    return result


def run_load(base_url: str, *, clients: int = 50, requests: int = 5000, duration_s: float = 60.0,
             questions: list[str] | None = None, pid: int | None = None, key: str | None = None,
             timeout_s: float = 30.0) -> dict:
    """Load a RUNNING server at `base_url` (loopback only) with POST /v1/chat and return the figures.

    `clients` workers share the budget of `requests` requests; the run stops at that count or after
    `duration_s` seconds, whichever comes first. Questions cycle through `questions` (default: a built-in
    Dutch mix of answerable and unanswerable ones). `key` is sent as the X-Advisor-Key header. With `pid`,
    the server's VmRSS is sampled every 0.5 s.

    Returned: requests (completed: responses plus transport failures), ok, errors (responses other than
    200 and 429, plus exceptions), rate_limited (429s, counted apart from errors), error_kinds,
    status_counts, duration_s, throughput_rps, latency_ms {p50, p95, p99} over all responses, and with a
    pid rss_start_mb, rss_end_mb, rss_max_mb, rss_growth_mb (mean of the last fifth of the run minus mean
    of the first fifth: near zero when memory is flat).
    """
    check_loopback(base_url)
    result: dict = {}

    def run() -> None:  # a thread of its own: the caller may already run an event loop (e.g. Playwright's)
        result.update(asyncio.run(run_load_async(base_url, clients=clients, requests=requests,
                                                 duration_s=duration_s, questions=questions, pid=pid, key=key,
                                                 timeout_s=timeout_s)))

    worker = threading.Thread(target=run, name="advisor-load")
    worker.start()
    worker.join()
    if not result:
        raise RuntimeError("the load test did not complete (see the error above)")
    return result


def format_load(result: dict) -> str:
    """The figures of a `run_load` result, one per line."""
    lat = result.get("latency_ms", {})

    def num(value, unit: str = "") -> str:
        return "n/a" if value is None else f"{value}{unit}"

    lines = [
        f"requests: {result['requests']}",
        f"ok (200): {result.get('ok', 'n/a')}",
        f"errors: {result['errors']}",
        f"rate limited (429): {result.get('rate_limited', 0)}",
        f"error kinds: {', '.join(f'{k}={v}' for k, v in result['error_kinds'].items()) or 'none'}",
        f"duration: {result['duration_s']} s",
        f"throughput: {result['throughput_rps']} req/s",
        f"latency p50: {num(lat.get('p50'), ' ms')}",
        f"latency p95: {num(lat.get('p95'), ' ms')}",
        f"latency p99: {num(lat.get('p99'), ' ms')}",
    ]
    if result.get("pid") is not None:
        lines += [
            f"rss start: {num(result.get('rss_start_mb'), ' MB')}",
            f"rss end: {num(result.get('rss_end_mb'), ' MB')}",
            f"rss max: {num(result.get('rss_max_mb'), ' MB')}",
            f"rss growth (last fifth - first fifth): {num(result.get('rss_growth_mb'), ' MB')}",
        ]
    return "\n".join(lines)

