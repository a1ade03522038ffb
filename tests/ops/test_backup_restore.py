"""Backup and restore of PostgreSQL, exactly as docs/operations.md says: a database populated
through the API is dumped with pg_dump, restored with pg_restore into a fresh database, brought
to the latest migration, and a new service instance reads everything back through the API."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from app.core.migrate import upgrade
from app.main import create_app
from tests.app.conftest import PASSWORD, login
from tests.conftest import POSTGRES_URL, _pg_admin, unavailable

ROOT = Path(__file__).resolve().parents[2]
DUMP = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
RESTORE = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    env = {"PGPASSWORD": u.password or ""}
    return ["--host", u.host or "127.0.0.1", "--port", str(u.port or 5432),
            "--username", u.username or "postgres"], env


def run(argv: list[str], env: dict[str, str]) -> None:
    """Run a PostgreSQL client tool, bounded in time."""
    subprocess.run(argv, env={**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                   check=True, timeout=60)


def test_operations_doc_uses_these_commands() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    assert " ".join(DUMP) in text and " ".join(RESTORE) in text


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_backup_then_restore_into_a_fresh_database(world: Any, db_url: str,
                                                         settings: Any, tmp_path: Path) -> None:
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    doctor, joined = await world.doctor("Dr Restored")
    session = await world.session()
    before_groups = (await world.admin.get("/api/v1/groups")).json()

    dump = tmp_path / "rounds.dump"
    connection, env = _libpq(db_url)
    source = make_url(db_url).database
    await asyncio.to_thread(run, [*DUMP, *connection, "--file", str(dump), str(source)], env)
    assert dump.stat().st_size > 0

    fresh = f"rounds_restore_{uuid.uuid4().hex[:10]}"
    await _pg_admin(POSTGRES_URL, f'CREATE DATABASE "{fresh}"')
    try:
        await asyncio.to_thread(run, [*RESTORE, *connection, "--dbname", fresh, str(dump)], env)
        restored_url = make_url(db_url).set(database=fresh).render_as_string(hide_password=False)
        await asyncio.to_thread(upgrade, restored_url)  # `rounds migrate`: a no-op at head

        restored = settings.model_copy(update={"database_url": restored_url})
        restored.__dict__.pop("db_url", None)
        application = create_app(restored)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                assert (await c.get("/readyz")).status_code == 200
                assert (await login(c, "fa@trust.nhs.uk", PASSWORD)).status_code == 200
                csrf = {"x-csrf-token": c.cookies.get("rounds_csrf") or ""}
                gid = world.group_a["id"]
                members = (await c.get(f"/api/v1/groups/{gid}/members", headers=csrf)).json()
                sessions = (await c.get(f"/api/v1/groups/{gid}/sessions", headers=csrf)).json()
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as a:
                assert (await login(a, "admin@trust.nhs.uk", PASSWORD)).status_code == 200
                groups = (await a.get("/api/v1/groups")).json()
            # The doctor's browser keeps its membership: the device cookie still matches.
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                         cookies=doctor.cookies) as d:
                mine = (await d.get("/api/v1/me/memberships")).json()
        assert {g["id"] for g in groups} == {g["id"] for g in before_groups}
        assert "Dr Restored" in {m["display_name"] for m in members}
        assert session["id"] in {s["id"] for s in sessions}
        assert [m["member_id"] for m in mine] == [joined["member_id"]]
    finally:
        await _pg_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
