"""Shared fixtures: the database built by the migrations, on SQLite and on PostgreSQL.

PostgreSQL (``ROUNDS_TEST_POSTGRES_URL``, default the local server's ``test`` database) and the
other real services are used where they run. On a developer's machine without them the tests
that need them are skipped with a clear reason; under CI (``CI=true``) a missing service fails
the run instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.migrate import upgrade
from app.main import create_app
from app.models import Base
from rtc.bus import RedisBus

POSTGRES_URL = os.environ.get(
    "ROUNDS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("ROUNDS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Property tests check behaviour, not speed: no per-example deadline on a shared, noisy machine.
hypothesis_settings.register_profile("rounds", deadline=None)
hypothesis_settings.load_profile("rounds")


def unavailable(reason: str) -> None:
    """Skip for a missing service, or fail under CI where every service must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must run these tests, not skip them)")
    pytest.skip(reason)


async def _pg_admin(url: str, *statements: str) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(
        host=u.host,
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
        timeout=5,
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def redis_test_bus() -> AsyncIterator[RedisBus]:
    """The media bus on the local Redis, its keys under a prefix of this test's own (deleted
    after it)."""
    bus = RedisBus(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}:")
    try:
        await bus.redis.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means Redis is not usable here
        await bus.close()
        unavailable(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}; "
                    "the tests of the media bus skipped")
    try:
        yield bus
    finally:
        keys = [k async for k in bus.redis.scan_iter(match=bus.prefix + "*")]
        if keys:
            await bus.redis.delete(*keys)
        await bus.close()


@pytest.fixture
async def redis_bus() -> AsyncIterator[RedisBus]:
    async with redis_test_bus() as bus:
        yield bus


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, built by the migrations."""
    name = f"rounds_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_pg_admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means the server is not usable here
        unavailable(
            f"PostgreSQL is not reachable at {make_url(POSTGRES_URL).host}: "
            f"{type(exc).__name__}; PostgreSQL tests skipped"
        )
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


TABLES = ", ".join(t.name for t in Base.metadata.sorted_tables)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each kind, one per test."""
    if request.param == "sqlite":
        path = tmp_path / "rounds.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    asyncio.run(_pg_admin(url, f"TRUNCATE {TABLES} CASCADE"))
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url, data_dir=tmp_path, secret_key="t" * 40, public_url="http://testserver"
    )


def _csrf_hook(client: httpx.AsyncClient):  # type: ignore[no-untyped-def]
    async def hook(request: httpx.Request) -> None:
        token = client.cookies.get("rounds_csrf")
        if token and request.method not in {"GET", "HEAD", "OPTIONS"}:
            request.headers.setdefault("x-csrf-token", token)

    return hook


class Clients:
    """Makes browsers: each its own cookie jar, sending the CSRF header as the pages do."""

    def __init__(self, app: object) -> None:
        self.app = app
        self.made: list[httpx.AsyncClient] = []

    def new(self, *, csrf: bool = True) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),  # type: ignore[arg-type]
            base_url="http://testserver",
        )
        if csrf:
            client.event_hooks["request"].append(_csrf_hook(client))
        self.made.append(client)
        return client


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def clients(app: object) -> AsyncIterator[Clients]:
    made = Clients(app)
    yield made
    for client in made.made:
        await client.aclose()
