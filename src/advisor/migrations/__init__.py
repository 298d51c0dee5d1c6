"""Alembic migrations of the feedback/analytics database (run programmatically by advisor.db.Database.migrate)."""
