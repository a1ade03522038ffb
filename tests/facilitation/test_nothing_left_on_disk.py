"""After a session ends, nothing of its live state (who held which turn, for how long) can be
read from the SQLite files: the row is deleted with secure_delete and the log checkpointed and
emptied (issue 17)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from tests.facilitation.stage import Stage, eventually, send, state

MARKS = (b"warned_through", b"turn_length", b"grace_deadline", b"order_hands_by_time")


def on_disk(stage: Stage) -> bytes:
    db = Path(make_url(stage.settings.db_url).database or "")
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


async def test_an_ended_sessions_live_state_is_not_left_in_the_files(sqlite_stage: Stage) -> None:
    stage = sqlite_stage
    await stage.build(members=1, co_facilitator=False)
    fac, (m1,) = stage.fac, stage.members
    for p in (fac, m1):
        await stage.enter(p)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["round"] is not None, since=mark)
    mark = await send(fac, "round", action="start")
    await state(fac, lambda s: s["round"]["status"] == "running", since=mark)
    assert any(m in on_disk(stage) for m in MARKS)  # it is there while the session is live
    ended = await fac.http.patch(f"/api/v1/sessions/{stage.session['id']}",
                                 json={"status": "ended"})
    assert ended.status_code == 200, ended.text
    await eventually(lambda: not any(m in on_disk(stage) for m in MARKS),
                     what="the live state gone from the files")
