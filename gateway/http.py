"""Small HTTP helpers shared by the endpoints: JSON errors, size-limited body reading and strict JSON parsing."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store"}
# The gateway is full (connections or turns in flight): the 503 "busy" a widget shows.
BUSY_MESSAGE = "ただいま大変混み合っています。申し訳ありませんが、少し時間をおいてからもう一度お試しください。"
# The API's bodies are flat objects; anything deeper is junk or an attack on the parser's recursion.
MAX_JSON_DEPTH = 16
# Longer numbers cost quadratic time to convert and no field of the API is a number anyway.
MAX_NUMBER_CHARS = 40


class BadJson(ValueError):
    """The body is not JSON the gateway accepts; its message is safe to log (it never quotes the body)."""


class ApiError(HTTPException):
    """A refusal an endpoint raises instead of returning: the app answers it with ``json_error`` (gateway/app.py)."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        """The status, machine-readable code, Japanese sentence and extra headers of the JSON error."""
        super().__init__(status, message, headers)
        self.code = code


def json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A 4xx/5xx with a machine-readable code and a Japanese sentence a widget can show as is."""
    return JSONResponse(
        {"error": code, "message": message}, status_code=status, headers={**NO_STORE, **(headers or {})}
    )


async def read_body(request: Request, limit: int, too_large: str) -> bytes:
    """Read the body; anything larger than ``limit`` bytes is refused (413, ``too_large``) without buffering it."""
    declared = request.headers.get("content-length") or ""
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "body_too_large", too_large)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "body_too_large", too_large)
    return bytes(body)


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed value (a scalar is 0)."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(_depth, children), default=0)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        # Two values for one key: which one a proxy, a WAF or this parser keeps differs; refuse instead of guessing.
        raise BadJson("duplicate key")
    return dict(pairs)


def _number(raw: str) -> int | float:
    if len(raw) > MAX_NUMBER_CHARS:
        raise BadJson("number too long")
    value = int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if not math.isfinite(value):
        raise BadJson("number out of range")
    return value


def _constant(raw: str) -> Any:
    raise BadJson(f"{raw} is not JSON")


def parse_json(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON: UTF-8 only, bounded nesting and numbers, no duplicate keys, no NaN, no lone surrogates."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJson("invalid utf-8") from None
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=_number,
            parse_float=_number,
            parse_constant=_constant,
        )
        if _depth(value) > max_depth:
            raise BadJson("nested too deeply")
        # A lone surrogate in a key or string (``"\\ud800"``) would break every later encode: refused now.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except BadJson:
        raise
    except UnicodeEncodeError:
        raise BadJson("lone surrogate") from None
    except (ValueError, RecursionError) as exc:
        # Junk nested deeper than the recursion limit (of the parser or of _depth) ends here too.
        raise BadJson(type(exc).__name__) from None
    return value


def client_address(request: Request) -> str:
    """The peer address (uvicorn has already applied trusted proxy headers, if configured)."""
    return request.client.host if request.client else "unknown"
