"""The words of every email (pure: values in, subject and body out).

Rules: a subject names no group, no person and no topic, only Rounds and a date (a colleague
may see a lock screen); no email names another member or says what a group discusses; each
links to the doctor's own group page, which lets nobody in by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

SIGNATURE = ("\n\n-- \nRounds never records a session. You get this email because a facilitator"
             " or you gave this address to Rounds.\n")


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
    return Email(
        "Rounds: an invitation to a peer-support group",
        "Hello,\n\nA facilitator has invited you to join a peer-support group on Rounds.\n\n"
        f"Open this link on the phone or computer you will use for the sessions:\n{link}\n\n"
        f"The link works once, until {day(expires_at, timezone)}. It is personal: please do not"
        " pass it on." + SIGNATURE)


def reminder(*, start: datetime, minutes: int, timezone: str, link: str,
             soon: bool) -> Email:
    """The day before (``soon`` False) or an hour before (``soon`` True)."""
    when = "in about an hour" if soon else "tomorrow"
    return Email(
        f"Rounds: your session on {day(start, timezone)}",
        f"Hello,\n\nYour group meets {when}: {day(start, timezone)} at "
        f"{time_of(start, timezone)}, for {minutes} minutes.\n\n"
        f"Your group page (on the device you joined with):\n{link}\n\n"
        "You can turn these reminders off on that page." + SIGNATURE)


def changed(*, old_start: datetime, start: datetime, minutes: int, timezone: str,
            link: str) -> Email:
    """A session moved or changed length."""
    return Email(
        f"Rounds: your session on {day(old_start, timezone)} has changed",
        f"Hello,\n\nYour group's session on {day(old_start, timezone)} at "
        f"{time_of(old_start, timezone)} now takes place on {day(start, timezone)} at "
        f"{time_of(start, timezone)}, for {minutes} minutes.\n\n"
        f"Your group page:\n{link}" + SIGNATURE)


def cancelled(*, start: datetime, timezone: str, link: str, reason: str = "") -> Email:
    """A session that will not take place, with the facilitator's reason if they gave one."""
    why = f"\n\nThe facilitator says: {reason.strip()}" if reason.strip() else ""
    return Email(
        f"Rounds: your session on {day(start, timezone)} is cancelled",
        f"Hello,\n\nYour group's session on {day(start, timezone)} at "
        f"{time_of(start, timezone)} will not take place.{why}\n\n"
        f"Your group page:\n{link}" + SIGNATURE)
