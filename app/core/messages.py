"""The words the server writes itself (emails, calendar text), by key: its message catalogue.

The pages' words are in ``frontend/static/i18n`` (docs/i18n.md); these are the few the server
must produce because no page shows them: emails and calendar feeds. Same key style
(``area.what``) and placeholder style (``{name}``). Only en-GB so far: sending a person their
own language needs the language kept with their membership (a migration), which is not done.
"""

from __future__ import annotations

BASE = "en-GB"

EN_GB: dict[str, str] = {
    "email.signature": (
        "\n\n-- \nRounds never records a session. You get this email because a facilitator"
        " or you gave this address to Rounds.\n"),
    "email.invite.subject": "Rounds: an invitation to a peer-support group",
    "email.invite.body": (
        "Hello,\n\nA facilitator has invited you to join a peer-support group on Rounds.\n\n"
        "Open this link on the phone or computer you will use for the sessions:\n{link}\n\n"
        "The link works once, until {day}. It is personal: please do not pass it on."),
    "email.reminder.soon": "in about an hour",
    "email.reminder.tomorrow": "tomorrow",
    "email.reminder.subject": "Rounds: your session on {day}",
    "email.reminder.body": (
        "Hello,\n\nYour group meets {when}: {day} at {time}, for {minutes} minutes.\n\n"
        "Your group page (on the device you joined with):\n{link}\n\n"
        "You can turn these reminders off on that page."),
    "email.changed.subject": "Rounds: your session on {day} has changed",
    "email.changed.body": (
        "Hello,\n\nYour group's session on {old_day} at {old_time} now takes place on {day} at"
        " {time}, for {minutes} minutes.\n\nYour group page:\n{link}"),
    "email.cancelled.subject": "Rounds: your session on {day} is cancelled",
    "email.cancelled.reason": "\n\nThe facilitator says: {reason}",
    "email.cancelled.body": (
        "Hello,\n\nYour group's session on {day} at {time} will not take place.{why}\n\n"
        "Your group page:\n{link}"),
    "calendar.note": "Join from your group's page in Rounds. Nothing is recorded.",
    "calendar.cancelled": "Cancelled: {reason}",
    "calendar.cancelledNoReason": "cancelled by the facilitator",
}

CATALOGUES: dict[str, dict[str, str]] = {BASE: EN_GB}


def t(key: str, locale: str = BASE, /, **params: object) -> str:
    """The message for ``key`` in ``locale`` (else en-GB), its ``{placeholders}`` filled."""
    text = CATALOGUES.get(locale, EN_GB).get(key) or EN_GB[key]
    return text.format(**params) if params else text
