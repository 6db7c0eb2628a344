"""A scripted stand-in for Rasa's REST channel and ``/status`` with failure modes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.line.convert import main_choices
from privacy.commands import payload_key

CITY_NAMES = {"mitaka": "三鷹市", "chiba": "千葉市", "tajimi": "多治見市", "ryugasaki": "龍ケ崎市"}
APPLICANT_BUTTONS = [
    {"title": "本人", "payload": '/inform{"applicant_type":"self"}'},
    {"title": "法定代理人", "payload": '/inform{"applicant_type":"legal_representative"}'},
    {"title": "任意代理人", "payload": '/inform{"applicant_type":"voluntary_proxy"}'},
]
LONG_PAYLOAD = "/inform" + '{"note":"' + "x" * 400 + '"}'
FAKE_RASA_TOKEN = "test-rasa-token-" + "x" * 32
XSS_REPLY = "[ここをクリック](javascript:alert(1)) javascript:alert(2) [公式サイト](https://www.example.jp/mynumber)"


@dataclass
class FakeRasa:
    """Scripted replies; ``mode`` switches to error / slow / empty / garbage / images behaviour."""

    mode: str = "normal"
    model_loaded: bool = True
    slow_seconds: float = 5.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    municipality: dict[str, str] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    # Turns of one sender being processed at once: Rasa must only ever see one (turn ordering).
    running: dict[str, int] = field(default_factory=dict)
    max_running_per_sender: int = 0
    # Calls of /status (the gateway's health checks).
    status_calls: int = 0
    # For each deletion, how many turns of that sender were running at that moment (a turn finishing after it
    # would write the conversation back into the tracker).
    running_at_delete: list[int] = field(default_factory=list)
    # What the real REST channel decides from the tracker: buttons offered per sender (the main menu always counts),
    # and the tapped buttons it refused (no turn ran: they are not in ``requests``).
    offered: dict[str, set[str]] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        """Back to a fresh fake (the server is shared between tests)."""
        self.mode, self.model_loaded, self.slow_seconds = "normal", True, 5.0
        self.running.clear()
        self.max_running_per_sender = 0
        self.status_calls = 0
        self.running_at_delete.clear()
        self.offered.clear()
        self.rejected.clear()
        self.requests.clear()
        self.municipality.clear()
        self.deleted.clear()

    def messages_for(self, sender: str) -> list[str]:
        """Every message text/payload received from one sender, in order."""
        return [r["message"] for r in self.requests if r.get("sender") == sender]

    def reply(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The scripted answer for one request body."""
        sender = body.get("sender", "")
        message = str(body.get("message", ""))
        metadata = body.get("metadata") or {}
        if metadata.get("municipality"):
            self.municipality.setdefault(sender, metadata["municipality"])

        def out(text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, Any]:
            """One bot message in Rasa's REST shape."""
            item: dict[str, Any] = {"recipient_id": sender, "text": text}
            if buttons:
                item["buttons"] = buttons
            return item

        if message.startswith("/inform"):
            slots = json.loads(message[len("/inform") :] or "{}")
            if "municipality" in slots:
                self.municipality[sender] = slots["municipality"]
            city = self.municipality.get(sender)
            if city is None:
                buttons = [
                    {"title": name, "payload": json.dumps({"municipality": mid}, separators=(",", ":"))}
                    for mid, name in CITY_NAMES.items()
                ]
                for b in buttons:
                    b["payload"] = "/inform" + b["payload"]
                return [out("お住まいの市を選んでください。", buttons)]
            return [
                out(
                    f"【{CITY_NAMES[city]}】暗証番号の再設定に必要なもの（チェックリスト）\n"
                    "・マイナンバーカード\n・本人確認書類（運転免許証など）\n"
                    "詳しくは https://www.example.jp/mynumber をご覧ください。お問い合わせ 0422-29-9191"
                ),
                {"recipient_id": sender, "image": "https://www.example.jp/map.png"},
            ]
        if message in {"/forgot_pin", "/pin_locked"} or "忘れ" in message:
            return [out("暗証番号の再設定ですね。手続きをするのはどなたですか？", APPLICANT_BUTTONS)]
        if "変更" in message:
            return [out("どの暗証番号ですか。署名用（英数字6〜16文字）と利用者証明用（数字4桁）があります。")]
        if "<" in message or "javascript" in message:
            return [out(f"入力: {message}"), out(XSS_REPLY)]
        if "たくさん" in message:
            many = [out(f"ご案内 {i}: " + "あ" * 50) for i in range(8)]
            many.append(out("い" * 6000))
            many[-1]["buttons"] = [{"title": "長い", "payload": LONG_PAYLOAD}] + [
                {"title": f"とても長い選択肢のタイトルその{i}です（詳細）", "payload": f'/choose{{"n":{i}}}'}
                for i in range(15)
            ]
            return many
        return [out(f"「{message}」についてのご質問ですね。")]


