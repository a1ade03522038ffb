from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CalendarFeedOut(BaseModel):
    """Whether this person has a calendar link (its URL is shown only when it is made)."""

    active: bool
    created_at: datetime | None = None


class CalendarLink(BaseModel):
    """A new calendar link: shown this once. Any earlier link has stopped working."""

    url: str
    created_at: datetime
