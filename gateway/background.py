"""Runs slow work (LINE turns) after the HTTP response has gone, with bounded concurrency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from gateway.logsafe import describe_exception

log = logging.getLogger(__name__)


class BackgroundRunner:
    """Keeps references to spawned tasks (so they are not garbage-collected) and drains them on shutdown."""

    def __init__(self, concurrency: int) -> None:
        """At most ``concurrency`` tasks do work at once; the rest wait their turn."""
        self._semaphore = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Schedule ``work``; its exceptions are logged, never raised into the caller."""
        task = asyncio.create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        """How many tasks are queued or running."""
        return len(self._tasks)

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._semaphore:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("background task failed: %s", describe_exception(exc))

    async def drain(self, timeout: float) -> None:
        """Let running tasks finish for up to ``timeout`` seconds, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
