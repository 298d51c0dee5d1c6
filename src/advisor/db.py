"""Feedback and question analytics in one database (SQLAlchemy 2): SQLite in the data dir, or PostgreSQL by URL.

The schema is owned by the Alembic migrations in `advisor/migrations`, run at start-up under a lock (several
API workers or replicas may start at once). Everything free-text is scrubbed (`scrub.py`) before it is written.
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .scrub import scrub
from .settings import AdvisorSettings

MIGRATIONS = Path(__file__).parent / "migrations"
_metadata = sa.MetaData()
feedback = sa.Table(
    "feedback", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("answer_id", sa.Text, nullable=False),
    sa.Column("rating", sa.Text, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("question", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
)
questions = sa.Table(
    "questions", _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("answer_id", sa.String(64), nullable=False),
    sa.Column("asked_hour", sa.DateTime(timezone=True), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("answered", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("cited", sa.JSON, nullable=False),
    sa.Column("latency_ms", sa.Float),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("rating", sa.String(4)),
    sa.Column("comment", sa.Text),
)
_PG_LOCK = 7_240_311  # pg_advisory_lock key of the migration step


def database_url(settings: AdvisorSettings) -> str:
    """ADVISOR_DATABASE_URL, else SQLite at feedback_db or <data_dir>/advisor.sqlite3."""
    if settings.database_url:
        return settings.database_url
    path = Path(settings.feedback_db or settings.data_dir / "advisor.sqlite3").resolve()
    return f"sqlite:///{path}"


def hour_of(moment: datetime | None = None) -> datetime:
    """The UTC hour a question was asked in: no finer time is kept."""
    moment = moment or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite hands naive datetimes back


class Database:
    """The feedback and question-analytics store."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite_path: Path | None = None
        if url.startswith("sqlite"):
            self.sqlite_path = Path(sa.engine.make_url(url).database or "")
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = sa.create_engine(url, connect_args={"timeout": 30})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)

    @classmethod
    def from_settings(cls, settings: AdvisorSettings, *, migrate: bool = True) -> "Database":
        db = cls(database_url(settings))
        if migrate:
            db.migrate(legacy=settings.data_dir / "feedback.sqlite3")
        return db

    # -- schema ---------------------------------------------------------------------------
    @contextmanager
    def _migration_lock(self) -> Iterator[Connection]:
        if self.sqlite_path is not None:
            # The file lock comes first: opening the connection already switches the file to WAL, which two
            # processes starting at the same moment must not do at once.
            with open(self.sqlite_path.with_name(self.sqlite_path.name + ".migrate.lock"), "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    with self.engine.connect() as conn:
                        yield conn
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
            return
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            conn.commit()
            try:
                yield conn
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()

    def migrate(self, *, legacy: Path | None = None) -> None:
        """Bring the schema to the newest revision; then import a legacy feedback.sqlite3 (idempotent)."""
        from alembic import command
        from alembic.config import Config

        with self._migration_lock() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
            if legacy is not None and legacy.is_file() and (
                    self.sqlite_path is None or legacy.resolve() != self.sqlite_path.resolve()):
                self._import_legacy(conn, legacy)
                conn.commit()

    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def _import_legacy(self, conn: Connection, path: Path) -> int:
        """Copy the rows of a pre-Alembic feedback.sqlite3 that are not here yet (nothing is lost, nothing doubled)."""
        with sqlite3.connect(path) as old:
            try:
                rows = old.execute("SELECT answer_id, rating, comment, question, created_at FROM feedback").fetchall()
            except sqlite3.OperationalError:
                return 0
        have = {(r.answer_id, r.created_at) for r in conn.execute(sa.select(feedback.c.answer_id,
                                                                            feedback.c.created_at))}
        new = [dict(answer_id=a, rating=r, comment=c, question=q, created_at=t)
               for a, r, c, q, t in rows if (a, t) not in have]
        if new:
            conn.execute(feedback.insert(), new)
        return len(new)

    # -- writing --------------------------------------------------------------------------
    def add_feedback(self, answer_id: str, rating: str, comment: str | None = None,
                     question: str | None = None) -> int:
        """Store a thumbs up/down (comment and question scrubbed) and attach it to the analytics row."""
        comment, question = scrub(comment), scrub(question)
        with self.engine.begin() as conn:
            new_id = conn.execute(feedback.insert().values(answer_id=answer_id, rating=rating, comment=comment,
                                                           question=question, created_at=time.time())
                                  ).inserted_primary_key[0]
            latest = conn.execute(sa.select(sa.func.max(questions.c.id)).where(
                questions.c.answer_id == answer_id, questions.c.rating.is_(None))).scalar()
            if latest is not None:
                conn.execute(questions.update().where(questions.c.id == latest).values(rating=rating, comment=comment))
        return int(new_id)

    def record_question(self, *, answer_id: str, question: str, answered: bool, reason: str, confidence: float,
                        cited: Sequence[str], latency_ms: float | None, mode: str,
                        asked: datetime | None = None) -> int:
        """One question's analytics row; the question is scrubbed here, the raw text never reaches the database."""
        with self.engine.begin() as conn:
            return int(conn.execute(questions.insert().values(
                answer_id=answer_id, asked_hour=hour_of(asked), question=scrub(question) or "", answered=answered,
                reason=reason, confidence=float(confidence), cited=list(dict.fromkeys(cited)),
                latency_ms=latency_ms, mode=mode)).inserted_primary_key[0])

    def purge(self, *, feedback_days: int, analytics_days: int) -> tuple[int, int]:
        """Delete feedback and question analytics older than their retention periods."""
        with self.engine.begin() as conn:
            old_feedback = conn.execute(feedback.delete().where(
                feedback.c.created_at < time.time() - feedback_days * 86_400)).rowcount
            old_questions = conn.execute(questions.delete().where(
                questions.c.asked_hour < hour_of() - timedelta(days=analytics_days))).rowcount
        return old_feedback, old_questions

    # -- reading --------------------------------------------------------------------------
    def feedback(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(feedback).order_by(feedback.c.id))]

    def questions(self, since: datetime | None = None) -> list[dict[str, Any]]:
        query = sa.select(questions).order_by(questions.c.id)
        if since is not None:
            query = query.where(questions.c.asked_hour >= hour_of(since))
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["asked_hour"] = _as_utc(row["asked_hour"])
        return rows

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first, so that the switch to WAL waits for a busy file too
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; several workers may write
    cursor.close()
