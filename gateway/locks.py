"""Per-conversation turn locks inside one gateway process (the SQLite layout)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class LocalLocks:
    """An ``asyncio.Lock`` per conversation, dropped once no turn of it is running or waiting."""

    def __init__(self) -> None:
        """No lock exists until a conversation's first turn."""
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, conversation_id: str, deadline: float) -> AsyncIterator[None]:
        """Hold the lock of ``conversation_id``; TimeoutError if not acquired by ``deadline`` (event-loop time)."""
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        async with asyncio.timeout_at(deadline):
            await lock.acquire()
        try:
            yield
        finally:
            lock.release()
