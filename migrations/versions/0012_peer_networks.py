"""peer networks (networks, hosts, drop-in rooms); near-peer pairing (schemes, people, pairs)

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_networks",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("scope", sa.Enum("trust", "regional", name="network_scope", native_enum=False, length=20), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("ground_rules", sa.Text(), nullable=False),
        sa.Column("ground_rules_version", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_networks")),
        sa.UniqueConstraint("link_key", name=op.f("uq_peer_networks_link_key")),
    )
    op.create_table(
        "peer_hosts",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_peer_hosts_account_id_accounts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["peer_networks.id"], name=op.f("fk_peer_hosts_network_id_peer_networks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_hosts")),
        sa.UniqueConstraint("network_id", "account_id", name=op.f("uq_peer_hosts_network_id")),
    )
    op.create_index(op.f("ix_peer_hosts_network_id"), "peer_hosts", ["network_id"], unique=False)
    op.create_index(op.f("ix_peer_hosts_account_id"), "peer_hosts", ["account_id"], unique=False)
    op.create_table(
        "drop_in_rooms",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("first_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_minutes BETWEEN 15 AND 480", name=op.f("ck_drop_in_rooms_drop_in_duration")),
        sa.ForeignKeyConstraint(["network_id"], ["peer_networks.id"], name=op.f("fk_drop_in_rooms_network_id_peer_networks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drop_in_rooms")),
    )
    op.create_index(op.f("ix_drop_in_rooms_network_id"), "drop_in_rooms", ["network_id"], unique=False)
    op.create_table(
        "pairing_schemes",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=True),
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("prefer_same_specialty", sa.Boolean(), nullable=False),
        sa.Column("prefer_same_site", sa.Boolean(), nullable=False),
        sa.Column("programme_id", sa.Uuid(), nullable=True),
        sa.Column("ended_pairs", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["accounts.id"], name=op.f("fk_pairing_schemes_lead_id_accounts"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_schemes")),
        sa.UniqueConstraint("link_key", name=op.f("uq_pairing_schemes_link_key")),
    )
    op.create_index(op.f("ix_pairing_schemes_lead_id"), "pairing_schemes", ["lead_id"], unique=False)
    op.create_table(
        "pairing_people",
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("seniority", sa.Enum("senior", "junior", name="seniority", native_enum=False, length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("specialty", sa.String(length=120), nullable=False),
        sa.Column("site", sa.String(length=120), nullable=False),
        sa.Column("department", sa.String(length=120), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["scheme_id"], ["pairing_schemes.id"], name=op.f("fk_pairing_people_scheme_id_pairing_schemes"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairing_people")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_pairing_people_token_hash")),
    )
    op.create_index(op.f("ix_pairing_people_scheme_id"), "pairing_people", ["scheme_id"], unique=False)
    op.create_table(
        "pairs",
        sa.Column("scheme_id", sa.Uuid(), nullable=False),
        sa.Column("senior_id", sa.Uuid(), nullable=False),
        sa.Column("junior_id", sa.Uuid(), nullable=False),
        sa.Column("next_meeting_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_meeting_minutes", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["junior_id"], ["pairing_people.id"], name=op.f("fk_pairs_junior_id_pairing_people"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scheme_id"], ["pairing_schemes.id"], name=op.f("fk_pairs_scheme_id_pairing_schemes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["senior_id"], ["pairing_people.id"], name=op.f("fk_pairs_senior_id_pairing_people"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairs")),
    )
    op.create_index(op.f("ix_pairs_junior_id"), "pairs", ["junior_id"], unique=True)
    op.create_index(op.f("ix_pairs_scheme_id"), "pairs", ["scheme_id"], unique=False)
    op.create_index(op.f("ix_pairs_senior_id"), "pairs", ["senior_id"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_pairs_senior_id"), table_name="pairs")
    op.drop_index(op.f("ix_pairs_scheme_id"), table_name="pairs")
    op.drop_index(op.f("ix_pairs_junior_id"), table_name="pairs")
    op.drop_table("pairs")
    op.drop_index(op.f("ix_pairing_people_scheme_id"), table_name="pairing_people")
    op.drop_table("pairing_people")
    op.drop_index(op.f("ix_pairing_schemes_lead_id"), table_name="pairing_schemes")
    op.drop_table("pairing_schemes")
    op.drop_index(op.f("ix_drop_in_rooms_network_id"), table_name="drop_in_rooms")
    op.drop_table("drop_in_rooms")
    op.drop_index(op.f("ix_peer_hosts_account_id"), table_name="peer_hosts")
    op.drop_index(op.f("ix_peer_hosts_network_id"), table_name="peer_hosts")
    op.drop_table("peer_hosts")
    op.drop_table("peer_networks")
