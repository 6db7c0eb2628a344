"""Small HTTP helpers shared by the endpoints: JSON errors and size-limited body reading."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store"}


class BodyTooLarge(Exception):
    """The request body exceeds the endpoint's limit."""


def json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A 4xx/5xx with a machine-readable code and a Japanese sentence a widget can show as is."""
    return JSONResponse(
        {"error": code, "message": message}, status_code=status, headers={**NO_STORE, **(headers or {})}
    )


async def read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing (without buffering it) anything larger than ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def client_address(request: Request) -> str:
    """The peer address (uvicorn has already applied trusted proxy headers, if configured)."""
    return request.client.host if request.client else "unknown"
