"""signposting_cards, pulse_counts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signposting_cards",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_signposting_cards_group_id_groups"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signposting_cards")),
        sa.UniqueConstraint("group_id", name=op.f("uq_signposting_cards_group_id")),
    )
    op.create_table(
        "pulse_counts",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("question", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], name=op.f("fk_pulse_counts_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "question", "answer", name=op.f("pk_pulse_counts")),
    )


def downgrade() -> None:
    op.drop_table("pulse_counts")
    op.drop_table("signposting_cards")
