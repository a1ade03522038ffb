"""A session nobody ended does not keep its live state (who held which turn) for ever."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.core.config import Settings
from app.core.db import create_engine, db_factory, transaction, utcnow
from app.facilitation.models import LiveState
from app.groups.models import Group
from app.ops.retention import purge
from app.sessions.models import Session, SessionStatus


async def test_forgotten_sessions_are_ended_and_their_state_deleted(settings: Settings) -> None:
    engine = create_engine(settings.db_url)
    factory = db_factory(engine)
    now = utcnow()
    async for db in transaction(factory):
        group = Group(name="G")
        db.add(group)
        await db.flush()
        forgotten = Session(group_id=group.id, scheduled_start=now - timedelta(hours=14),
                            duration_minutes=90, status=SessionStatus.live)
        recent = Session(group_id=group.id, scheduled_start=now - timedelta(hours=12),
                         duration_minutes=90, status=SessionStatus.live)
        db.add_all([forgotten, recent])
        await db.flush()
        db.add_all([LiveState(session_id=forgotten.id, state={"round": {"turns": ["x"]}}),
                    LiveState(session_id=recent.id, state={})])
    async for db in transaction(factory):
        counts = await purge(db, settings, now=now)
    assert counts["forgotten_sessions"] == 1
    async for db in transaction(factory):
        assert await db.scalar(select(func.count()).select_from(LiveState)) == 1
        assert (await db.get(LiveState, recent.id)) is not None
        ended = await db.get(Session, forgotten.id)
        assert ended is not None and ended.status is SessionStatus.ended
        still = await db.get(Session, recent.id)
        assert still is not None and still.status is SessionStatus.live
    await engine.dispose()
