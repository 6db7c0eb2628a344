"""``GET /healthz``: 200 only when a Rasa replica answers with a loaded model (CONTRACT §2); the public sees ok/not ok."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.http import NO_STORE
from gateway.replicas import ReplicaPool

log = logging.getLogger(__name__)
# /healthz is public and unthrottled: its answer is kept this long, so a burst reaches the replicas once a second.
CACHE_SECONDS = 1.0


class Health:
    """Reports the gateway's view of Rasa; the details go to the operator's log, not to the caller."""

    def __init__(self, rasa: ReplicaPool, cache_seconds: float = CACHE_SECONDS) -> None:
        """Wire the Rasa replicas; an answer is reused for ``cache_seconds``."""
        self._rasa = rasa
        self._cache_seconds = cache_seconds
        self._last_detail: str | None = None
        self._ok = False
        self._checked_at: float | None = None
        # Concurrent callers of a stale answer wait for one probe instead of each sending their own.
        self._probing = asyncio.Lock()

    async def healthz(self, request: Request) -> Response:
        """Ok if a replica is up with a model: every replica's ``/status`` probed at most once a second."""
        ok = await self._status()
        return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503, headers=NO_STORE)

    def _fresh(self) -> bool:
        return self._checked_at is not None and time.monotonic() - self._checked_at < self._cache_seconds

    async def _status(self) -> bool:
        if self._fresh():
            return self._ok
        async with self._probing:
            if self._fresh():  # another caller probed while this one waited
                return self._ok
            rasa = await self._rasa.health()
            ok = rasa.reachable and rasa.model_loaded
            if rasa.detail != self._last_detail:
                # Versions, model names and URLs stay out of the public answer; a change of state is logged once.
                (log.info if ok else log.warning)("health: rasa %s", rasa.detail)
                self._last_detail = rasa.detail
            self._ok, self._checked_at = ok, time.monotonic()
        return ok
