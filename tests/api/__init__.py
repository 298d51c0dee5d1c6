"""API tests (in-process TestClient)."""

from __future__ import annotations

import time


def wait_until_ready(client, seconds: float = 30.0) -> None:
    """Block until /readyz answers 200 (the app loads its index in the background)."""
    deadline = time.monotonic() + seconds
    while client.get("/readyz").status_code != 200:
        assert time.monotonic() < deadline, "the app did not get ready"
        time.sleep(0.05)
