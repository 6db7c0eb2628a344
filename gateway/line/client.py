"""The few Messaging API calls the gateway makes, through the official ``line-bot-sdk`` v3 async client."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable
from typing import Any

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging.exceptions import ApiException
from pydantic.v1 import ValidationError as SdkResponseInvalid

log = logging.getLogger(__name__)
REQUEST_TIMEOUT_SECONDS = 10.0


class LineApiError(Exception):
    """A Messaging API call failed (status None: LINE did not answer); it never carries user content."""

    def __init__(self, status: int | None, message: str) -> None:
        """LINE's status and own message; whether it refused the reply token (a push may still reach the user)."""
        super().__init__(f"LINE API {status}: {message}")
        # LINE answers 400 "Invalid reply token" for used, expired or unknown tokens.
        self.reply_token_rejected = status == 400 and "reply token" in message.lower()


async def _call(request: Awaitable[Any]) -> None:
    """Await an SDK call, turning every failure into LineApiError so callers handle one exception type."""
    try:
        await request
    except ApiException as exc:
        try:
            message = str(json.loads(exc.body or "{}").get("message", ""))
        except (TypeError, ValueError, AttributeError):  # not JSON, or not an object
            message = ""
        raise LineApiError(exc.status, message or str(exc.reason or "")) from None
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise LineApiError(None, type(exc).__name__) from None
    except SdkResponseInvalid:
        # The SDK reads the response body only after a 2xx: LINE accepted the call, e.g. a reply answered
        # without ``sentMessages``. The messages went out, so this is success, not a reason to drop the event.
        log.warning("LINE accepted a call but its answer did not match the SDK's response model")


class LineClient:
    """Reply, push and loading animation; ``api_base`` lets tests point the SDK at a local fake."""

    def __init__(self, access_token: str, api_base: str) -> None:
        """Build the SDK client (call from inside the running event loop: it opens an aiohttp session)."""
        self._api_client = AsyncApiClient(Configuration(host=api_base, access_token=access_token))
        self._api = AsyncMessagingApi(self._api_client)

    async def close(self) -> None:
        """Close the SDK's HTTP session."""
        await self._api_client.close()

    async def reply(self, reply_token: str, outgoing: list[TextMessage]) -> None:
        """One reply call with up to five messages."""
        request = ReplyMessageRequest(replyToken=reply_token, messages=list(outgoing))
        await _call(self._api.reply_message(request, _request_timeout=REQUEST_TIMEOUT_SECONDS))

    async def push(self, to: str, outgoing: list[TextMessage]) -> None:
        """A push (billed, so only as a fallback); the retry key makes a retried push deliver once."""
        request = PushMessageRequest(to=to, messages=list(outgoing))
        await _call(
            self._api.push_message(
                request, x_line_retry_key=str(uuid.uuid4()), _request_timeout=REQUEST_TIMEOUT_SECONDS
            )
        )

    async def show_loading(self, chat_id: str, seconds: int) -> None:
        """The typing-dots animation in a one-to-one chat; it disappears when our reply arrives."""
        request = ShowLoadingAnimationRequest(chatId=chat_id, loadingSeconds=seconds)
        await _call(self._api.show_loading_animation(request, _request_timeout=REQUEST_TIMEOUT_SECONDS))
