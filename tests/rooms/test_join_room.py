"""A doctor goes from an invite link to the room of a live session: the app's join token admits a
real aiortc client over the app's own WebSocket, and nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import create_engine, db_factory, transaction
from app.main import create_app
from rtc.client import Client
from tests.app.conftest import PASSWORD
from tests.live import serve


async def _admin(settings: Settings) -> None:
    engine = create_engine(settings.db_url)
    async for db in transaction(db_factory(engine)):
        await create_account(
            db, email="fa@trust.nhs.uk", display_name="Dr F", password=PASSWORD, is_admin=True
        )
    await engine.dispose()


async def _call(client: httpx.AsyncClient, method: str, path: str, **kw: object) -> Any:
    """A page's API call: the CSRF header from the cookie, and the JSON answer."""
    headers = {"x-csrf-token": client.cookies.get("rounds_csrf", "")}
    response = await client.request(method, f"/api/v1{path}", headers=headers, **kw)  # type: ignore[arg-type]
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


async def test_invite_to_room(settings: Settings) -> None:
    await _admin(settings)
    with serve(create_app(settings)) as base:
        ws_url = base.replace("http", "ws") + "/rtc"
        async with httpx.AsyncClient(base_url=base) as fac, httpx.AsyncClient(base_url=base) as doc:
            await _call(
                fac, "POST", "/auth/login", json={"email": "fa@trust.nhs.uk", "password": PASSWORD}
            )
            me = await _call(fac, "GET", "/auth/me")
            group = await _call(
                fac, "POST", "/groups", json={"name": "FY1", "facilitator_id": me["id"]}
            )
            start = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
            session = await _call(
                fac, "POST", f"/groups/{group['id']}/sessions", json={"scheduled_start": start}
            )
            link = (await _call(fac, "POST", f"/groups/{group['id']}/invites", json={}))["link"]
            await _call(
                doc,
                "POST",
                "/invites/accept",
                json={"token": link.split("#")[1], "display_name": "Dr Ada"},
            )
            await _call(fac, "PATCH", f"/sessions/{session['id']}", json={"status": "open"})
            rules = {"ground_rules_version": 1}
            fgrant = await _call(fac, "POST", f"/sessions/{session['id']}/join", json=rules)
            waiting = await doc.post(
                f"/api/v1/sessions/{session['id']}/join",
                json=rules,
                headers={"x-csrf-token": doc.cookies["rounds_csrf"]},
            )
            assert waiting.status_code == 202
            member_id = (await _call(doc, "GET", "/me/memberships"))[0]["member_id"]
            await _call(fac, "POST", f"/sessions/{session['id']}/lobby/{member_id}/admit")
            dgrant = await _call(doc, "POST", f"/sessions/{session['id']}/join", json=rules)

        facilitator = Client(ws_url, fgrant["token"])
        doctor = Client(ws_url, dgrant["token"])
        try:
            await facilitator.connect(publish=False)
            await doctor.connect(publish=False)
            assert facilitator.id == fgrant["participant_id"]
            assert doctor.id == dgrant["participant_id"]
            peer = await facilitator.expect("peer_joined", since=0)
            assert peer["peer"]["id"] == doctor.id
            assert peer["peer"]["name"] == "Dr Ada" and peer["peer"]["role"] == "member"
        finally:
            await doctor.close()
            await facilitator.close()

        forged = Client(ws_url, dgrant["token"][:-4] + "AAAA")
        with pytest.raises(RuntimeError, match="server error bad_token: join token signature"):
            await forged.connect(publish=False)
        await forged.close(leave=False)
