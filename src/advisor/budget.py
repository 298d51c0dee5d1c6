"""Budget: the deadline and the cancel flag of one request; the pipeline checks it between its steps."""

from __future__ import annotations

import threading
import time

from .errors import DeadlineExceededError, RequestCancelledError


class Budget:
    """Set by whoever waits for the answer (the API); `check()` raises once it is cancelled or overdue."""

    def __init__(self, seconds: float | None = None) -> None:
        self.deadline = time.monotonic() + seconds if seconds else None
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def remaining(self) -> float:
        """Seconds left (infinity without a deadline)."""
        return float("inf") if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def check(self) -> None:
        if self.cancelled:
            raise RequestCancelledError("the client went away")
        if self.expired:
            raise DeadlineExceededError("the request deadline passed")
