"""``GET /healthz``: 200 only when a Rasa replica answers with a loaded model (CONTRACT §2); the public sees ok/not ok."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.http import NO_STORE
from gateway.replicas import ReplicaPool

log = logging.getLogger(__name__)


class Health:
    """Reports the gateway's view of Rasa; the details go to the operator's log, not to the caller."""

    def __init__(self, rasa: ReplicaPool) -> None:
        """Wire the Rasa replicas."""
        self._rasa = rasa
        self._last_detail: str | None = None

    async def healthz(self, request: Request) -> Response:
        """Probe every replica's ``/status`` now (no caching: a stopped Rasa must show at once); ok if one is up."""
        rasa = await self._rasa.health()
        ok = rasa.reachable and rasa.model_loaded
        if rasa.detail != self._last_detail:
            # Versions, model names and URLs stay out of the public answer; a change of state is logged once.
            (log.info if ok else log.warning)("health: rasa %s", rasa.detail)
            self._last_detail = rasa.detail
        return JSONResponse({"status": "ok" if ok else "unavailable"}, status_code=200 if ok else 503, headers=NO_STORE)
