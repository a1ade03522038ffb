"""Email as the pages see it: whether it is on, and the outbox's counts for admins."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from app.accounts.deps import CurrentAdmin
from app.core.deps import DbSession, SettingsDep
from app.mail import outbox

router = APIRouter(tags=["mail"])


class MailStatusOut(BaseModel):
    enabled: bool
    """The service sends email (an SMTP host is set)."""


class OutboxCounts(MailStatusOut):
    """How many emails are in each state: never who to, never what."""

    queued: int
    sending: int
    sent: int
    failed: int


@router.get("/mail", response_model=MailStatusOut)
async def mail_status(settings: SettingsDep) -> object:
    """Whether this service sends email (pages offer to email an invite only then)."""
    return MailStatusOut(enabled=settings.mail_enabled)


@router.get("/admin/outbox", response_model=OutboxCounts)
async def outbox_counts(account: CurrentAdmin, db: DbSession, settings: SettingsDep) -> object:
    """Counts of queued, sending, sent (kept `mail_keep_days`) and failed emails (admins)."""
    return OutboxCounts(enabled=settings.mail_enabled, **await outbox.counts(db))
