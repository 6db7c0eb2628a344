"""Issue 10 item 4: malformed bodies get a clear JSON 400 on every endpoint; nothing crashes or logs residents' text."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.app import GatewayApp, _server_error
from gateway.http import MAX_JSON_DEPTH
from tests.gateway import line_events as ev
from tests.gateway.conftest import LINE_SECRET, Gateway
from tests.gateway.fakes.fake_line import FakeLine
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread

FakeRasaFixture = tuple[FakeRasa, ServerThread]
FakeLineFixture = tuple[FakeLine, ServerThread]
SID = "A" * 43  # the shape of a session id (malformed bodies must be refused before the session is looked up)

# Each is refused as a body; none is an object the endpoint could use.
MALFORMED: dict[str, bytes] = {
    "lone surrogate in a value": b'{"session_id": "' + SID.encode() + b'", "text": "\\ud800"}',
    "lone surrogate in a key": b'{"\\udfff": 1, "session_id": "' + SID.encode() + b'", "text": "a"}',
    "lone low surrogate in municipality": b'{"municipality": "\\udc00mitaka"}',
    "deep arrays under the size limit": b"[" * 4000 + b"]" * 4000,
    "deep objects under the size limit": b'{"a":' * 1300 + b"1" + b"}" * 1300,
    "just over the depth limit": b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
    "huge integer": b'{"municipality": 1' + b"0" * 5000 + b"}",
    "huge float": b'{"municipality": 1e999999}',
    "NaN": b'{"municipality": NaN}',
    "duplicate keys": b'{"municipality": "mitaka", "municipality": "chiba"}',
    "invalid utf-8": b'{"municipality": "\xff\xfe"}',
    "overlong utf-8": b'{"municipality": "\xc0\xaf"}',
    "encoded surrogate bytes": b'{"municipality": "\xed\xa0\x80"}',
    "utf-8 bom": b'\xef\xbb\xbf{"municipality": "mitaka"}',
    "utf-16": '{"municipality": "mitaka"}'.encode("utf-16"),
    "null": b"null",
    "array": b"[]",
    "number": b"12",
    "string": b'"mitaka"',
    "truncated": b'{"municipality": "mit',
    "trailing junk": b'{"municipality": "mitaka"} x',
    "wrong type municipality": b'{"municipality": ["mitaka"]}',
    "object municipality": b'{"municipality": {"id": "mitaka"}}',
    "boolean municipality": b'{"municipality": true}',
}


def _assert_clear_400(response: httpx.Response, name: str) -> None:
    assert response.status_code == 400, (name, response.status_code, response.text)
    body = response.json()
    assert body["error"] in {"bad_json", "invalid_request"} and body["message"], name
    assert "Traceback" not in response.text


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_body_is_a_clear_400_on_every_api_endpoint(
    gateway: Gateway, fake_rasa: FakeRasaFixture, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """Both chat endpoints answer every malformed body with a JSON 400; Rasa is never called, nothing is traced."""
    caplog.set_level(logging.DEBUG)
    raw = MALFORMED[name]
    for path in ("/api/chat/session", "/api/chat/message"):
        response = httpx.post(f"{gateway.url}{path}", content=raw, headers={"content-type": "application/json"})
        _assert_clear_400(response, f"{path}: {name}")
    assert fake_rasa[0].requests == []
    assert "Traceback" not in caplog.text and "Exception in ASGI application" not in caplog.text


def test_lone_surrogate_in_a_real_session_message_is_a_400(gateway: Gateway, fake_rasa: FakeRasaFixture) -> None:
    """The probe's case: a live session, text "\\ud800" → 400 (it was a 500 when the reply echoed it)."""
    sid = httpx.post(f"{gateway.url}/api/chat/session").json()["session_id"]
    raw = b'{"session_id": "' + sid.encode() + b'", "text": "\\u6697\\ud800 1234"}'
    response = httpx.post(f"{gateway.url}/api/chat/message", content=raw, headers={"content-type": "application/json"})
    _assert_clear_400(response, "surrogate")
    assert fake_rasa[0].requests == []
    ok = httpx.post(f"{gateway.url}/api/chat/message", json={"session_id": sid, "text": "こんにちは"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "name", ["lone surrogate in a value", "deep arrays under the size limit", "huge integer", "duplicate keys", "null"]
)
def test_signed_malformed_line_body_is_a_clear_400(
    start_gateway: Callable[..., Gateway], fake_rasa: FakeRasaFixture, fake_line: FakeLineFixture, name: str
) -> None:
    """The LINE webhook, correctly signed: the same malformed bodies are a JSON 400 and nothing is called."""
    gw = start_gateway(default_municipality="mitaka")
    raw = MALFORMED[name]
    response = httpx.post(f"{gw.url}/line/webhook", content=raw, headers=ev.signed_headers(LINE_SECRET, raw))
    _assert_clear_400(response, name)
    assert fake_rasa[0].requests == [] and fake_line[0].requests == []


def test_signed_line_body_with_invalid_utf8_is_a_400(
    start_gateway: Callable[..., Gateway], fake_line: FakeLineFixture
) -> None:
    """Bytes that are not UTF-8 cannot be a LINE payload: 400, even with a matching HMAC."""
    gw = start_gateway(default_municipality="mitaka")
    raw = b'{"events": [], "x": "\xff"}'
    response = httpx.post(f"{gw.url}/line/webhook", content=raw, headers=ev.signed_headers(LINE_SECRET, raw))
    assert response.status_code == 400 and response.json()["error"] == "invalid_signature"
    assert fake_line[0].requests == []


def test_unhandled_error_is_a_json_500_without_its_message_in_any_log(caplog: pytest.LogCaptureFixture) -> None:
    """A bug whose exception quotes a resident's text: JSON 500, and neither the app nor uvicorn logs that text."""
    caplog.set_level(logging.DEBUG)

    async def boom(request: Request) -> Response:
        """Fail the way an encoder fails: with the resident's input in the message."""
        raise ValueError(f"cannot encode {request.query_params['text']!r}")

    server = ServerThread(GatewayApp(routes=[Route("/boom", boom)], exception_handlers={Exception: _server_error}))
    server.start()
    try:
        response = httpx.get(f"{server.url}/boom", params={"text": "暗証番号は4821 個人番号 123456789012"})
    finally:
        server.stop()
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    assert "unhandled error on GET /boom" in caplog.text and "builtins.ValueError" in caplog.text
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if not r.name.startswith("http"))
    assert "4821" not in logged and "123456789012" not in logged
    assert "Exception in ASGI application" not in caplog.text
