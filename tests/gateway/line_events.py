"""Builders for LINE webhook bodies (shapes as in the Messaging API reference) and their signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

USER_ID = "U" + "4af4980629" * 3 + "ab"
OTHER_USER_ID = "U" + "1234567890" * 3 + "cd"
GROUP_ID = "C" + "a1b2c3d4e5" * 3 + "ef"
BOT_DESTINATION = "U" + "0" * 32


def _base(
    event_type: str, source: dict[str, Any] | None = None, redelivery: bool = False, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "type": event_type,
        "mode": "active",
        "timestamp": 1700000000000,
        "source": source or {"type": "user", "userId": USER_ID},
        "webhookEventId": event_id or uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": redelivery},
    }


def text_event(text: str, reply_token: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """A text message event."""
    event = _base("message", **kwargs)
    event["replyToken"] = reply_token or uuid.uuid4().hex
    event["message"] = {"id": "468789577898262530", "type": "text", "quoteToken": "q" * 20, "text": text}
    return event


def group_text_event(text: str, mention_self_at: tuple[int, int] | None = None, **kwargs: Any) -> dict[str, Any]:
    """A text message in a group, optionally mentioning the bot at (index, length)."""
    event = text_event(text, source={"type": "group", "groupId": GROUP_ID, "userId": OTHER_USER_ID}, **kwargs)
    if mention_self_at:
        index, length = mention_self_at
        event["message"]["mention"] = {
            "mentionees": [
                {"index": index, "length": length, "type": "user", "userId": BOT_DESTINATION, "isSelf": True}
            ]
        }
    return event


def postback_event(data: str, reply_token: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """A postback event (quick reply or rich menu tap)."""
    event = _base("postback", **kwargs)
    event["replyToken"] = reply_token or uuid.uuid4().hex
    event["postback"] = {"data": data}
    return event


def follow_event(**kwargs: Any) -> dict[str, Any]:
    """The user added the account as a friend."""
    event = _base("follow", **kwargs)
    event["replyToken"] = uuid.uuid4().hex
    event["follow"] = {"isUnblocked": False}
    return event


def unfollow_event(**kwargs: Any) -> dict[str, Any]:
    """The user blocked the account (no reply token)."""
    return _base("unfollow", **kwargs)


def join_event(**kwargs: Any) -> dict[str, Any]:
    """The account was added to a group."""
    event = _base("join", source={"type": "group", "groupId": GROUP_ID}, **kwargs)
    event["replyToken"] = uuid.uuid4().hex
    return event


def media_event(kind: str, **kwargs: Any) -> dict[str, Any]:
    """A sticker / image / video / audio / file / location message."""
    event = _base("message", **kwargs)
    event["replyToken"] = uuid.uuid4().hex
    message: dict[str, Any] = {"id": "468789577898262531", "type": kind}
    if kind == "sticker":
        message.update(
            {"packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC", "quoteToken": "q" * 20}
        )
    elif kind in {"image", "video", "audio"}:
        message["contentProvider"] = {"type": "line"}
        if kind != "audio":
            message["quoteToken"] = "q" * 20
    elif kind == "file":
        message.update({"fileName": "card.jpg", "fileSize": 2138})
    elif kind == "location":
        message.update({"latitude": 35.68, "longitude": 139.56, "address": "東京都三鷹市"})
    event["message"] = message
    return event


def unknown_event(**kwargs: Any) -> dict[str, Any]:
    """An event type this gateway has never heard of."""
    event = _base("futureFeature", **kwargs)
    event["futureFeature"] = {"anything": True}
    return event


def body(*events: dict[str, Any]) -> bytes:
    """A webhook body as LINE sends it."""
    return json.dumps({"destination": BOT_DESTINATION, "events": list(events)}, ensure_ascii=False).encode()


def compute_signature(channel_secret: str, raw: bytes) -> str:
    """The ``X-Line-Signature`` LINE sends: base64 HMAC-SHA256 of the raw body under the channel secret."""
    return base64.b64encode(hmac.new(channel_secret.encode("utf-8"), raw, hashlib.sha256).digest()).decode("ascii")


def signed_headers(secret: str, raw: bytes) -> dict[str, str]:
    """Headers with a valid X-Line-Signature for ``raw``."""
    return {"content-type": "application/json; charset=utf-8", "x-line-signature": compute_signature(secret, raw)}
