"""A private word to the facilitators and the group's chat in a running room: each reaches only
whom it is for, the limits hold, and after the session nothing of it is in any table of the
database or any log line (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from app.core.db import create_engine
from tests.facilitation.stage import Person, Stage, error, eventually, send, state

SECRET = "zebra-quartz-4417 my patient died https://example.org/x"
"""A chat message no other text in the system could contain."""
PRIVATE = "private-word-8812 I cannot go on with this case"


def events(person: Person, kind: str, since: int = 0) -> list[dict[str, Any]]:
    return [m["data"] for m in person.rtc.messages[since:]
            if m["type"] == "event" and m["kind"] == kind]


async def dump(stage: Stage) -> str:
    """Every row of every table, as text."""
    engine = create_engine(stage.settings.db_url)
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(meta.reflect)
        rows = [repr(tuple(row)) for table in meta.sorted_tables
                for row in (await conn.execute(select(table))).all()]
    await engine.dispose()
    assert len(rows) > 10  # the accounts, group, members, session...: the dump is not empty
    return "\n".join(rows)


async def test_words_and_chat_reach_only_whom_they_are_for_and_leave_nothing(
        stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await stage.build(members=2, co_facilitator=True)
    fac, co, (m1, m2) = stage.fac, stage.cofac, stage.members
    for p in (fac, co, m1, m2):
        await stage.enter(p)

    # "I need a moment": the facilitators see it, nobody else
    mark = await send(m1, "word", action="moment", on=True)
    await state(fac, lambda s: s["moments"] == [m1.id], since=mark)
    await state(co, lambda s: s["moments"] == [m1.id], since=mark)
    mine = await state(m1, lambda s: s["moment"] is True, since=mark)
    assert "moments" not in mine
    await eventually(lambda: any(w["action"] == "moment" for w in events(fac, "word")))
    assert events(m2, "word") == [] and all("moments" not in d for d in events(m2, "state"))

    # a private message to the facilitators, and a private answer
    mark = await send(m1, "word", action="message", text=PRIVATE)
    got = await fac.rtc.expect("event", since=mark[id(fac.rtc)],
                               where=lambda m: m["kind"] == "word")
    assert got["data"] == {"action": "message", "sender": m1.id, "text": PRIVATE, "on": None}
    await co.rtc.expect("event", since=mark[id(co.rtc)], where=lambda m: m["kind"] == "word"
                        and m["data"]["action"] == "message")
    mark = await send(m2, "word", action="reply", participant_id=m1.id, text="hello")
    assert await error(m2, mark) == "not_facilitator"
    mark = await send(fac, "word", action="reply", participant_id=m1.id,
                      text="I'm here. Shall we talk at the break?")
    reply = await m1.rtc.expect("event", since=mark[id(m1.rtc)],
                                where=lambda m: m["kind"] == "word")
    assert reply["data"]["action"] == "reply" and reply["data"]["sender"] == fac.id
    assert events(m2, "word") == []
    mark = await send(m1, "word", action="moment", on=False)
    await state(fac, lambda s: s["moments"] == [], since=mark)

    # the chat: to everyone present; limits
    mark = await send(m2, "chat", action="say", text=SECRET)
    for p in (fac, co, m1, m2):
        said = await p.rtc.expect("event", since=mark[id(p.rtc)],
                                  where=lambda m: m["kind"] == "chat")
        assert said["data"]["text"] == SECRET and said["data"]["sender"] == m2.id
    mark = await send(m2, "chat", action="say", text="x" * 501)
    assert await error(m2, mark) == "invalid_action"
    mark = await send(m2, "chat", action="say", text="   ")
    assert await error(m2, mark) == "empty_message"
    for i in range(5):  # five in ten seconds, then too fast
        await send(m1, "chat", action="say", text=f"thanks {i}")
    mark = await send(m1, "chat", action="say", text="one too many")
    assert await error(m1, mark) == "too_fast"

    # someone who comes back sees what was said (from memory)
    await stage.drop(m1)
    await stage.connect(m1)
    await eventually(lambda: any(c["text"] == SECRET for c in events(m1, "chat")))

    # the facilitator turns the chat off: refused, and what was said is dropped
    mark = await send(m1, "chat", action="off")
    assert await error(m1, mark) == "not_in_control"
    mark = await send(fac, "chat", action="off")
    await state(m2, lambda s: s["chat"] is False, since=mark)
    mark = await send(m2, "chat", action="say", text="hello?")
    assert await error(m2, mark) == "chat_off"
    mark = await send(fac, "chat", action="on")
    await state(m2, lambda s: s["chat"] is True, since=mark)
    await stage.drop(m2)
    since = 0
    await stage.connect(m2)
    await state(m2, since=since)
    assert events(m2, "chat") == []  # nothing kept after it was turned off
    mark = await send(m2, "chat", action="say", text=SECRET)
    await fac.rtc.expect("event", since=mark[id(fac.rtc)], where=lambda m: m["kind"] == "chat")

    # the session ends: nothing of the chat or the private words in any table or log line
    await stage.ok(fac.http.patch(f"/api/v1/sessions/{stage.session['id']}",
                                  json={"status": "ended"}))
    text = await dump(stage)
    metrics = (await fac.http.get("/metrics")).text
    assert "# TYPE" in metrics  # the metrics are there: the scan is not vacuous
    # every log record of the server (app, rtc, uvicorn, the libraries), at debug; not the
    # test's own WebSocket clients (websockets.client), which run in this process
    server = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in server)
    assert len(server) > 5  # the server did log (joins, ...): the scan is not vacuous
    for said in (SECRET, PRIVATE, "zebra-quartz", "private-word", "Shall we talk"):
        assert said not in text, f"{said!r} is in the database"
        assert said not in logged, f"{said!r} is in a log line"
        assert said not in metrics, f"{said!r} is in a metric"
