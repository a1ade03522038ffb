"""Where a live session's state is saved: one ``live_states`` row per live session.

The row is written when the session first has a live room, updated after every change and
deleted, in the same transaction, when the session ends (``end_session``, called through the
sessions service's). An update that finds no row means the session was ended elsewhere (`rounds
purge` in another process): the runtime then ends it here too. Revocations (who may no longer
enter which room) are kept here as well, as long as a join token they refuse can live.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import utcnow
from app.facilitation.models import LiveState, Revocation
from app.facilitation.state import Live
from app.sessions.models import Session, SessionStatus

log = logging.getLogger("rounds.facilitation")


@dataclass(frozen=True)
class Saved:
    session_id: str
    group_id: uuid.UUID
    live: Live
    alive_at: float | None = None
    """Unix time the server holding it was last known to run (its last save or heartbeat)."""


async def restore_all(db: AsyncSession) -> list[Saved]:
    """Every saved live session (a state that no longer reads is logged and left out)."""
    rows = await db.execute(select(LiveState.session_id, LiveState.state, Session.group_id,
                                   LiveState.updated_at)
                            .join(Session, Session.id == LiveState.session_id))
    saved = []
    for session_id, state, group_id, alive_at in rows:
        try:
            saved.append(Saved(str(session_id), group_id, Live.model_validate(state),
                               alive_at.timestamp()))
        except ValidationError:
            log.exception("cannot restore the live state of a session")
    return saved


async def open_live(db: AsyncSession, session_id: str) -> Saved | None:
    """The saved state of a session that is about to have a live room, saved now if it has
    none; None if the session has ended (or does not exist)."""
    key = uuid.UUID(session_id)
    row = (await db.execute(select(Session.status, Session.group_id)
                            .where(Session.id == key))).first()
    if row is None or row.status is SessionStatus.ended:
        return None
    saved = await db.get(LiveState, key)
    if saved is not None:
        return Saved(session_id, row.group_id, Live.model_validate(saved.state))
    live = Live()
    db.add(LiveState(session_id=key, state=live.model_dump(mode="json"), version=live.version))
    return Saved(session_id, row.group_id, live)


async def save(db: AsyncSession, session_id: str, live: Live) -> bool:
    """Save the state; False (nothing written) if the session has ended meanwhile."""
    result = await db.execute(
        update(LiveState).where(LiveState.session_id == uuid.UUID(session_id))
        .values(state=live.model_dump(mode="json"), version=live.version))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def beat(db: AsyncSession) -> None:
    """The server holding the live sessions is alive now (after a crash, their clocks count from
    the last beat, not from the restart)."""
    await db.execute(update(LiveState).values(updated_at=utcnow()))


async def end_session(db: AsyncSession, session_id: uuid.UUID) -> Revocation:
    """Delete what was saved of a session's live state (it ends: nothing of it may remain) and
    withdraw the join tokens issued for its room."""
    await db.execute(delete(LiveState).where(LiveState.session_id == session_id))
    return await withdraw(db, room=session_id)


async def end_membership(db: AsyncSession, member_id: uuid.UUID) -> Revocation:
    """Withdraw the join tokens issued to a member whose membership ended."""
    return await withdraw(db, participant=member_id)


async def withdraw(db: AsyncSession, *, room: uuid.UUID | None = None,
                   participant: uuid.UUID | None = None) -> Revocation:
    """Record that tokens for a room, a participant or both are refused from now on."""
    revocation = Revocation(room_id=room, participant_id=participant, revoked_at=utcnow())
    db.add(revocation)
    await db.flush()
    return revocation


async def withdrawals(db: AsyncSession, *, lifetime: float) -> list[Revocation]:
    """The revocations that may still refuse a token; older ones are deleted."""
    cutoff = utcnow() - timedelta(seconds=lifetime)
    await db.execute(delete(Revocation).where(Revocation.revoked_at < cutoff))
    return list(await db.scalars(select(Revocation)))


class Offline:
    """The live rooms of a process that has none (`rounds purge`): it writes what ending
    changes; the server that holds a room finds its state gone at its next save and closes it."""

    async def end_session(self, db: AsyncSession, session_id: uuid.UUID) -> None:
        await end_session(db, session_id)

    async def end_membership(self, db: AsyncSession, member_id: uuid.UUID) -> None:
        await end_membership(db, member_id)

    def session_changed(self, db: AsyncSession, session_id: uuid.UUID, status: str) -> None:
        """Nobody waits on a process without rooms."""


OFFLINE = Offline()
