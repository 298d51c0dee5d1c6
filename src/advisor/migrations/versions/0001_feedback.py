"""The feedback table exactly as the pre-Alembic FeedbackStore created it (kept as is when it already exists).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("feedback"):
        return  # a database of the SQLite-only FeedbackStore: its rows stay where they are
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.Text, nullable=False),
        sa.Column("rating", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("question", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.CheckConstraint("rating IN ('up', 'down')", name="feedback_rating"),
    )


def downgrade() -> None:
    op.drop_table("feedback")