def create_fake_rasa(state: FakeRasa) -> Starlette:
    """The fake's ASGI app, reading and writing ``state``."""

    async def webhook(request: Request) -> Response:
        """The REST channel endpoint; a tapped button the bot did not offer gets the channel's rejection alone."""
        body = await request.json()
        sender = str(body.get("sender", ""))
        if (body.get("metadata") or {}).get("button") is True:
            offered = state.offered.get(sender, set()) | {choice.payload for choice in main_choices()}
            payload = next((p for p in offered if body.get("message") in (p, payload_key(p))), None)
            if payload is None:
                state.rejected.append(body)
                return JSONResponse([{"recipient_id": sender, "custom": {"rejected": "payload_not_offered"}}])
            body["message"] = payload
        state.requests.append(body)
        state.running[sender] = state.running.get(sender, 0) + 1
        state.max_running_per_sender = max(state.max_running_per_sender, state.running[sender])
        try:
            return await answer(body)
        finally:
            state.running[sender] = state.running.get(sender, 1) - 1  # a reset may have cleared it meanwhile

    async def answer(body: dict[str, Any]) -> Response:
        """The scripted answer, in the current failure mode."""
        if state.mode == "error":
            return PlainTextResponse("boom", status_code=500)
        if state.mode == "slow":
            await asyncio.sleep(state.slow_seconds)
        if state.mode == "empty":
            return JSONResponse([])
        if state.mode == "garbage":
            return PlainTextResponse("not json", status_code=200)
        if state.mode == "images":
            return JSONResponse([{"recipient_id": body.get("sender"), "image": "https://www.example.jp/a.png"}])
        reply = state.reply(body)
        sender = str(body.get("sender", ""))
        state.offered.setdefault(sender, set()).update(b["payload"] for m in reply for b in m.get("buttons", []))
        return JSONResponse(reply)

    async def status(request: Request) -> Response:
        """Rasa's /status: like the real server started with --auth-token, it wants ?token=."""
        state.status_calls += 1
        if request.query_params.get("token") != FAKE_RASA_TOKEN:
            return JSONResponse({"status": "failure", "reason": "NotAuthenticated"}, status_code=401)
        if state.model_loaded:
            return JSONResponse(
                {"model_id": "fake-model", "model_file": "models/fake.tar.gz", "num_active_training_jobs": 0}
            )
        return JSONResponse({"model_id": None, "model_file": None, "num_active_training_jobs": 0})

    async def delete(request: Request) -> Response:
        """Our REST channel's DELETE /webhooks/rest/conversations/<id> (token-guarded)."""
        if request.query_params.get("token") != FAKE_RASA_TOKEN:
            return JSONResponse({"error": "not authorised"}, status_code=401)
        state.deleted.append(request.path_params["sender"])
        state.offered.pop(request.path_params["sender"], None)
        state.running_at_delete.append(state.running.get(request.path_params["sender"], 0))
        return JSONResponse({"deleted": 3})

    return Starlette(
        routes=[
            Route("/webhooks/rest/webhook", webhook, methods=["POST"]),
            Route("/webhooks/rest/conversations/{sender}", delete, methods=["DELETE"]),
            Route("/status", status),
        ]
    )
