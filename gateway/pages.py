"""The widget's static files and the demo city pages that embed it."""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from kb.directory import MunicipalityDirectory
from replies.catalogue import catalogue

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS = {
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}


# Where widget.js takes the catalogue's starters (a valid empty list when the file is served as is).
STARTERS_SLOT = "/*{{STARTERS}}*/ []"


@functools.lru_cache(maxsize=8)
def _read(name: str) -> str:
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    if name != "widget.js":
        return text
    return text.replace(STARTERS_SLOT, json.dumps([c.title for c in catalogue().starters], ensure_ascii=False))


class Pages:
    """Serves ``/``, ``/demo/<id>``, ``/widget.js``, ``/widget.css`` and ``/demo.css``."""

    def __init__(self, directory: MunicipalityDirectory) -> None:
        """Use ``directory`` to validate and name the demo page's city."""
        self._directory = directory

    async def asset(self, request: Request) -> Response:
        """A widget file; short caching so a fix reaches residents quickly."""
        name = request.url.path.lstrip("/")
        return Response(
            _read(name),
            media_type=ASSETS[name],
            headers={"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"},
        )

    async def demo(self, request: Request) -> Response:
        """The mock city page; ``/demo/<id>`` fixes the widget to one city, ``/`` lets the bot ask."""
        wanted = request.path_params.get("municipality")
        municipality = self._directory.get(self._directory.resolve(wanted)) if wanted else None
        if wanted and municipality is None:
            return HTMLResponse("<!doctype html><title>404</title><p>ページが見つかりません。</p>", status_code=404)
        page = _read("index.html")
        city = municipality.name if municipality else "デモ市"
        attribute = f' data-municipality="{html.escape(municipality.id)}"' if municipality else ""
        links = "\n".join(
            f'    <li><a href="/demo/{html.escape(c.id)}">{html.escape(c.name)}</a></li>' for c in self._directory.all()
        )
        page = page.replace("{{CITY_NAME}}", html.escape(city)).replace(" {{WIDGET_ATTRIBUTES}}", attribute)
        page = page.replace("{{CITY_LINKS}}", links)
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})
