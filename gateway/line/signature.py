"""``X-Line-Signature``: base64 HMAC-SHA256 of the raw body under the channel secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def compute_signature(channel_secret: str, body: bytes) -> str:
    """The signature LINE sends for ``body``."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Constant-time check of ``signature`` against the raw ``body``; a missing signature never verifies."""
    if not signature:
        return False
    expected = compute_signature(channel_secret, body).encode("ascii")
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))
