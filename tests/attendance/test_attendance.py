"""Attendance recorded from presence in a real room (aiortc peers over the real WebSocket):
the doctor's record, a certificate verified at the public URL, who came for the facilitator,
counts only for an admin, deleted by the doctor, purged on schedule."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.attendance import service
from app.attendance.models import AttendanceRecord, Certificate
from app.core.db import transaction, utcnow
from app.ops.retention import purge
from tests.facilitation.stage import Stage


async def test_a_member_present_in_a_room_gets_a_record_and_a_certificate(stage: Stage) -> None:
    offset = [0.0]
    stage.app.state.facilitation.clock = lambda: time.time() + offset[0]  # the clock: a seam
    await stage.build(members=2, co_facilitator=False)
    fac, (ann, ben) = stage.fac, stage.members
    await stage.enter(fac)
    await stage.enter(ann)
    offset[0] += 25 * 60  # Dr Member 1 stays 25 minutes
    await ann.rtc.close(leave=True)
    ann.client = None

    async def mine() -> list[dict[str, Any]]:
        response = await ann.http.get("/api/v1/me/attendance")
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    async def recorded() -> bool:
        return bool((await mine())[0]["records"])

    for _ in range(200):  # the session's task writes once it has handled the leave
        if await recorded():
            break
        await asyncio.sleep(0.05)
    [group] = await mine()
    assert group["group_name"] == "FY1 Tuesday group"
    assert [r["minutes"] for r in group["records"]] == [25] and group["minutes"] == 25
    assert set(group["records"][0]) == {"on_date", "minutes"}  # nothing else is kept
    assert (await ben.http.get("/api/v1/me/attendance")).json()[0]["records"] == []

    # The certificate, and its code checked by anyone.
    response = await ann.http.post(f"/api/v1/me/memberships/{ann.id}/certificate")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    html = response.text
    assert "Certificate of attendance" in html and "Dr Member 1" in html and "25" in html
    assert "Dr Member 2" not in html and "Dr Facilitator" not in html
    code = re.search(r'class="code">([A-Z2-7-]+)<', html).group(1)  # type: ignore[union-attr]
    anyone = stage.browser("A portfolio reviewer", role="reviewer")
    checked = await anyone.http.post("/api/v1/certificates/verify", json={"code": code.lower()})
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert (body["display_name"], body["group_name"], body["sessions"], body["minutes"]) == (
        "Dr Member 1", "FY1 Tuesday group", 1, 25)
    wrong = await anyone.http.post("/api/v1/certificates/verify", json={"code": "AAAA-BBBB"})
    assert wrong.status_code == 404 and wrong.json()["error"] == "certificate_not_found"

    # The facilitator sees who came; an admin sees counts per group and never a name.
    came = (await fac.http.get(f"/api/v1/groups/{stage.group['id']}/attendance")).json()
    assert [(c["display_name"], c["minutes"]) for c in came] == [("Dr Member 1", 25)]
    admin = stage.browser("Admin", role="admin")
    await stage.ok(admin.http.post("/api/v1/auth/login", json={
        "email": "admin@trust.nhs.uk", "password": "correct horse battery staple"}))
    counts = await admin.http.get("/api/v1/admin/attendance")
    assert counts.json() == [{"group_id": stage.group["id"], "group_name": "FY1 Tuesday group",
                              "dates": 1, "attendances": 1}]
    assert "Dr Member" not in counts.text
    refused = await admin.http.get(f"/api/v1/groups/{stage.group['id']}/attendance")
    assert refused.status_code == 403 and refused.json()["error"] == "facilitators_only"

    # The doctor deletes their records: the certificate's code then verifies nothing.
    deleted = await ann.http.delete(f"/api/v1/me/memberships/{ann.id}/attendance")
    assert deleted.json() == {"deleted": 1}
    assert (await mine())[0]["records"] == []
    again = await anyone.http.post("/api/v1/certificates/verify", json={"code": code})
    assert again.status_code == 404
    none = await ann.http.post(f"/api/v1/me/memberships/{ann.id}/certificate")
    assert none.status_code == 409 and none.json()["error"] == "no_attendance"


async def test_records_and_certificates_are_purged_after_retention(world: Any, app: Any) -> None:
    browser, joined = await world.doctor("Dr Ann")
    session = await world.session(status="live")

    async for db in transaction(app.state.db):
        await service.record(db, session_id=uuid.UUID(session["id"]),
                             member_id=uuid.UUID(joined["member_id"]), minutes=40)
    response = await browser.post(f"/api/v1/me/memberships/{joined['member_id']}/certificate")
    assert response.status_code == 200
    settings = app.state.settings
    days = settings.retention_attendance_days

    async def count() -> tuple[int, int]:
        found = (0, 0)
        async for db in transaction(app.state.db):
            found = (len(list(await db.scalars(select(AttendanceRecord)))),
                     len(list(await db.scalars(select(Certificate)))))
        return found

    async def run(after_days: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        async for db in transaction(app.state.db):
            counts = await purge(db, settings, now=utcnow() + timedelta(days=after_days))
        return counts

    assert (await run(days - 2))["attendance"] == 0
    assert await count() == (1, 1)
    assert (await run(days + 2))["attendance"] == 2
    assert await count() == (0, 0)
