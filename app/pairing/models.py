"""Near-peer pairing: a scheme where senior doctors volunteer and juniors ask, matched into
standing pairs of two, each with its own private room.

PROGRAMME HOOK: a scheme stands alone for now (issue 15 builds programmes in parallel);
``programme_id`` is where it will belong to a programme.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin


class Seniority(enum.StrEnum):
    senior = "senior"
    """A more senior doctor who volunteers."""
    junior = "junior"
    """A junior doctor who asks for a near-peer."""


class PairingScheme(IdMixin, Base):
    __tablename__ = "pairing_schemes"
    __dataflow__ = Table(
        holds="a near-peer pairing scheme and how its matches are proposed",
        deleted="when an admin deletes the scheme (its people and pairs go with it)",
        columns={
            "id": ID, "created_at": CREATED,
            "name": Col("shown on the scheme's pages"),
            "lead_id": Col("the scheme lead who matches people", "yes: links to a staff account"),
            "link_key": Col("the secret part of the scheme's sign-up link"),
            "prefer_same_specialty": Col("proposals prefer a senior of the same specialty"),
            "prefer_same_site": Col("proposals prefer a senior at the same site"),
            "programme_id": Col("the programme the scheme belongs to (not used yet)"),
            "ended_pairs": Col("how many of its pairs have ended (a number, nothing of which)"),
        },
    )

    name: Mapped[str] = mapped_column(String(120))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    link_key: Mapped[str] = mapped_column(String(64), unique=True)
    prefer_same_specialty: Mapped[bool] = mapped_column(Boolean, default=True)
    prefer_same_site: Mapped[bool] = mapped_column(Boolean, default=True)
    programme_id: Mapped[uuid.UUID | None]
    """PROGRAMME HOOK: the programme this scheme belongs to, once programmes exist."""
    ended_pairs: Mapped[int] = mapped_column(default=0)


class PairingPerson(IdMixin, Base):
    """A senior who volunteered or a junior who asked: what matching needs, and their link."""

    __tablename__ = "pairing_people"
    __dataflow__ = Table(
        holds="a doctor who volunteered (senior) or asked (junior) for a near-peer pairing",
        deleted="when they leave the scheme, when their pairing ends (both of the pair), or "
        "with the scheme",
        columns={
            "id": ID, "created_at": CREATED,
            "scheme_id": Col("the scheme"),
            "seniority": Col("volunteer (senior) or asking (junior)", "yes: their grade band"),
            "name": Col("shown to the scheme lead (to match) and to their pair",
                        "yes: the doctor's name"),
            "email": Col("how the scheme lead can reach them", "yes: their email"),
            "specialty": Col("matching", "yes: their specialty"),
            "site": Col("matching", "yes: where they work"),
            "department": Col("matching: never paired within a department",
                              "yes: where they work"),
            "token_hash": Col("SHA-256 of their private pairing link's token"),
        },
    )

    scheme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pairing_schemes.id", ondelete="CASCADE"), index=True)
    seniority: Mapped[Seniority] = mapped_column(
        Enum(Seniority, native_enum=False, length=20, name="seniority"))
    name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(254))
    specialty: Mapped[str] = mapped_column(String(120))
    site: Mapped[str] = mapped_column(String(120))
    department: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)


class Pair(IdMixin, Base):
    """A standing match of one senior and one junior, with its own room (``pair-{id}``)."""

    __tablename__ = "pairs"
    __dataflow__ = Table(
        holds="a near-peer pair: who is paired with whom, while it lasts",
        deleted="when either person ends it (and both people's rows with it): only the "
        "scheme's count of ended pairs stays",
        columns={
            "id": ID, "created_at": CREATED,
            "scheme_id": Col("the scheme"),
            "senior_id": Col("the senior of the pair", "yes: links to a person"),
            "junior_id": Col("the junior of the pair", "yes: links to a person"),
            "next_meeting_at": Col("the meeting they arranged, shown to the two of them",
                                   "yes: when two named doctors meet"),
            "next_meeting_minutes": Col("how long that meeting is planned for"),
        },
    )

    scheme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pairing_schemes.id", ondelete="CASCADE"), index=True)
    senior_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pairing_people.id", ondelete="CASCADE"), index=True, unique=True)
    junior_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pairing_people.id", ondelete="CASCADE"), index=True, unique=True)
    next_meeting_at: Mapped[datetime | None]
    next_meeting_minutes: Mapped[int | None]
