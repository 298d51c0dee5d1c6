"""Bounded work per request: a deadline, cancellation when the client goes away, a cap on concurrent questions.

The pipeline runs in a worker thread (it is CPU-bound); at most `security.max_concurrent_work` run at once and
the rest wait in line. A request still waiting when its deadline passes gets 503, one still computing 504; a
client that disconnects cancels its request: a waiting one never starts, a running one stops at the next step.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

import anyio
from fastapi import Request

from advisor.budget import Budget
from advisor.errors import DeadlineExceededError, RequestCancelledError, ServerBusyError

T = TypeVar("T")


async def run_bounded(request: Request, work: Callable[[Budget], T], *, deadline: bool = True) -> T:
    """`work(budget)` in a worker thread under the request's budget and the process-wide work limiter."""
    state = request.app.state
    budget = Budget(state.settings.security.request_timeout_s if deadline else None)
    started = threading.Event()
    outcome: dict[str, object] = {}

    def call() -> T:
        started.set()
        budget.check()  # it may have waited in line until after its deadline or its client's departure
        return work(budget)

    async with anyio.create_task_group() as group:
        async def watch() -> None:  # the only way to notice a client that went away before the answer
            while (await request.receive())["type"] != "http.disconnect":
                pass
            budget.cancel()
            group.cancel_scope.cancel()

        async def compute() -> None:
            with anyio.move_on_after(budget.remaining()):
                try:
                    outcome["result"] = await anyio.to_thread.run_sync(call, limiter=state.work_limiter)
                except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
                    outcome["error"] = exc
            group.cancel_scope.cancel()

        group.start_soon(watch)
        group.start_soon(compute)
    if "result" in outcome:
        return outcome["result"]  # type: ignore[return-value]
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if budget.cancelled:
        raise RequestCancelledError("the client went away")
    if not started.is_set():
        raise ServerBusyError("no work slot became free before the deadline")
    raise DeadlineExceededError("the request deadline passed")
