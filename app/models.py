"""Every table, imported in one place for alembic and the model/migration check."""

from app.accounts.models import Account
from app.core.db import Base
from app.groups.models import Group
from app.invites.models import Invite
from app.members.models import Member
from app.rounds.models import LiveState, TemplateRow
from app.sessions.models import Session

__all__ = ["Account", "Base", "Group", "Invite", "LiveState", "Member", "Session", "TemplateRow"]
