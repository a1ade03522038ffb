"""Database: the declarative base, the engine, and the per-request session.

Services take an ``AsyncSession`` and never commit; the request's session dependency commits
when the route returns and rolls back when it raises, so a failure writes nothing. What a change
does outside the database (close a room, disconnect someone) is registered with ``after_commit``
and runs only once the commit has succeeded: never for a change that was rolled back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, Uuid, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = logging.getLogger("rounds.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, uuid.UUID: Uuid}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def create_engine(url: str) -> AsyncEngine:
    """Build the engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten, not left
            cur.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def db_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def checkpoint(factory: async_sessionmaker[AsyncSession]) -> None:
    """On SQLite, move the write-ahead log into the database file and empty it, so that what was
    deleted (a session's live state) is not left readable in the log; elsewhere nothing."""
    async with factory() as db:
        if db.get_bind().dialect.name == "sqlite":
            await db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


AFTER_COMMIT = "rounds.after_commit"


def after_commit(db: AsyncSession, effect: Callable[[], object]) -> None:
    """Run ``effect`` once this unit of work has committed (not at all if it rolls back)."""
    db.info.setdefault(AFTER_COMMIT, []).append(effect)


async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any error; then the after-commit
    effects, in the order they were registered."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        for effect in session.info.pop(AFTER_COMMIT, []):
            try:
                effect()
            except Exception:  # the change is committed: one failed effect must not undo it
                log.exception("after-commit effect failed")
