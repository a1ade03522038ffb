"""programmes: programmes, their facilitators, placements and people; accounts.is_programme_lead

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COHORT = ("foundation", "core", "specialty", "sas", "later_career", "international")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_programme_lead", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "programmes",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("min_size", sa.Integer(), nullable=False),
        sa.Column("max_size", sa.Integer(), nullable=False),
        sa.Column("mix_specialties", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("mix_sites", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("separate_cohorts", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("min_size >= 2 AND min_size <= max_size AND max_size <= 12", name=op.f("ck_programmes_sizes")),
        sa.ForeignKeyConstraint(["lead_id"], ["accounts.id"], name=op.f("fk_programmes_lead_id_accounts"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    op.create_index(op.f("ix_programmes_lead_id"), "programmes", ["lead_id"], unique=False)
    op.create_table(
        "programme_facilitators",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("max_groups", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("max_groups BETWEEN 1 AND 6", name=op.f("ck_programme_facilitators_max_groups")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_programme_facilitators_account_id_accounts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_programme_facilitators_programme_id_programmes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_facilitators")),
        sa.UniqueConstraint("programme_id", "account_id", name=op.f("uq_programme_facilitators_programme_id")),
    )
    op.create_index(op.f("ix_programme_facilitators_programme_id"), "programme_facilitators", ["programme_id"], unique=False)
    op.create_table(
        "programme_placements",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("facilitator_id", sa.Uuid(), nullable=True),
        sa.Column("slot", sa.String(length=8), nullable=False),
        sa.Column("cohort", sa.Enum(*COHORT, name="cohort", native_enum=False, length=20), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["facilitator_id"], ["accounts.id"], name=op.f("fk_programme_placements_facilitator_id_accounts"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], name=op.f("fk_programme_placements_group_id_groups"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_programme_placements_programme_id_programmes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_placements")),
    )
    op.create_index(op.f("ix_programme_placements_programme_id"), "programme_placements", ["programme_id"], unique=False)
    op.create_table(
        "programme_people",
        sa.Column("programme_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=False),
        sa.Column("specialty", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=80), nullable=False),
        sa.Column("cohort", sa.Enum(*COHORT, name="cohort", native_enum=False, length=20), nullable=False),
        sa.Column("rotation_start", sa.Date(), nullable=False),
        sa.Column("rotation_end", sa.Date(), nullable=False),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("avoid", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("imported", "invited", "left", name="person_status", native_enum=False, length=20), nullable=False),
        sa.Column("placement_id", sa.Uuid(), nullable=True),
        sa.Column("invite_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invite_id"], ["invites.id"], name=op.f("fk_programme_people_invite_id_invites"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["placement_id"], ["programme_placements.id"], name=op.f("fk_programme_people_placement_id_programme_placements"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_programme_people_programme_id_programmes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_people")),
        sa.UniqueConstraint("programme_id", "email", name=op.f("uq_programme_people_programme_id")),
    )
    op.create_index(op.f("ix_programme_people_placement_id"), "programme_people", ["placement_id"], unique=False)
    op.create_index(op.f("ix_programme_people_programme_id"), "programme_people", ["programme_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_programme_people_programme_id"), table_name="programme_people")
    op.drop_index(op.f("ix_programme_people_placement_id"), table_name="programme_people")
    op.drop_table("programme_people")
    op.drop_index(op.f("ix_programme_placements_programme_id"), table_name="programme_placements")
    op.drop_table("programme_placements")
    op.drop_index(op.f("ix_programme_facilitators_programme_id"), table_name="programme_facilitators")
    op.drop_table("programme_facilitators")
    op.drop_index(op.f("ix_programmes_lead_id"), table_name="programmes")
    op.drop_table("programmes")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("is_programme_lead")
