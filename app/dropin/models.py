"""Peer networks (the Tea & Empathy model): drop-in rooms open at set times, hosted by peer
supporters, joined from the network's link without belonging to a group.

Only the network, its hosts (staff accounts) and its rooms' times are stored. Who drops in is
never stored: a visitor exists in memory while they wait or sit in a room
(``app.dropin.sittings``), and nowhere once they leave.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin
from app.groups.models import DEFAULT_GROUND_RULES


class NetworkScope(enum.StrEnum):
    trust = "trust"
    regional = "regional"


class PeerNetwork(IdMixin, Base):
    """A peer network: its name, its reach, its link and the ground rules of its rooms."""

    __tablename__ = "peer_networks"
    __dataflow__ = Table(
        holds="a peer network (trust-wide or regional) that runs drop-in rooms",
        deleted="when an admin deletes the network",
        columns={
            "id": ID, "created_at": CREATED,
            "name": Col("shown on the network's pages and its link's page"),
            "scope": Col("trust-wide or regional"),
            "region": Col("the region a regional network covers", "no"),
            "link_key": Col("the secret part of the network's link (shown to its admins and "
                            "hosts; replacing it withdraws the old link)"),
            "ground_rules": Col("the ground rules every visitor agrees to before waiting"),
            "ground_rules_version": Col("goes up when the ground rules change"),
            "programme_id": Col("the programme the network belongs to (not used yet)"),
        },
    )

    name: Mapped[str] = mapped_column(String(120))
    scope: Mapped[NetworkScope] = mapped_column(
        Enum(NetworkScope, native_enum=False, length=20, name="network_scope"))
    region: Mapped[str] = mapped_column(String(120), default="")
    link_key: Mapped[str] = mapped_column(String(64), unique=True)
    ground_rules: Mapped[str] = mapped_column(Text, default=DEFAULT_GROUND_RULES)
    ground_rules_version: Mapped[int] = mapped_column(default=1)
    programme_id: Mapped[uuid.UUID | None]
    """PROGRAMME HOOK: the programme this network belongs to, once programmes exist (issue 15,
    branch h-15a). No foreign key yet; nothing reads it."""


class PeerHost(IdMixin, Base):
    """A staff account an admin has marked as a trained peer supporter of a network."""

    __tablename__ = "peer_hosts"
    __dataflow__ = Table(
        holds="that a staff account hosts a network's drop-in rooms",
        deleted="when an admin removes the host, or with the network or the account",
        columns={
            "id": ID, "created_at": CREATED,
            "network_id": Col("the network they host for"),
            "account_id": Col("the host's account", "yes: links to a staff account"),
        },
    )
    __table_args__ = (UniqueConstraint("network_id", "account_id"),)

    network_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("peer_networks.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)


class DropInRoom(IdMixin, Base):
    """A drop-in room of a network and when it is open: an RRULE in its zone, as a series."""

    __tablename__ = "drop_in_rooms"
    __dataflow__ = Table(
        holds="a network's drop-in room and the times it is open",
        deleted="when an admin deletes it, or with its network",
        columns={
            "id": ID, "created_at": CREATED,
            "network_id": Col("the network it belongs to"),
            "name": Col("shown on the network's link page"),
            "rule": Col("when it opens (an RFC 5545 RRULE)"),
            "first_start": Col("its first opening"),
            "timezone": Col("the wall clock the rule follows"),
            "duration_minutes": Col("how long it stays open each time"),
        },
    )
    __table_args__ = (
        CheckConstraint("duration_minutes BETWEEN 15 AND 480", name="drop_in_duration"),
    )

    network_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("peer_networks.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    rule: Mapped[str] = mapped_column(String(200))
    first_start: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    duration_minutes: Mapped[int] = mapped_column(default=60)
