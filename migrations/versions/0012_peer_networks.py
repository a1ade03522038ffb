"""peer networks: networks, their hosts, their drop-in rooms

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0009"
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


def downgrade() -> None:
    op.drop_index(op.f("ix_drop_in_rooms_network_id"), table_name="drop_in_rooms")
    op.drop_table("drop_in_rooms")
    op.drop_index(op.f("ix_peer_hosts_account_id"), table_name="peer_hosts")
    op.drop_index(op.f("ix_peer_hosts_network_id"), table_name="peer_hosts")
    op.drop_table("peer_hosts")
    op.drop_table("peer_networks")
