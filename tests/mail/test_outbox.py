"""The outbox against a real SMTP server: an invite emailed once, an outage that loses nothing
and sends nothing twice, refusals, an unknown outcome, a crash; content deleted once sent; admins
see counts only. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from app.core.db import transaction
from app.mail.models import MailStatus, OutboxMessage
from tests.mail.conftest import Post
from tests.mail.smtpd import Smtpd

ADDRESS = "new.doctor@nhs.example"


async def _invite(world: Any) -> dict[str, Any]:
    invite: dict[str, Any] = await world.invite(email=ADDRESS, label="for Dr New")
    assert invite["emailed"] is True
    return invite


async def _rows(app: Any) -> list[OutboxMessage]:
    rows: list[OutboxMessage] = []
    async for db in transaction(app.state.db):
        rows = list(await db.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))
    return rows


async def test_a_personal_invite_is_emailed_once_and_its_content_deleted(
        world: Any, app: Any, post: Post, smtpd: Smtpd) -> None:
    invite = await _invite(world)
    assert (await post.sender.deliver_due())["sent"] == 1
    assert (await post.sender.deliver_due())["sent"] == 0  # nothing twice
    [got] = smtpd.received
    assert got.to == [ADDRESS]
    assert got.message["Subject"] == "Rounds: an invitation to a peer-support group"
    body = got.body
    assert invite["link"] in body
    assert world.group_a["name"] not in got.message["Subject"]
    assert "Dr New" not in body  # the facilitator's label stays theirs
    [row] = await _rows(app)
    assert row.status is MailStatus.sent and row.attempts == 1
    assert (row.recipient, row.subject, row.body, row.calendar) == (None, None, None, None)
    counts = (await world.admin.get("/api/v1/admin/outbox")).json()
    assert counts == {"enabled": True, "queued": 0, "sending": 0, "sent": 1, "failed": 0}
    assert (await world.fa.get("/api/v1/admin/outbox")).status_code == 403


async def test_only_a_personal_invite_to_a_plain_address(world: Any, post: Post) -> None:
    gid = world.group_a["id"]
    shared = await world.fa.post(f"/api/v1/groups/{gid}/invites",
                                 json={"kind": "group", "email": ADDRESS})
    assert shared.status_code == 422 and shared.json()["error"] == "email_personal_only"
    for bad in ("no-at-sign", "a@b.c\r\nBcc: x@y.z", "two@one.uk, three@one.uk"):
        response = await world.fa.post(f"/api/v1/groups/{gid}/invites", json={"email": bad})
        assert response.status_code == 422 and response.json()["error"] == "bad_email", bad


async def test_an_smtp_outage_loses_nothing_and_sends_nothing_twice(
        world: Any, app: Any, post: Post, smtpd: Smtpd) -> None:
    await _invite(world)
    smtpd.stop()  # connections refused
    assert (await post.sender.deliver_due())["retry"] == 1
    [row] = await _rows(app)
    assert row.status is MailStatus.queued and row.last_error and row.body
    assert (await post.sender.deliver_due())["retry"] == 0  # not due before its back-off
    post.clock.advance(seconds=31)
    smtpd.start()
    smtpd.handler.refuse_data = "451 4.3.0 try again later"  # up, but refusing
    assert (await post.sender.deliver_due())["retry"] == 1
    post.clock.advance(seconds=31)
    assert (await post.sender.deliver_due())["retry"] == 0  # the back-off doubled: 60 s
    post.clock.advance(seconds=30)
    smtpd.handler.refuse_data = None  # recovered
    assert (await post.sender.deliver_due())["sent"] == 1
    post.clock.advance(hours=2)
    assert (await post.sender.deliver_due())["sent"] == 0
    assert len(smtpd.received) == 1
    [row] = await _rows(app)
    assert row.status is MailStatus.sent and row.attempts == 3


async def test_a_permanent_refusal_fails_at_once(
        world: Any, app: Any, post: Post, smtpd: Smtpd) -> None:
    await _invite(world)
    smtpd.handler.refuse_rcpt = "550 5.1.1 no such user"
    assert (await post.sender.deliver_due())["failed"] == 1
    post.clock.advance(hours=2)
    assert (await post.sender.deliver_due()) == {"sent": 0, "retry": 0, "failed": 0, "taken": 0}
    [row] = await _rows(app)
    assert row.status is MailStatus.failed and row.last_error == "smtp_550"
    assert row.recipient is None and row.body is None  # a failed email keeps no content
    counts = (await world.admin.get("/api/v1/admin/outbox")).json()
    assert counts["failed"] == 1 and counts["sent"] == 0


async def test_an_unknown_outcome_is_not_sent_again(
        world: Any, app: Any, post: Post, smtpd: Smtpd) -> None:
    await _invite(world)
    smtpd.handler.break_after_data = True  # takes it, then hangs up without an answer
    assert (await post.sender.deliver_due())["failed"] == 1
    smtpd.handler.break_after_data = False
    post.clock.advance(hours=2)
    await post.sender.deliver_due()
    assert len(smtpd.received) == 1  # it did arrive: and only once
    [row] = await _rows(app)
    assert row.status is MailStatus.failed and row.last_error == "outcome_unknown"


async def test_after_a_crash_only_what_never_reached_the_server_is_sent(
        world: Any, app: Any, post: Post, smtpd: Smtpd) -> None:
    await _invite(world)
    await _invite(world)
    first, second = (row.id for row in await _rows(app))
    # A sender died: one email claimed but not yet handed over, one handed over.
    async for db in transaction(app.state.db):
        await db.execute(update(OutboxMessage).values(status=MailStatus.sending,
                                                      claimed_at=post.clock.now, attempts=1))
        await db.execute(update(OutboxMessage).where(OutboxMessage.id == second)
                         .values(handed_over_at=post.clock.now))
    assert (await post.sender.deliver_due())["sent"] == 0  # not stale yet: someone may have it
    post.clock.advance(minutes=10)
    assert (await post.sender.deliver_due())["sent"] == 1
    assert len(smtpd.received) == 1
    rows = {r.id: r for r in await _rows(app)}
    assert rows[first].status is MailStatus.sent
    assert rows[second].status is MailStatus.failed
    assert rows[second].last_error == "outcome_unknown"


async def test_two_senders_send_one_email_once(
        world: Any, app: Any, post: Post, smtpd: Smtpd, settings: Any) -> None:
    import asyncio

    from app.mail.sender import Sender

    await _invite(world)
    other = Sender(app.state.db, settings, clock=post.clock)
    tallies = await asyncio.gather(post.sender.deliver_due(), other.deliver_due())
    assert sum(t["sent"] for t in tallies) == 1
    assert len(smtpd.received) == 1
