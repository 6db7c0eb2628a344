"""``GET /healthz``: 200 only when Rasa answers with a loaded model (CONTRACT §2)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.http import NO_STORE
from gateway.rasa_client import RasaClient


class Health:
    """Reports the gateway's view of Rasa, and whether LINE is configured."""

    def __init__(self, rasa: RasaClient, line_enabled: bool) -> None:
        """Wire the Rasa client."""
        self._rasa = rasa
        self._line_enabled = line_enabled

    async def healthz(self, request: Request) -> Response:
        """Probe Rasa's ``/status`` now (no caching: a stopped Rasa must show at once)."""
        rasa = await self._rasa.health()
        ok = rasa.reachable and rasa.model_loaded
        body = {
            "status": "ok" if ok else "unavailable",
            "rasa": {"reachable": rasa.reachable, "model_loaded": rasa.model_loaded, "detail": rasa.detail},
            "line": "configured" if self._line_enabled else "not configured",
        }
        return JSONResponse(body, status_code=200 if ok else 503, headers=NO_STORE)
