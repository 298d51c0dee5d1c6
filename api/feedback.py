"""Feedback on answers, stored in SQLite (one small table; a connection per call keeps it thread-safe)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    question TEXT,
    created_at REAL NOT NULL
)
"""


class FeedbackStore:
    """Append-only store of thumbs up/down with an optional comment."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, answer_id: str, rating: str, comment: str | None = None, question: str | None = None) -> int:
        with self._connect() as db:
            cur = db.execute("INSERT INTO feedback (answer_id, rating, comment, question, created_at) "
                             "VALUES (?, ?, ?, ?, ?)", (answer_id, rating, comment, question, time.time()))
            return int(cur.lastrowid)

    def purge(self, older_than_days: int) -> int:
        """Delete feedback older than the retention period (privacy: keep nothing longer than needed)."""
        cutoff = time.time() - older_than_days * 86_400
        with self._connect() as db:
            return db.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,)).rowcount

    def all(self) -> list[dict]:
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM feedback ORDER BY id")]
