"""Fixtures of the facilitation tests: a stage on each database, or on SQLite only (the media
tests, whose database work is the same and whose cost is the media)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.core.config import Settings
from tests.facilitation.stage import Stage


@pytest.fixture
async def stage(settings: Settings) -> AsyncIterator[Stage]:
    """A served app on a migrated SQLite and PostgreSQL database (the ``settings`` fixture)."""
    built = Stage(settings)
    await built.start()
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def sqlite_stage(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Stage]:
    """The same on SQLite only."""
    path = tmp_path / "rounds.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", data_dir=tmp_path,
                        secret_key=SecretStr("t" * 40), public_url="http://testserver")
    built = Stage(settings)
    await built.start()
    try:
        yield built
    finally:
        await built.close()


from tests.app.conftest import world  # noqa: E402,F401  (the REST tests' world of two groups)
