"""A stand-in for the LINE Messaging API that records every request and checks it against LINE's documented limits."""

from __future__ import annotations

import re
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
RICH_MENU_SIZES = {(2500, 1686), (2500, 843), (1200, 810), (1200, 405), (800, 540), (800, 270)}


def units(text: str) -> int:
    """Length in UTF-16 code units, as LINE counts characters."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Recorded:
    """One request as the fake saw it, with any rule it broke."""

    path: str
    headers: dict[str, str]
    body: Any
    problems: list[str]


@dataclass
class FakeLine:
    """State shared with the tests: recorded calls, the expected token, reply tokens to reject."""

    access_token: str
    requests: list[Recorded] = field(default_factory=list)
    reject_reply_tokens: set[str] = field(default_factory=set)
    fail_reply_tokens: set[str] = field(default_factory=set)
    omit_sent_messages: bool = False
    used_reply_tokens: set[str] = field(default_factory=set)
    rich_menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    default_rich_menu: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Back to a fresh fake (the server is shared between tests)."""
        with self._lock:
            self.requests.clear()
            self.reject_reply_tokens.clear()
            self.fail_reply_tokens.clear()
            self.omit_sent_messages = False
            self.used_reply_tokens.clear()
            self.rich_menus.clear()
            self.default_rich_menu = None

    def calls(self, path_part: str) -> list[Recorded]:
        """Recorded requests whose path contains ``path_part``."""
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def problems(self) -> list[str]:
        """Every rule any request broke (tests assert this is empty)."""
        with self._lock:
            return [f"{r.path}: {p}" for r in self.requests for p in r.problems]

    def wait_for(self, path_part: str, count: int, timeout: float = 10.0) -> list[Recorded]:
        """Poll until at least ``count`` matching requests arrived (bounded wait)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(path_part)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"expected {count} request(s) to {path_part}, got {len(self.calls(path_part))}")


def _check_action(action: Any, where: str, problems: list[str]) -> None:
    if not isinstance(action, dict):
        problems.append(f"{where}: action is not an object")
        return
    kind = action.get("type")
    if kind == "postback":
        label, data, display = action.get("label"), action.get("data"), action.get("displayText")
        if not isinstance(label, str) or not 1 <= units(label) <= 20:
            problems.append(f"{where}: postback label must be 1-20 characters, got {label!r}")
        if not isinstance(data, str) or not 0 < units(data) <= 300:
            problems.append(f"{where}: postback data must be 1-300 characters")
        if display is not None and (not isinstance(display, str) or not 1 <= units(display) <= 300):
            problems.append(f"{where}: displayText must be 1-300 characters")
        if "text" in action:
            problems.append(f"{where}: postback 'text' is deprecated")
    elif kind == "message":
        if not isinstance(action.get("text"), str) or not 1 <= units(action["text"]) <= 300:
            problems.append(f"{where}: message action text must be 1-300 characters")
    else:
        problems.append(f"{where}: unexpected action type {kind!r}")


def check_messages(messages: Any, problems: list[str]) -> None:
    """LINE's rules for a send-message ``messages`` array, limited to what the gateway sends (text)."""
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        size = len(messages) if isinstance(messages, list) else "?"
        problems.append(f"messages must be a list of 1-5 objects, got {type(messages).__name__} of {size}")
        return
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            problems.append(f"{where}: not an object")
            continue
        extra = set(message) - {"type", "text", "quickReply", "emojis", "quoteToken", "sender"}
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}")
        if message.get("type") != "text":
            problems.append(f"{where}: type must be text, got {message.get('type')!r}")
        text = message.get("text")
        if not isinstance(text, str) or not 1 <= units(text) <= 5000 or not text.strip():
            problems.append(
                f"{where}: text must be 1-5000 characters, got {units(text) if isinstance(text, str) else text!r}"
            )
        quick = message.get("quickReply")
        if quick is None:
            continue
        if i != len(messages) - 1:
            problems.append(f"{where}: quick reply on a message that is not the last is never shown")
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 13:
            problems.append(f"{where}: quickReply.items must hold 1-13 items")
            continue
        for j, item in enumerate(items):
            if not isinstance(item, dict) or item.get("type") != "action":
                problems.append(f"{where}.items[{j}]: type must be action")
                continue
            _check_action(item.get("action"), f"{where}.items[{j}]", problems)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def create_fake_line(state: FakeLine) -> Starlette:
    """The fake's ASGI app (serves both api.line.me and api-data.line.me paths)."""

    async def record(request: Request, body: Any, problems: list[str]) -> Recorded:
        """Check the bearer token and keep the request."""
        if request.headers.get("authorization") != f"Bearer {state.access_token}":
            problems.append("missing or wrong Authorization bearer token")
        recorded = Recorded(request.url.path, dict(request.headers), body, problems)
        with state._lock:
            state.requests.append(recorded)
        return recorded

    async def json_body(request: Request, problems: list[str]) -> Any:
        """Parse a JSON body, noting problems."""
        if not request.headers.get("content-type", "").startswith("application/json"):
            problems.append("Content-Type must be application/json")
        try:
            return await request.json()
        except ValueError:
            problems.append("body is not JSON")
            return None

    def answer(recorded: Recorded, ok: Any) -> Response:
        """401/400 for broken requests, else the given JSON."""
        if any("Authorization" in p for p in recorded.problems):
            return JSONResponse({"message": "Authentication failed"}, status_code=401)
        if recorded.problems:
            return JSONResponse(
                {"message": "The request body has 1 error(s)", "details": recorded.problems}, status_code=400
            )
        return JSONResponse(ok)

    async def reply(request: Request) -> Response:
        """POST /v2/bot/message/reply (tokens are single-use)."""
        problems: list[str] = []
        body = await json_body(request, problems)
        if not isinstance(body, dict) or not isinstance(body.get("replyToken"), str):
            problems.append("replyToken missing")
            body = body if isinstance(body, dict) else {}
        extra = set(body) - {"replyToken", "messages", "notificationDisabled"}
        if extra:
            problems.append(f"unknown keys {sorted(extra)}")
        check_messages(body.get("messages"), problems)
        recorded = await record(request, body, problems)
        token = body.get("replyToken")
        if not problems:
            with state._lock:
                reused = token in state.used_reply_tokens
                state.used_reply_tokens.add(str(token))
            if token in state.reject_reply_tokens or reused:
                return JSONResponse({"message": "Invalid reply token"}, status_code=400)
            if token in state.fail_reply_tokens:
                return JSONResponse({"message": "Internal server error"}, status_code=500)
            if state.omit_sent_messages:
                # LINE has answered 200 with bodies the SDK's response model does not accept.
                return JSONResponse({})
        return answer(
            recorded, {"sentMessages": [{"id": str(uuid.uuid4().int)[:18]} for _ in body.get("messages") or []]}
        )

    async def push(request: Request) -> Response:
        """POST /v2/bot/message/push."""
        problems: list[str] = []
        body = await json_body(request, problems)
        body = body if isinstance(body, dict) else {}
        if not isinstance(body.get("to"), str) or not re.match(r"^[UCR][0-9a-f]{32}$", body["to"]):
            problems.append("to must be a user, group or room id")
        retry_key = request.headers.get("x-line-retry-key")
        if retry_key is not None and not _UUID.match(retry_key):
            problems.append("X-Line-Retry-Key must be a UUID")
        check_messages(body.get("messages"), problems)
        recorded = await record(request, body, problems)
        return answer(recorded, {"sentMessages": [{"id": "1"}]})

    async def loading(request: Request) -> Response:
        """POST /v2/bot/chat/loading/start."""
        problems: list[str] = []
        body = await json_body(request, problems)
        body = body if isinstance(body, dict) else {}
        if not isinstance(body.get("chatId"), str) or not body["chatId"].startswith("U"):
            problems.append("chatId must be a user id (loading works in one-to-one chats only)")
        seconds = body.get("loadingSeconds", 20)
        if not isinstance(seconds, int) or not 5 <= seconds <= 60 or seconds % 5:
            problems.append(f"loadingSeconds must be a multiple of 5 in 5-60, got {seconds!r}")
        recorded = await record(request, body, problems)
        return answer(recorded, {})

    async def create_rich_menu(request: Request) -> Response:
        """POST /v2/bot/richmenu."""
        problems: list[str] = []
        body = await json_body(request, problems)
        body = body if isinstance(body, dict) else {}
        size = body.get("size") or {}
        asked = (size.get("width"), size.get("height"))
        # The menu's size when LINE supports it; areas are checked against it only then (else there is no size).
        dims = next((known for known in RICH_MENU_SIZES if known == asked), None)
        if dims is None:
            problems.append(f"unsupported rich menu size {asked}")
        if not isinstance(body.get("selected"), bool):
            problems.append("selected must be a boolean")
        if not isinstance(body.get("name"), str) or not 1 <= units(body["name"]) <= 300:
            problems.append("name must be 1-300 characters")
        if not isinstance(body.get("chatBarText"), str) or not 1 <= units(body["chatBarText"]) <= 14:
            problems.append("chatBarText must be 1-14 characters")
        areas = body.get("areas")
        if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
            problems.append("areas must hold 1-20 items")
            areas = []
        for i, area in enumerate(areas):
            bounds = area.get("bounds") or {}
            x, y, w, h = (bounds.get(k) for k in ("x", "y", "width", "height"))
            if not (isinstance(x, int) and isinstance(y, int) and isinstance(w, int) and isinstance(h, int)):
                problems.append(f"areas[{i}]: bounds outside the menu")
            elif dims is not None and (x < 0 or y < 0 or x + w > dims[0] or y + h > dims[1]):
                problems.append(f"areas[{i}]: bounds outside the menu")
            _check_action(area.get("action"), f"areas[{i}]", problems)
        recorded = await record(request, body, problems)
        menu_id = f"richmenu-{uuid.uuid4().hex}"
        if not problems:
            state.rich_menus[menu_id] = {"menu": body, "image": None}
        return answer(recorded, {"richMenuId": menu_id})

    async def upload_image(request: Request) -> Response:
        """POST /v2/bot/richmenu/{id}/content (api-data)."""
        problems: list[str] = []
        data = await request.body()
        menu_id = request.path_params["menu_id"]
        menu = state.rich_menus.get(menu_id)
        if request.headers.get("content-type") not in {"image/png", "image/jpeg"}:
            problems.append("Content-Type must be image/png or image/jpeg")
        if len(data) > 1024 * 1024:
            problems.append("image larger than 1 MB")
        size = _png_size(data)
        if menu is None:
            problems.append("unknown rich menu")
        elif size != (menu["menu"]["size"]["width"], menu["menu"]["size"]["height"]):
            problems.append(f"image size {size} does not match the menu")
        recorded = await record(request, {"bytes": len(data)}, problems)
        if not problems and menu is not None:
            menu["image"] = data
        return answer(recorded, {})

    async def set_default(request: Request) -> Response:
        """POST /v2/bot/user/all/richmenu/{id}."""
        problems: list[str] = []
        menu_id = request.path_params["menu_id"]
        menu = state.rich_menus.get(menu_id)
        if menu is None or menu["image"] is None:
            problems.append("rich menu unknown or has no image")
        recorded = await record(request, None, problems)
        if not problems:
            state.default_rich_menu = menu_id
        return answer(recorded, {})

    async def unexpected(request: Request) -> Response:
        # Anything else (e.g. downloading message content) is a bug in the gateway: record it as a problem.
        """Any other call is recorded as a problem."""
        await record(request, None, [f"unexpected call {request.method} {request.url.path}"])
        return JSONResponse({"message": "Not found"}, status_code=404)

    return Starlette(
        routes=[
            Route("/v2/bot/message/reply", reply, methods=["POST"]),
            Route("/v2/bot/message/push", push, methods=["POST"]),
            Route("/v2/bot/chat/loading/start", loading, methods=["POST"]),
            Route("/v2/bot/richmenu", create_rich_menu, methods=["POST"]),
            Route("/v2/bot/richmenu/{menu_id}/content", upload_image, methods=["POST"]),
            Route("/v2/bot/user/all/richmenu/{menu_id}", set_default, methods=["POST"]),
            Route("/{path:path}", unexpected, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )
