"""LINE for the end-to-end tests: a local stand-in for the Messaging API and signed webhook calls to the gateway."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List

from launch import free_port
from tests.gateway.line_events import body, postback_event, signed_headers, text_event


class FakeLineApi:
    """Answers the gateway's Messaging API calls like LINE and keeps every reply (by reply token)."""

    def __init__(self) -> None:
        """Listen on a free local port (``start`` serves)."""
        self.replies: Dict[str, List[Dict[str, Any]]] = {}
        replies = self.replies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                answer: Dict[str, Any] = {}
                if self.path.endswith("/message/reply"):
                    replies[body["replyToken"]] = body["messages"]
                    answer = {
                        "sentMessages": [{"id": str(n), "quoteToken": "q"} for n, _ in enumerate(body["messages"])]
                    }
                raw = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)

    @property
    def url(self) -> str:
        """What LINE_API_BASE must be."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeLineApi":
        """Serve in a background thread."""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


class LineUser:
    """One LINE user writing to the bot through the gateway's webhook; each call waits for the bot's reply."""

    def __init__(self, gateway_url: str, channel_secret: str, api: FakeLineApi) -> None:
        """A new user id (a new conversation)."""
        self.gateway_url, self.secret, self.api = gateway_url, channel_secret, api
        self.user_id = "U" + uuid.uuid4().hex

    def _send(self, event: Dict[str, Any], timeout: float = 60.0) -> List[Dict[str, Any]]:
        """Deliver ``event`` from this user, signed as LINE signs it; the bot's reply messages."""
        event["source"] = {"type": "user", "userId": self.user_id}
        raw = body(event)
        request = urllib.request.Request(
            f"{self.gateway_url}/line/webhook", data=raw, method="POST", headers=signed_headers(self.secret, raw)
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        deadline, token = time.monotonic() + timeout, event["replyToken"]
        while token not in self.api.replies:
            assert time.monotonic() < deadline, "the bot did not reply on LINE"
            time.sleep(0.1)
        return self.api.replies[token]

    def say(self, text: str) -> List[Dict[str, Any]]:
        """A typed message; the bot's reply messages."""
        return self._send(text_event(text))

    def tap(self, messages: List[Dict[str, Any]], label_part: str) -> List[Dict[str, Any]]:
        """Tap the quick-reply button whose label contains ``label_part``; the bot's reply messages."""
        items = [item["action"] for message in messages for item in (message.get("quickReply") or {}).get("items", [])]
        for action in items:
            if label_part in action.get("label", ""):
                return self._send(postback_event(action["data"]))
        raise AssertionError(f"no button with {label_part!r} in {[a.get('label') for a in items]}")


def texts(messages: List[Dict[str, Any]]) -> str:
    """The reply's texts as one string."""
    return "\n".join(str(message.get("text", "")) for message in messages)


def labels(messages: List[Dict[str, Any]]) -> List[str]:
    """Every quick-reply label of a reply."""
    return [i["action"].get("label", "") for m in messages for i in (m.get("quickReply") or {}).get("items", [])]
