"""Server-side identifiers: unguessable web session ids and keyed pseudonyms for LINE ids and logs."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# 32 random bytes, URL-safe base64 without padding: what secrets.token_urlsafe(32) returns.
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_session_id() -> str:
    """A fresh bearer token naming one web chat session."""
    return secrets.token_urlsafe(32)


def looks_like_session_id(value: object) -> bool:
    """Cheap shape check so junk never reaches the database."""
    return isinstance(value, str) and bool(_SESSION_ID.match(value))


def new_conversation_id(channel: str) -> str:
    """A random Rasa sender id, unrelated to the session token so Rasa's tracker store never holds a bearer token."""
    return f"{channel}-{secrets.token_hex(16)}"


def pseudonym(secret: bytes, kind: str, raw_id: str) -> str:
    """A stable keyed pseudonym of an external id (e.g. a LINE user id) that cannot be reversed without the secret."""
    digest = hmac.new(secret, f"{kind}:{raw_id}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}-{digest[:40]}"


def log_id(secret: bytes, value: str) -> str:
    """A short keyed hash for correlating log lines without writing the identifier itself."""
    return hmac.new(secret, f"log:{value}".encode(), hashlib.sha256).hexdigest()[:12]
