"""Question analytics (scrubbed question, hour, decision, sources, latency, later feedback); feedback by answer id.

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
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
    op.create_index("questions_asked_hour", "questions", ["asked_hour"])
    op.create_index("questions_answer_id", "questions", ["answer_id"])
    op.create_index("feedback_answer_id", "feedback", ["answer_id"])
    op.create_index("feedback_created_at", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("feedback_created_at", "feedback")
    op.drop_index("feedback_answer_id", "feedback")
    op.drop_table("questions")
