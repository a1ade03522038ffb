"""A group's own templates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.dataflow import CREATED, ID, Col, Table
from app.core.db import Base, IdMixin, utcnow


class TemplateRow(IdMixin, Base):
    """A group's own template: a copy of a default or a facilitator's own sequence of phases."""

    __tablename__ = "templates"
    __dataflow__ = Table(
        holds="a group's own sequence of phases (check-in, Balint case, ...)",
        deleted="with its group",
        columns={
            "id": ID, "created_at": CREATED,
            "group_id": Col("the group"),
            "name": Col("the template's name"),
            "description": Col("what it is for"),
            "phases": Col("the phases and their timings"),
            "updated_at": Col("when it last changed"),
        },
    )

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
