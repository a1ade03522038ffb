"""Attendance over HTTP: a doctor's own records and certificates (their device), the public
check of a certificate's code, who came (a group's facilitators), counts per group (admins)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.accounts.deps import CurrentAccount, CurrentAdmin
from app.attendance import certificate as page
from app.attendance import service
from app.attendance.schemas import (
    CodeIn,
    Deleted,
    GroupCountOut,
    MyAttendance,
    PresentOut,
    RecordOut,
    Verified,
)
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Conflict, NotFound
from app.core.throttle import ClientAddress, Limit, ThrottleDep
from app.groups.models import Group
from app.groups.service import managed_group
from app.members.deps import DeviceMembers
from app.members.models import Member

router = APIRouter(tags=["attendance"])


def _mine(members: list[Member], member_id: uuid.UUID) -> Member:
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        raise NotFound("member_not_found", "this device holds no such membership")
    return member


@router.get("/me/attendance", response_model=list[MyAttendance])
async def my_attendance(members: DeviceMembers, db: DbSession) -> object:
    """The doctor's attendance in each group this device belongs to."""
    result = []
    for member in members:
        group = await db.get(Group, member.group_id)
        assert group is not None
        records = await service.records_of(db, member)
        result.append(MyAttendance(
            member_id=member.id, group_id=group.id, group_name=group.name,
            records=[RecordOut.model_validate(r) for r in records],
            minutes=sum(r.minutes for r in records)))
    return result


@router.post("/me/memberships/{member_id}/certificate", response_class=Response,
             responses={200: {"content": {"text/html": {}}}})
async def download_certificate(
    member_id: uuid.UUID, members: DeviceMembers, db: DbSession, settings: SettingsDep
) -> Response:
    """A print-ready certificate of this membership's attendance, with a new verification code
    (only its hash is kept)."""
    member = _mine(members, member_id)
    group = await db.get(Group, member.group_id)
    assert group is not None
    certificate, records, code = await service.issue_certificate(db, member, group)
    if not records:
        raise Conflict("no_attendance", "there is no attendance to certify yet")
    verify_url = f"{settings.public_url.rstrip('/')}/verify"
    html = page.render(certificate, records, code=code, verify_url=verify_url)
    name = f"rounds-attendance-{certificate.created_at:%Y-%m-%d}.html"
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{name}"',
        "content-security-policy": page.CSP})


@router.delete("/me/memberships/{member_id}/attendance", response_model=Deleted)
async def delete_my_attendance(
    member_id: uuid.UUID, members: DeviceMembers, db: DbSession
) -> object:
    """Delete this membership's attendance records and the certificates made from them."""
    return Deleted(deleted=await service.delete_mine(db, _mine(members, member_id)))


@router.post("/certificates/verify", response_model=Verified)
async def verify_certificate(
    body: CodeIn, db: DbSession, settings: SettingsDep, throttle: ThrottleDep,
    address: ClientAddress,
) -> object:
    """Check a certificate's verification code (public): what that one certificate states, or
    404. At most `invite_requests_per_minute` per address, as for invite links."""
    per_minute = settings.invite_requests_per_minute
    await throttle.hit(Limit("certificate", per_minute, 60, what="too many checks"), address)
    c = await service.verify(db, body.code)
    return Verified(display_name=c.display_name, group_name=c.group_name, sessions=c.sessions,
                    minutes=c.minutes, first_date=c.first_date, last_date=c.last_date,
                    issued_at=c.created_at)


@router.get("/groups/{group_id}/attendance", response_model=list[PresentOut])
async def who_came(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """Who came to the group's sessions, by date: for the group's own facilitators only."""
    await managed_group(db, account, group_id, allow_archived=True)
    await service.check_facilitates(db, account, group_id)
    return [PresentOut(**vars(p)) for p in await service.who_came(db, group_id)]


@router.get("/admin/attendance", response_model=list[GroupCountOut])
async def attendance_counts(account: CurrentAdmin, db: DbSession) -> object:
    """Per group: the dates with attendance and how many attendances (admins; no names)."""
    return [GroupCountOut(**vars(c)) for c in await service.counts_per_group(db)]
