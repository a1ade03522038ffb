"""The models and the migrations agree, on SQLite and on PostgreSQL; downgrade and upgrade work."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.core.db import create_engine
from app.core.migrate import alembic_config, head_revision, upgrade
from app.models import Base


def _diff(url: str) -> list[object]:
    async def run() -> list[object]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
                )
            )
        await engine.dispose()
        return list(diff)

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(run())


def test_autogenerate_finds_no_difference(db_url: str) -> None:
    assert _diff(db_url) == []


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(db_url), "base")
    assert _tables(db_url) <= {"alembic_version"}
    upgrade(db_url)
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(db_url)
    assert head_revision() is not None
    assert _diff(db_url) == []
