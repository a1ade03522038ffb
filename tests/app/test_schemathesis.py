"""Schemathesis over the OpenAPI schema against a real server: no input gives a 5xx, whether
anonymous or signed in as an admin."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error

from app.accounts.service import create_account
from app.core.config import Settings
from app.core.db import create_engine, db_factory, transaction
from app.core.migrate import upgrade
from app.main import create_app
from tests.app.conftest import PASSWORD
from tests.live import serve

schema = schemathesis.openapi.from_dict(
    create_app(Settings(data_dir=Path("/nonexistent"))).openapi()
).exclude(path_regex=r"/events$")
"""Every operation but the lobby's event stream, which by design answers with a stream that
stays open (tests/facilitation/test_lobby_events.py covers it, refusals included)."""


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, dict[str, str]]]]:
    path = tmp_path_factory.mktemp("schemathesis") / "rounds.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}",
        secret_key="s" * 40,
        public_url="http://127.0.0.1",
    )
    upgrade(settings.db_url)

    async def seed() -> None:
        engine = create_engine(settings.db_url)
        async for db in transaction(db_factory(engine)):
            await create_account(
                db,
                email="admin@trust.nhs.uk",
                display_name="Admin",
                password=PASSWORD,
                is_admin=True,
            )
        await engine.dispose()

    asyncio.run(seed())
    with serve(create_app(settings)) as url:
        with httpx.Client(base_url=url) as client:
            client.post(
                "/api/v1/auth/login", json={"email": "admin@trust.nhs.uk", "password": PASSWORD}
            )
            group = client.post(
                "/api/v1/groups",
                json={"name": "G"},
                headers={"x-csrf-token": client.cookies["rounds_csrf"]},
            )
            assert group.status_code == 201
            cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            admin = {"Cookie": cookies, "X-CSRF-Token": client.cookies["rounds_csrf"]}
        yield url, {"anonymous": {}, "admin": admin}


@schema.parametrize()
@hsettings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(
    case: schemathesis.Case, live: tuple[str, dict[str, dict[str, str]]]
) -> None:
    url, identities = live
    for headers in identities.values():
        case.call_and_validate(base_url=url, headers=headers, checks=[not_a_server_error])


def test_stateful_no_server_errors(live: tuple[str, dict[str, dict[str, str]]]) -> None:
    """Schemathesis's stateful phase: sequences of calls linked by what earlier answers returned
    (a group created, then its sessions, invites, templates ...), as an admin: no 5xx."""
    url, identities = live
    workflow = schema.as_state_machine()

    calls: dict[str, int] = {}

    class AsAdmin(workflow):  # type: ignore[valid-type,misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
            return {"base_url": url, "headers": identities["admin"]}

        def validate_response(self, response: object, case: schemathesis.Case,
                              additional_checks: object = None, **kwargs: object) -> None:
            case.validate_response(response, checks=[not_a_server_error])  # type: ignore[arg-type]

    AsAdmin.run(settings=hsettings(max_examples=15, stateful_step_count=6, deadline=None,
                                   suppress_health_check=list(HealthCheck)))
    linked = [label for label in calls if "{" in label]  # reached through an earlier answer
    assert sum(calls.values()) >= 30 and len(linked) >= 5, calls
