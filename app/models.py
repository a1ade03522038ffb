"""Every table, imported in one place for alembic and the model/migration check."""

from app.accounts.models import Account, PasswordLink
from app.attendance.models import AttendanceRecord, Certificate
from app.audit.models import AuditEvent
from app.calendar.models import CalendarFeed
from app.checkout.models import PulseCount, SignpostingCard
from app.core.db import Base
from app.dropin.models import DropInRoom, PeerHost, PeerNetwork
from app.facilitation.models import LiveState, Revocation
from app.groups.models import Group
from app.invites.models import Invite
from app.mail.models import OutboxMessage
from app.members.models import Member
from app.pairing.models import Pair, PairingPerson, PairingScheme
from app.programmes.models import Person, Placement, Programme, ProgrammeFacilitator
from app.series.models import Series
from app.sessions.models import Session
from app.templates.models import TemplateRow

__all__ = [
    "Account", "AttendanceRecord", "AuditEvent", "Base", "CalendarFeed", "Certificate",
    "DropInRoom", "Group", "Invite", "LiveState", "Member", "OutboxMessage", "Pair",
    "PairingPerson", "PairingScheme", "PasswordLink", "PeerHost", "PeerNetwork", "Person",
    "Placement", "Programme", "ProgrammeFacilitator", "PulseCount", "Revocation", "Series",
    "Session", "SignpostingCard", "TemplateRow",
]
