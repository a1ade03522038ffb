"""A small world built through the API: an admin, two facilitators, each with a group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.accounts.service import create_account
from app.core.db import transaction
from tests.conftest import Clients

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    admin: httpx.AsyncClient
    fa: httpx.AsyncClient
    fb: httpx.AsyncClient
    fa_id: str
    fb_id: str
    group_a: dict[str, Any]
    group_b: dict[str, Any]
    clients: Clients

    async def invite(
        self,
        client: httpx.AsyncClient | None = None,
        group: dict[str, Any] | None = None,
        **body: Any,
    ) -> dict[str, Any]:
        group = group or self.group_a
        response = await (client or self.fa).post(
            f"/api/v1/groups/{group['id']}/invites", json=body
        )
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()
        return data

    async def doctor(
        self, name: str = "Dr Ada", group: dict[str, Any] | None = None
    ) -> tuple[httpx.AsyncClient, dict[str, Any]]:
        """A new browser that joins a group through a fresh personal invite."""
        link = (
            await self.invite(
                group=group, client=self.fa if group in (None, self.group_a) else self.fb
            )
        )["link"]
        browser = self.clients.new()
        response = await browser.post(
            "/api/v1/invites/accept", json={"token": token_of(link), "display_name": name}
        )
        assert response.status_code == 201, response.text
        return browser, response.json()

    async def session(
        self,
        client: httpx.AsyncClient | None = None,
        group: dict[str, Any] | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        group = group or self.group_a
        # an hour ahead: outside the group's join window, so the lobby stays closed until opened
        start = (datetime.now(UTC) + timedelta(minutes=60)).isoformat()
        client = client or self.fa
        response = await client.post(
            f"/api/v1/groups/{group['id']}/sessions",
            json={"scheduled_start": start, "duration_minutes": 60},
        )
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()
        if status:
            response = await client.patch(
                f"/api/v1/sessions/{session['id']}", json={"status": status}
            )
            assert response.status_code == 200, response.text
            session = response.json()
        return session


def token_of(link: str) -> str:
    return link.split("#", 1)[1]


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


@pytest.fixture
async def world(app: Any, clients: Clients) -> World:
    async for db in transaction(app.state.db):
        await create_account(
            db, email="admin@trust.nhs.uk", display_name="Admin", password=PASSWORD, is_admin=True
        )
    admin = clients.new()
    assert (await login(admin, "admin@trust.nhs.uk")).status_code == 200
    ids = []
    for email, name in (
        ("fa@trust.nhs.uk", "Dr A Facilitator"),
        ("fb@trust.nhs.uk", "Dr B Facilitator"),
    ):
        response = await admin.post(
            "/api/v1/accounts", json={"email": email, "display_name": name, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    groups = []
    for name, fid in (("FY1 Tuesday group", ids[0]), ("SAS doctors group", ids[1])):
        response = await admin.post(
            "/api/v1/groups", json={"name": name, "cohort": "FY1", "facilitator_id": fid}
        )
        assert response.status_code == 201, response.text
        groups.append(response.json())
    fa, fb = clients.new(), clients.new()
    assert (await login(fa, "fa@trust.nhs.uk")).status_code == 200
    assert (await login(fb, "fb@trust.nhs.uk")).status_code == 200
    return World(admin, fa, fb, ids[0], ids[1], groups[0], groups[1], clients)
