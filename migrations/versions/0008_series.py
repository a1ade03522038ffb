"""series, calendar_feeds; sessions as occurrences (occurrence_at, detached, cancel_reason,
sequence); groups' join window and late-join rule

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("first_start", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480",
                           name=op.f("ck_series_duration_minutes")),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"],
                                name=op.f("fk_series_group_id_groups"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_group_id"), ["group_id"], unique=False)

    op.create_table(
        "calendar_feeds",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(member_id IS NULL) <> (account_id IS NULL)",
                           name=op.f("ck_calendar_feeds_one_owner")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_calendar_feeds_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_calendar_feeds_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("account_id", name=op.f("uq_calendar_feeds_account_id")),
        sa.UniqueConstraint("member_id", name=op.f("uq_calendar_feeds_member_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurrence_at", app.core.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column("detached", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False,
                                      server_default="0"))
    op.create_index("uq_sessions_series_occurrence", "sessions",
                    ["series_id", "occurrence_at"], unique=True)

    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("join_window_minutes", sa.Integer(), nullable=False,
                                      server_default="10"))
        batch_op.add_column(sa.Column("late_after_minutes", sa.Integer(), nullable=False,
                                      server_default="10"))
        batch_op.add_column(sa.Column(
            "late_join", sa.Enum("next_phase", "lock", name="late_join", native_enum=False,
                                 length=20),
            nullable=False, server_default="next_phase"))


def downgrade() -> None:
    with op.batch_alter_table("groups", schema=None) as batch_op:
        batch_op.drop_column("late_join")
        batch_op.drop_column("late_after_minutes")
        batch_op.drop_column("join_window_minutes")
    op.drop_index("uq_sessions_series_occurrence", table_name="sessions")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("sequence")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("detached")
        batch_op.drop_column("occurrence_at")
    op.drop_table("calendar_feeds")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_group_id"))
    op.drop_table("series")
