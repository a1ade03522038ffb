"""A session ended behind the server's back (`rounds purge` in another process) keeps no live
state: the next change finds it ended, writes nothing and closes the room."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update

from app.core.db import create_engine, db_factory, transaction, utcnow
from app.facilitation.models import LiveState
from app.sessions.models import Session, SessionStatus
from tests.facilitation.stage import Stage, eventually, send, state


async def test_a_session_ended_elsewhere_is_not_brought_back(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=1, co_facilitator=False)
    fac = stage.fac
    await stage.enter(fac)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    sid = uuid.UUID(stage.session["id"])
    engine = create_engine(stage.settings.db_url)
    try:
        async for db in transaction(db_factory(engine)):  # what the purge does
            await db.execute(update(Session).where(Session.id == sid)
                             .values(status=SessionStatus.ended, ended_at=utcnow()))
            await db.execute(LiveState.__table__.delete().where(LiveState.session_id == sid))
        await send(fac, "phase", action="pause")  # a change arrives after the purge
        await eventually(lambda: any(m.get("code") == "room_closed" for m in fac.rtc.messages),
                         what="the room closed")
        async for db in transaction(db_factory(engine)):
            count = await db.scalar(select(func.count()).select_from(LiveState))
            assert count == 0
    finally:
        await engine.dispose()
