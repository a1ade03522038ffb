"""A programme lead's world, built through the API: an admin, a lead, four facilitators, and
email on (queued in the outbox; the sender is stopped, so the test reads what was queued)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import transaction
from tests.app.conftest import PASSWORD, login
from tests.conftest import Clients

SLOTS = ["TU 12:30", "WE 13:00", "TH 12:30"]
SPECIALTIES = ["Medicine", "Surgery", "Psychiatry", "Paediatrics", "General practice"]
SITES = ["Royal Infirmary", "General Hospital", "Community"]
FACILITATOR_SLOTS = [["TU 12:30", "WE 13:00"], ["WE 13:00", "TH 12:30"],
                     ["TU 12:30", "TH 12:30"], SLOTS]
HEADER = ["name", "email", "grade", "specialty", "site", "rotation_start", "rotation_end",
          "slots", "avoid"]


def email(i: int) -> str:
    return f"doctor{i}@nhs.example"


def person(i: int, *, start: str = "2026-08-05", end: str = "2026-12-01",
           avoid: str = "") -> list[str]:
    """The i-th doctor: slots, specialty and site spread so that every rule can be met."""
    slots = [SLOTS[:1], SLOTS[:2], SLOTS[1:], SLOTS][i % 4]
    return [f"Dr Person {i}", email(i), "FY1" if i % 2 else "FY2", SPECIALTIES[i % 5],
            SITES[i % 3], start, end, ";".join(slots), avoid]


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class LeadWorld:
    admin: httpx.AsyncClient
    lead: httpx.AsyncClient
    facilitators: list[tuple[str, httpx.AsyncClient]]
    programme: dict[str, Any]
    clients: Clients

    @property
    def url(self) -> str:
        return f"/api/v1/programmes/{self.programme['id']}"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path, secret_key=SecretStr("t" * 40),
                    public_url="http://testserver", smtp_host="127.0.0.1", smtp_port=9,
                    smtp_security="none", mail_from="Rounds <rounds@trust.example>")


@pytest.fixture
async def lead_world(app: Any, clients: Clients) -> LeadWorld:
    await app.state.mail_sender.stop()  # what is queued stays queued, for the test to read
    await app.state.reminders.stop()
    async for db in transaction(app.state.db):
        await create_account(db, email="admin@trust.nhs.uk", display_name="Admin",
                             password=PASSWORD, is_admin=True)
    admin = clients.new()
    assert (await login(admin, "admin@trust.nhs.uk")).status_code == 200
    made = await admin.post("/api/v1/accounts", json={
        "email": "lead@trust.nhs.uk", "display_name": "Dr Lead", "password": PASSWORD,
        "is_programme_lead": True})
    assert made.status_code == 201 and made.json()["is_programme_lead"] is True, made.text
    lead = clients.new()
    assert (await login(lead, "lead@trust.nhs.uk")).status_code == 200
    facilitators = []
    for n in range(4):
        response = await admin.post("/api/v1/accounts", json={
            "email": f"f{n}@trust.nhs.uk", "display_name": f"Facilitator {n}",
            "password": PASSWORD})
        assert response.status_code == 201, response.text
        browser = clients.new()
        assert (await login(browser, f"f{n}@trust.nhs.uk")).status_code == 200
        facilitators.append((response.json()["id"], browser))
    response = await lead.post("/api/v1/programmes", json={
        "name": "Foundation doctors, 2026-27", "slots": SLOTS, "mix_specialties": True,
        "mix_sites": True})
    assert response.status_code == 201, response.text
    world = LeadWorld(admin, lead, facilitators, response.json(), clients)
    response = await lead.put(f"{world.url}/facilitators", json=[
        {"account_id": fid, "slots": FACILITATOR_SLOTS[n], "max_groups": 2}
        for n, (fid, _) in enumerate(facilitators)])
    assert response.status_code == 200, response.text
    return world
