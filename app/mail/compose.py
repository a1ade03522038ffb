"""Every email (pure: values in, subject and body out); the words are ``email.*`` in the
server's message catalogue (app/core/messages.py).

Rules: a subject names no group, no person and no topic, only Rounds and a date (a colleague
may see a lock screen); no email names another member or says what a group discusses; each
links to the doctor's own group page, which lets nobody in by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.core.messages import t


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def day(when: datetime, timezone: str) -> str:
    """``Tuesday 3 December`` in the group's time zone."""
    local = when.astimezone(ZoneInfo(timezone))
    return f"{local:%A} {local.day} {local:%B}"


def time_of(when: datetime, timezone: str) -> str:
    """``12:30`` in the group's time zone, with the zone's name."""
    local = when.astimezone(ZoneInfo(timezone))
    return f"{local:%H:%M} ({timezone})"


def invite(*, link: str, expires_at: datetime, timezone: str) -> Email:
    """A personal invite: the link is in the body only, and it works once."""
    return Email(t("email.invite.subject"),
                 t("email.invite.body", link=link, day=day(expires_at, timezone))
                 + t("email.signature"))


def reminder(*, start: datetime, minutes: int, timezone: str, link: str,
             soon: bool) -> Email:
    """The day before (``soon`` False) or an hour before (``soon`` True)."""
    when = t("email.reminder.soon" if soon else "email.reminder.tomorrow")
    return Email(
        t("email.reminder.subject", day=day(start, timezone)),
        t("email.reminder.body", when=when, day=day(start, timezone),
          time=time_of(start, timezone), minutes=minutes, link=link) + t("email.signature"))


def changed(*, old_start: datetime, start: datetime, minutes: int, timezone: str,
            link: str) -> Email:
    """A session moved or changed length."""
    return Email(
        t("email.changed.subject", day=day(old_start, timezone)),
        t("email.changed.body", old_day=day(old_start, timezone),
          old_time=time_of(old_start, timezone), day=day(start, timezone),
          time=time_of(start, timezone), minutes=minutes, link=link) + t("email.signature"))


def cancelled(*, start: datetime, timezone: str, link: str, reason: str = "") -> Email:
    """A session that will not take place, with the facilitator's reason if they gave one."""
    why = t("email.cancelled.reason", reason=reason.strip()) if reason.strip() else ""
    return Email(
        t("email.cancelled.subject", day=day(start, timezone)),
        t("email.cancelled.body", day=day(start, timezone), time=time_of(start, timezone),
          why=why, link=link) + t("email.signature"))
