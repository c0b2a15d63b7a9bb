"""Async database access (SQLModel over asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

# Recycling keeps idle connections younger than typical firewall and proxy idle timeouts.
POOL_RECYCLE_SECONDS = 1800


class Database:
    def __init__(self, url: str, pool_size: int = 10, ping_on_checkout: bool = True):
        """The worker passes ping_on_checkout=False: the ping is a round trip per activity (bench/), and
        a connection that died fails its statement, leaves the pool, and the activity's retry takes a
        fresh one. Other callers (CLI, host application) have no retry, so they ping."""
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=POOL_RECYCLE_SECONDS,
            pool_pre_ping=ping_on_checkout)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._autocommit_sessions = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), class_=AsyncSession,
            expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncSession]:
        """A session where every statement commits on its own, for the activities of a run: each of
        their writes is a single idempotent statement, so BEGIN and COMMIT would only add two round
        trips per activity (bench/)."""
        async with self._autocommit_sessions() as session:
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
