"""Live sessions over REST: enter a session's room (the lobby and the join token), run it with a
template, let a member in, read its state. Everything else happens in the room (`app` messages)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CurrentAccount, OptionalAccount
from app.accounts.models import Account
from app.core.config import derived_key
from app.core.db import utcnow
from app.core.deps import DbSession, SettingsDep
from app.core.errors import Conflict, Forbidden, Unauthenticated
from app.core.rooms import Rooms
from app.facilitation.actions import compose
from app.facilitation.feed import frame
from app.facilitation.runtime import Facilitation
from app.facilitation.schemas import Begin, LiveView, SavePlan
from app.groups.models import Group
from app.groups.service import managed_group
from app.members.deps import DeviceMembers
from app.members.models import FACILITATING, Member
from app.members.service import joining_member
from app.sessions import service as sessions
from app.sessions.grants import media_worker, signalling_path
from app.sessions.ice import ice_servers_for
from app.sessions.models import SessionStatus
from app.sessions.schemas import JoinGrant, JoinRequest, Waiting
from app.templates import service as templates
from app.templates.schemas import TemplateOut

router = APIRouter(tags=["facilitation"])

KEEPALIVE = 15.0
"""Seconds between the comments that keep a quiet event stream open through proxies."""
STREAM_LIFETIME = 600.0
"""Seconds after which the server ends an event stream (the browser's EventSource opens a new
one at once, and is told the current state again): nothing is held open for ever."""


def _runtime(request: Request) -> Facilitation:
    runtime: Facilitation = request.app.state.facilitation
    return runtime


Runtime = Annotated[Facilitation, Depends(_runtime)]


@router.post(
    "/sessions/{session_id}/join",
    response_model=JoinGrant,
    responses={202: {"model": Waiting, "description": "waiting in the lobby"}},
)
async def join_session(
    session_id: uuid.UUID,
    body: JoinRequest,
    account: OptionalAccount,
    devices: DeviceMembers,
    db: DbSession,
    settings: SettingsDep,
    runtime: Runtime,
    request: Request,
) -> object:
    """Acknowledge the ground rules and get a join token for the session's room.

    A member waits in the lobby (202; the session's event stream says when they are let in)
    until a facilitator admits them; facilitators go straight in. A scheduled session whose
    join window has come counts as open (the schedule opens it at that moment; nothing is
    written here, as the session's task must not wait on this request's transaction); a late
    arrival meets the group's late-join rule.
    """
    session = await sessions.get_session(db, session_id)
    member = await joining_member(db, session.group_id, account, devices)
    group = await db.get(Group, session.group_id)
    assert group is not None
    now = utcnow()
    sessions.check_joinable(session, member, group, ground_rules_version=body.ground_rules_version,
                            now=now)
    if member.role not in FACILITATING:
        admitted = await runtime.request_entry(
            str(session.id), str(member.id), member.display_name,
            late=sessions.lateness(session, group, now=now))
        if not admitted:
            waiting = Waiting(
                detail="waiting for the facilitator to let you in",
                session_status=session.status.value,
            )
            return JSONResponse(waiting.model_dump(), status_code=202)
    worker = await media_worker(request, str(session.id))
    token, expires = sessions.issue_join_token(
        derived_key(settings, "join-token"),
        session,
        member,
        group,
        ground_rules_version=body.ground_rules_version,
        ttl_seconds=settings.join_token_seconds,
        worker=worker,
    )
    return JoinGrant(
        token=token,
        expires_at=expires,
        signalling_path=signalling_path(worker),
        ice_servers=ice_servers_for(settings),
        participant_id=member.id,
        role=member.role.value,
    )


@router.post("/sessions/{session_id}/facilitation", response_model=LiveView)
async def begin(session_id: uuid.UUID, body: Begin, account: CurrentAccount, db: DbSession,
                runtime: Runtime, rooms: Rooms) -> object:
    """Give the session its plan from one or more templates: it goes live and its phases wait
    for the start. Before the first phase starts this replaces the plan; afterwards (also once
    the phases have all run) the templates' phases are added at the end."""
    session = await sessions.get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    plan = compose([await templates.resolve(db, i, session.group_id) for i in body.ids])
    if session.status is SessionStatus.ended:
        raise Conflict("session_ended", "this session has ended")
    await runtime.begin(str(session.id), plan)
    if session.status is not SessionStatus.live:
        await sessions.update_session(db, session, changes={"status": SessionStatus.live},
                                      rooms=rooms)
    state = runtime.state_for(str(session.id), facilitator=True)
    return LiveView(live=True, state=state)


@router.post("/sessions/{session_id}/plan/template", response_model=TemplateOut,
             status_code=201)
async def save_plan(session_id: uuid.UUID, body: SavePlan, account: CurrentAccount,
                    db: DbSession, runtime: Runtime) -> object:
    """Keep the live session's plan (every phase, as planned) as one of the group's templates."""
    session = await sessions.get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    plan = runtime.plan(str(session.id))
    if plan is None:
        raise Conflict("no_template", "this session has no plan yet")
    row = await templates.create(db, session.group_id, template=plan.model_copy(
        update={"name": body.name, "description": body.description}))
    return templates.as_out(row)


@router.post("/sessions/{session_id}/lobby/{member_id}/admit", response_model=LiveView)
async def admit(session_id: uuid.UUID, member_id: uuid.UUID, account: CurrentAccount,
                db: DbSession, runtime: Runtime) -> object:
    """Let a member in from the lobby (also possible from the room, as a `control` message)."""
    session = await sessions.get_session(db, session_id)
    await managed_group(db, account, session.group_id)
    await runtime.admit(str(session.id), str(member_id))
    return LiveView(live=True, state=runtime.state_for(str(session.id), facilitator=True))


@router.get("/sessions/{session_id}/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def events(session_id: uuid.UUID, account: OptionalAccount, devices: DeviceMembers,
                 db: DbSession, runtime: Runtime) -> StreamingResponse:
    """The session's lobby as it happens, as server-sent events (`app/facilitation/feed.py`):
    `session` (its status) at once and on every change; for a member, `admitted` or `refused`;
    for its facilitators, `lobby` (who is waiting). A comment every 15 s keeps it open."""
    session = await sessions.get_session(db, session_id)
    leads, member = await _viewer(db, session.group_id, account, devices)
    key, status = str(session.id), session.status.value
    runtime.feed.check_room(key)

    async def stream() -> AsyncIterator[str]:
        with runtime.feed.listen(key, participant=member, leads=leads) as listener:
            yield frame("session", {"status": status})
            if leads:
                yield frame("lobby", runtime.lobby(key))
            elif member is not None:  # listening first, then the state: nothing falls between
                admitted, removed = runtime.admission(key, member)
                if admitted:
                    yield frame("admitted", {})
                elif removed:
                    yield frame("refused", {"code": "removed"})
            until = asyncio.get_running_loop().time() + STREAM_LIFETIME
            while asyncio.get_running_loop().time() < until:
                try:
                    kind, data = await asyncio.wait_for(listener.queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                yield frame(kind, data)
                if kind == "session" and data.get("status") == "ended":
                    return

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"cache-control": "no-store"})


async def _viewer(db: AsyncSession, group_id: uuid.UUID, account: Account | None,
                  devices: list[Member]) -> tuple[bool, str | None]:
    """(a facilitator of the group, the member id on this device) — or refused."""
    if account is not None:
        await managed_group(db, account, group_id, allow_archived=True)
        return True, None
    member = next((m for m in devices if m.group_id == group_id), None)
    if member is not None:
        return False, str(member.id)
    if devices:
        raise Forbidden("not_your_group", "this session belongs to another group")
    raise Unauthenticated("no_membership", "open your invite link on this device first")


@router.get("/sessions/{session_id}/state", response_model=LiveView)
async def state(session_id: uuid.UUID, account: OptionalAccount, devices: DeviceMembers,
                db: DbSession, runtime: Runtime) -> object:
    """A session's live state: for its facilitators, and (without the lobby) for its members."""
    session = await sessions.get_session(db, session_id)
    leads, _ = await _viewer(db, session.group_id, account, devices)
    view = runtime.state_for(str(session.id), facilitator=leads)
    return LiveView(live=view is not None, state=view)
