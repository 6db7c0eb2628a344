"""The staff console's HTTP surface (CONTRACT §8): token auth, the JSON API, the CSV and the server-rendered page."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import sqlalchemy as sa
from jinja2 import Environment, FileSystemLoader
from sanic import Request, Sanic, response
from sanic.exceptions import InvalidUsage, NotFound
from sanic.response import HTTPResponse

from console import data
from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS
from kb.store import KnowledgeBase
from storage.stats import METRICS, REASONS

HERE = Path(__file__).resolve().parent
COOKIE, SESSION_SECONDS, MAX_DAYS = "staff_session", 12 * 3600, 3660
# No script at all; styles only from the app's own file; nothing may frame the page or be sent elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Console:
    """What the console reads and who may read it."""

    token: str
    engine: sa.engine.Engine
    kb: KnowledgeBase
    review_days: int
    now: Callable[[], float] = time.time

    def signed(self, expires: int) -> str:
        """A session cookie value: when it expires, signed with the token (a new token ends every session)."""
        mac = hmac.new(self.token.encode(), f"{COOKIE}:{expires}".encode(), hashlib.sha256).hexdigest()
        return f"{expires}.{mac}"

    def authorised(self, request: Request) -> bool:
        """A Bearer token or a session cookie that is still valid."""
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            return hmac.compare_digest(header[7:].encode(), self.token.encode())
        expires, _, _ = (request.cookies.get(COOKIE) or "").partition(".")
        valid = expires.isdigit() and int(expires) > self.now()
        return valid and hmac.compare_digest(request.cookies[COOKIE].encode(), self.signed(int(expires)).encode())


def _days(request: Request) -> int:
    raw = request.args.get("days", "7")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise InvalidUsage(f"days must be a whole number from 1 to {MAX_DAYS}")
    return int(raw)


def create_app(console: Console) -> Sanic:
    """The Sanic app: /staff/ (login form or the page), /staff/api/* (401 without auth)."""
    app = Sanic("pinbot_staff_console")
    app.config.update(FALLBACK_ERROR_FORMAT="json", MOTD=False, ACCESS_LOG=False)
    templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True)
    names = {mid: console.kb.municipality(mid).name for mid in console.kb.municipality_ids()}
    templates.globals.update(names={**PROCEDURE_LABELS, **APPLICANT_LABELS, **names}, metrics=METRICS, reasons=REASONS)
    app.static("/staff/console.css", HERE / "static" / "console.css", name="css")

    def page(name: str, status: int = 200, **values: Any) -> HTTPResponse:
        return response.html(templates.get_template(name).render(**values), status=status)

    # What the API serves by name, for the last ``days`` days (read in a thread: the database must not hold up the
    # server); the page shows all of them.
    readers: dict[str, Callable[[int, float], Any]] = {
        "summary": lambda days, now: data.summary(console.engine, days, now),
        "unanswered": lambda days, now: {"items": data.unanswered(console.engine, days, now, frozenset(names))},
        "ratings": lambda days, now: {"items": data.ratings(console.engine, days, now)},
        "sources": lambda days, now: {"items": data.sources(console.kb, data.period(1, now)[0], console.review_days)},
    }

    @app.middleware("request")
    async def guard(request: Request) -> Optional[HTTPResponse]:
        if request.path.startswith("/staff/api/") and not console.authorised(request):
            return response.json({"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"})
        return None

    @app.middleware("response")
    async def secure(request: Request, reply: HTTPResponse) -> None:
        reply.headers.update(HEADERS)

    @app.exception(sa.exc.SQLAlchemyError)
    async def unavailable(request: Request, error: Exception) -> HTTPResponse:
        if request.path.startswith("/staff/api/"):
            return response.json({"error": "database_unavailable"}, status=503)
        return response.text("データベースに接続できません。しばらくしてから再読み込みしてください。", status=503)

    @app.get("/staff/")
    async def index(request: Request) -> HTTPResponse:
        if not console.authorised(request):
            return page("login.html")
        days, now = _days(request), console.now()
        return page("index.html", days=days, **{k: await asyncio.to_thread(f, days, now) for k, f in readers.items()})

    def with_session(value: str, max_age: int, secure: bool) -> HTTPResponse:
        """A redirect to the page that sets the session cookie (or, with ``max_age`` 0, ends it)."""
        reply = response.redirect("/staff/", status=303)
        reply.cookies[COOKIE] = value
        settings = {"httponly": True, "samesite": "Strict", "path": "/staff", "max-age": max_age, "secure": secure}
        for name, setting in settings.items():
            reply.cookies[COOKIE][name] = setting
        return reply

    @app.post("/staff/login")
    async def login(request: Request) -> HTTPResponse:
        given = str(request.form.get("token") or "")
        if not hmac.compare_digest(given.encode(), console.token.encode()):
            return page("login.html", status=401, failed=True)
        expires = int(console.now()) + SESSION_SECONDS
        return with_session(console.signed(expires), SESSION_SECONDS, secure=request.scheme == "https")

    @app.post("/staff/logout")
    async def logout(request: Request) -> HTTPResponse:
        return with_session("", 0, secure=False)

    @app.get("/staff/api/<name:str>")
    async def api(request: Request, name: str) -> HTTPResponse:
        if name not in readers:
            raise NotFound(f"no such API: {name}")
        return response.json(await asyncio.to_thread(readers[name], _days(request), console.now()), ensure_ascii=False)

    @app.get("/staff/api/daily.csv")
    async def daily_csv(request: Request) -> HTTPResponse:
        figures = await asyncio.to_thread(readers["summary"], _days(request), console.now())
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["date", *METRICS], lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(figures["by_day"])
        name = f"pinbot-daily-{figures['from']}-{figures['to']}.csv"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return response.text(out.getvalue(), content_type="text/csv; charset=utf-8", headers=disposition)

    return app
