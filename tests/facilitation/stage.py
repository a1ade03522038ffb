"""A stage for facilitation tests: the real app served by uvicorn, built through its REST API, with
real aiortc participants (``rtc.client.Client``) joining its ``/rtc`` WebSocket.

``Stage`` creates an admin, a facilitator and a co-facilitator account, a group, member browsers
(each through its own invite), a session and its template; ``enter`` takes a person through the
join (the lobby and the facilitator's admission for members) into the room. ``restart`` stops the
app and serves a new one on the same database, as a service restart would.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiortc.mediastreams import MediaStreamTrack

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import create_engine, db_factory, transaction
from app.main import create_app
from rtc.client import Client
from tests.live import serve

PASSWORD = "correct horse battery staple"
RULES = {"ground_rules_version": 1}


def _csrf_hook(client: httpx.AsyncClient) -> Callable[[httpx.Request], Any]:
    async def hook(request: httpx.Request) -> None:
        token = client.cookies.get("rounds_csrf")
        if token and request.method not in {"GET", "HEAD", "OPTIONS"}:
            request.headers["x-csrf-token"] = token

    return hook


@dataclass
class Person:
    """Someone at the session: a browser for the REST API and, once in the room, an rtc client."""

    name: str
    http: httpx.AsyncClient
    role: str = "member"
    id: str = ""
    token: str = ""
    path: str = "/rtc"
    """The signalling path of their join grant (a media worker's, where rooms run on workers)."""
    client: Client | None = None
    skew: float = 0.0
    """Seconds this person's clock is off (for the clock-offset tests)."""

    @property
    def rtc(self) -> Client:
        assert self.client is not None, f"{self.name} is not in the room"
        return self.client


@dataclass
class Stage:
    settings: Settings
    base: str = ""
    app: Any = None
    people: list[Person] = field(default_factory=list)
    group: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    media: str = ""
    """Where the rooms' signalling is served (http://host:port), if not by the app: a media
    worker's address (the proxy's routing by path, in production)."""
    _server: contextlib.ExitStack | None = None

    # ---------------------------------------------------------------- the server

    async def start(self) -> None:
        """Serve a new app on the stage's database."""
        self.app = create_app(self.settings)
        stack = contextlib.ExitStack()
        self.base = await asyncio.to_thread(lambda: stack.enter_context(serve(self.app)))
        self._server = stack
        for person in self.people:
            person.http.base_url = httpx.URL(self.base)

    async def stop(self) -> None:
        """Stop the app (graceful, as on SIGTERM); clients see their sockets close."""
        if self._server is not None:
            await asyncio.to_thread(self._server.close)
            self._server = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def ws(self) -> str:
        return self.base.replace("http", "ws", 1) + "/rtc"

    async def close(self) -> None:
        for person in self.people:
            if person.client is not None:
                await person.client.close(leave=False)
            await person.http.aclose()
        await self.stop()

    def browser(self, name: str, role: str = "member") -> Person:
        http = httpx.AsyncClient(base_url=self.base, timeout=20.0)
        http.event_hooks["request"].append(_csrf_hook(http))
        person = Person(name, http, role)
        self.people.append(person)
        _everyone[:] = self.people
        return person

    # ---------------------------------------------------------------- the world

    async def build(self, members: int, template: str | None = "default:check-in-round",
                    co_facilitator: bool = True) -> None:
        """Accounts, a group, ``members`` doctors, and a live session run with ``template``."""
        engine = create_engine(self.settings.db_url)
        async for db in transaction(db_factory(engine)):
            await create_account(db, email="admin@trust.nhs.uk", display_name="Admin",
                                 password=PASSWORD, is_admin=True)
        await engine.dispose()
        admin = self.browser("Admin", "admin")
        await self.ok(admin.http.post("/api/v1/auth/login", json={
            "email": "admin@trust.nhs.uk", "password": PASSWORD}))
        accounts = {}
        leads = [("fac", "Dr Facilitator")] + ([("cofac", "Dr Co")] if co_facilitator else [])
        for key, name in leads:
            body = await self.ok(admin.http.post("/api/v1/accounts", json={
                "email": f"{key}@trust.nhs.uk", "display_name": name, "password": PASSWORD}))
            accounts[key] = body["id"]
        self.group = await self.ok(admin.http.post("/api/v1/groups", json={
            "name": "FY1 Tuesday group", "facilitator_id": accounts["fac"]}))
        if co_facilitator:
            await self.ok(admin.http.post(f"/api/v1/groups/{self.group['id']}/facilitators",
                                          json={"account_id": accounts["cofac"],
                                                "role": "co-facilitator"}))
        self.people.remove(admin)
        _everyone[:] = self.people
        await admin.http.aclose()
        for key, name in leads:
            person = self.browser(name, "facilitator" if key == "fac" else "co-facilitator")
            await self.ok(person.http.post("/api/v1/auth/login", json={
                "email": f"{key}@trust.nhs.uk", "password": PASSWORD}))
        for i in range(members):
            link = (await self.ok(self.fac.http.post(
                f"/api/v1/groups/{self.group['id']}/invites", json={})))["link"]
            person = self.browser(f"Dr Member {i + 1}")
            joined = await self.ok(person.http.post("/api/v1/invites/accept", json={
                "token": link.split("#", 1)[1], "display_name": person.name}))
            person.id = joined["member_id"]
        if template is not None:
            await self.new_session(template)

    async def new_session(self, template: str) -> None:
        start = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        self.session = await self.ok(self.fac.http.post(
            f"/api/v1/groups/{self.group['id']}/sessions",
            json={"scheduled_start": start, "duration_minutes": 60}))
        await self.ok(self.fac.http.post(f"/api/v1/sessions/{self.session['id']}/facilitation",
                                         json={"template_id": template}))

    @property
    def fac(self) -> Person:
        return next(p for p in self.people if p.role == "facilitator")

    @property
    def cofac(self) -> Person:
        return next(p for p in self.people if p.role == "co-facilitator")

    @property
    def members(self) -> list[Person]:
        return [p for p in self.people if p.role == "member"]

    @staticmethod
    async def ok(request: Any) -> Any:
        response = await request
        assert response.status_code in (200, 201), response.text
        return response.json() if response.content else None

    # ---------------------------------------------------------------- the room

    async def grant(self, person: Person) -> None:
        """Get a join token: members wait in the lobby until the facilitator admits them."""
        url = f"/api/v1/sessions/{self.session['id']}/join"
        response = await person.http.post(url, json=RULES)
        if response.status_code == 202:
            await self.ok(self.fac.http.post(
                f"/api/v1/sessions/{self.session['id']}/lobby/{person.id}/admit"))
            response = await person.http.post(url, json=RULES)
        assert response.status_code == 200, response.text
        body = response.json()
        person.token, person.id = body["token"], body["participant_id"]
        person.path = body["signalling_path"]

    async def connect(self, person: Person, *, audio: MediaStreamTrack | None = None,
                      video: MediaStreamTrack | None = None) -> Client:
        """(Re)connect a person's rtc client with their join token."""
        url = (self.media or self.base).replace("http", "ws", 1) + person.path
        client = Client(url, person.token, audio=audio, video=video)
        await client.connect(publish=audio is not None or video is not None)
        person.client = client
        return client

    async def enter(self, person: Person, *, audio: MediaStreamTrack | None = None,
                    video: MediaStreamTrack | None = None) -> Client:
        await self.grant(person)
        return await self.connect(person, audio=audio, video=video)

    async def drop(self, person: Person) -> None:
        """Close a person's connection abruptly (no leave): the server sees it lost."""
        await person.rtc.close(leave=False)
        person.client = None


# ---------------------------------------------------------------- messages


Marks = dict[int, int]
"""Positions in the message logs of every connected client (by ``id(client)``)."""


def marks(stage_people: list[Person]) -> Marks:
    return {id(p.client): p.client.mark() for p in stage_people if p.client is not None}


_everyone: list[Person] = []


async def send(person: Person, kind: str, **data: Any) -> Marks:
    """Send an `app` message; returns where every client's log stood just before."""
    mark = marks(_everyone) | {id(person.rtc): person.rtc.mark()}
    await person.rtc.send({"type": "app", "kind": kind, "data": data})
    return mark


def _since(person: Person, since: int | Marks) -> int:
    return since if isinstance(since, int) else since.get(id(person.rtc), 0)


def states(client: Client, since: int = 0) -> list[dict[str, Any]]:
    return [m["data"] for m in client.messages[since:]
            if m["type"] == "event" and m["kind"] == "state"]


async def state(person: Person, where: Callable[[dict[str, Any]], bool] = lambda _: True,
                since: int | Marks = 0, timeout: float = 5.0  # noqa: ASYNC109
                ) -> dict[str, Any]:
    """The first `state` event since ``since`` that satisfies ``where``."""
    msg = await person.rtc.expect(
        "event", timeout=timeout, since=_since(person, since),
        where=lambda m: m["kind"] == "state" and where(m["data"]))
    data: dict[str, Any] = msg["data"]
    return data


async def latest(person: Person) -> dict[str, Any]:
    """Ask for the state and return the answer."""
    mark = await send(person, "state")
    return await state(person, since=mark)


async def error(person: Person, since: int | Marks, timeout: float = 5.0  # noqa: ASYNC109
                ) -> str:
    msg = await person.rtc.expect("error", since=_since(person, since), timeout=timeout)
    assert msg.get("ref") == "app", msg
    code: str = msg["code"]
    return code


async def eventually(check: Callable[[], bool], timeout: float = 10.0,  # noqa: ASYNC109
                     what: str = "it") -> float:
    """Poll until true; returns the seconds it took."""
    began = time.monotonic()
    while not check():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - began


def speaking(who: Person) -> Callable[[dict[str, Any]], bool]:
    """A `state` in which ``who`` holds the floor of a running round."""
    return lambda s: s["round"] is not None and s["round"]["speaker"] == who.id and (
        s["round"]["status"] == "running")


async def round_of_two(stage: Stage) -> tuple[Person, Person, Person]:
    """A live check-in round with the facilitator and two members in the room, the first member
    speaking: (facilitator, speaker, next)."""
    await stage.build(members=2, co_facilitator=False)
    fac, (m1, m2) = stage.fac, stage.members
    for p in (fac, m1, m2):
        await stage.enter(p)
    mark = await send(fac, "phase", action="start")
    await state(fac, lambda s: s["phase"]["status"] == "running", since=mark)
    mark = await send(fac, "round", action="setup", rule="manual", order=[m1.id, m2.id])
    await state(fac, lambda s: s["round"] and len(s["round"]["turns"]) == 2, since=mark)
    mark = await send(fac, "round", action="start")
    await state(m2, speaking(m1), since=mark)
    return fac, m1, m2
