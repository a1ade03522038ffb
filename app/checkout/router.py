"""The close of a session over HTTP: the signposting card (its members read it; its
facilitators and admins change it) and the anonymous pulse (members answer once per session;
facilitators and admins read the aggregates, only from five answers up)."""

from __future__ import annotations

import csv
import io
import uuid

from fastapi import APIRouter, Request, Response

from app.accounts.deps import CurrentAccount, OptionalAccount
from app.checkout import service
from app.checkout.schemas import CardIn, CardOut, PulseIn, PulseOut
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Conflict, NotFound
from app.groups.service import managed_group
from app.members.deps import DeviceMembers
from app.members.models import Member
from app.sessions.models import Session, SessionStatus

router = APIRouter(tags=["checkout"])

NOT_ENOUGH = "not enough answers to show: figures appear from five answers up"


def _member_of(members: list[Member], group_id: uuid.UUID) -> Member | None:
    return next((m for m in members if m.group_id == group_id), None)


@router.get("/groups/{group_id}/signposting", response_model=CardOut)
async def get_card(group_id: uuid.UUID, members: DeviceMembers, account: OptionalAccount,
                   db: DbSession, settings: SettingsDep) -> object:
    """The group's signposting card (or the deployment's): for its members and facilitators."""
    if _member_of(members, group_id) is None:
        if account is None:
            raise NotFound("group_not_found", "no such group")
        await managed_group(db, account, group_id, allow_archived=True)
    return await service.card(db, group_id, settings.signposting)


@router.put("/groups/{group_id}/signposting", response_model=CardOut)
async def put_card(group_id: uuid.UUID, body: CardIn, account: CurrentAccount, db: DbSession,
                   settings: SettingsDep) -> object:
    """Give the group its own card (its facilitators and admins)."""
    await managed_group(db, account, group_id)
    await service.set_card(db, group_id, body.entries)
    return await service.card(db, group_id, settings.signposting)


@router.delete("/groups/{group_id}/signposting", response_model=CardOut)
async def reset_card(group_id: uuid.UUID, account: CurrentAccount, db: DbSession,
                     settings: SettingsDep) -> object:
    """Back to the deployment's card."""
    await managed_group(db, account, group_id)
    await service.reset_card(db, group_id)
    return await service.card(db, group_id, settings.signposting)


def _answered(request: Request) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Who has answered which session's pulse: in this process's memory only, never stored
    (so the counts cannot be tied to anyone), to take one answer per member and session."""
    seen: set[tuple[uuid.UUID, uuid.UUID]] | None = getattr(request.app.state, "pulse_seen", None)
    if seen is None:
        seen = request.app.state.pulse_seen = set()
    return seen


@router.post("/sessions/{session_id}/pulse", status_code=204)
async def answer_pulse(session_id: uuid.UUID, body: PulseIn, request: Request,
                       members: DeviceMembers, db: DbSession) -> Response:
    """One member's anonymous check-out answer, once per session, counted and forgotten."""
    session = await db.get(Session, session_id)
    member = _member_of(members, session.group_id) if session is not None else None
    if session is None or member is None:
        raise NotFound("session_not_found", "no such session")
    if session.status not in (SessionStatus.live, SessionStatus.ended) or session.cancel_reason:
        raise Conflict("session_not_held", "this session has not taken place")
    seen = _answered(request)
    if (session_id, member.id) in seen:
        raise Conflict("already_answered", "you have already answered for this session")
    await service.answer(db, session_id, body)
    seen.add((session_id, member.id))
    return Response(status_code=204)


def _shown(figures: PulseOut) -> PulseOut:
    """The figures, or the refusal when there is nothing to show (for the CSV)."""
    if not (figures.heard.shown or figures.again.shown):
        raise Conflict("not_enough_answers", NOT_ENOUGH)
    return figures


@router.get("/sessions/{session_id}/pulse", response_model=PulseOut)
async def session_pulse(session_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """A session's pulse, for its group's facilitators and admins: each question's figures, or
    ``shown`` false (and no figure at all) below five answers."""
    session = await db.get(Session, session_id)
    if session is None:
        raise NotFound("session_not_found", "no such session")
    await managed_group(db, account, session.group_id, allow_archived=True)
    return await service.session_figures(db, session_id)


@router.get("/groups/{group_id}/pulse", response_model=PulseOut)
async def group_pulse(group_id: uuid.UUID, account: CurrentAccount, db: DbSession) -> object:
    """A group's pulse over all its sessions (``shown`` false below five answers)."""
    await managed_group(db, account, group_id, allow_archived=True)
    return await service.group_figures(db, group_id)


@router.get("/groups/{group_id}/pulse.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
async def group_pulse_csv(group_id: uuid.UUID, account: CurrentAccount, db: DbSession
                          ) -> Response:
    """The group's pulse aggregates as CSV, for programme evaluation (no names, no dates);
    refused (409 `not_enough_answers`) when no question has five answers."""
    group = await managed_group(db, account, group_id, allow_archived=True)
    figures = _shown(await service.group_figures(db, group_id))
    out = io.StringIO()
    csv.writer(out).writerows(service.csv_rows(group.name, figures))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="rounds-pulse.csv"'})


