"""Which process may hold which secret: the one table; the launcher starts each process with ``environment(role)``.

What is not a secret reaches every role; what looks like a credential but is not in the table reaches none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Optional

ROLES = ("rasa", "actions", "gateway", "console", "logsink", "services", "stock")
SECRETS: dict[str, frozenset[str]] = {
    # Rasa's HTTP API token: Rasa checks it; the gateway calls /status and deletes unfollowed LINE conversations.
    "RASA_AUTH_TOKEN": frozenset({"rasa", "gateway"}),
    "GATEWAY_SECRET": frozenset({"gateway"}),
    "STAFF_TOKEN": frozenset({"console"}),  # the staff's login to the console
    # The tracker store's and the lock store's logins (endpoints.scaled.yml; the start-up check opens it too, and the
    # staff console reads it).
    "PGPASSWORD": frozenset({"rasa", "services", "console"}),
    "REDIS_PASSWORD": frozenset({"rasa", "services"}),
    "REDIS_URL": frozenset({"gateway", "services"}),  # the gateway reads the URL, the lock store its parts
    "SSH_AUTH_SOCK": frozenset(),  # the operator's SSH keys: no server needs them
}
PREFIXES = {"LINE_": frozenset({"gateway"})}  # only the gateway talks to LINE
_NAME = re.compile(
    r"(^|_)(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|API_?KEY|ACCESS_KEY|PRIVATE_KEY)(_|$)", re.I
)
_VALUE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.I)  # scheme://user:password@host


def allowed_roles(name: str, value: str) -> Optional[frozenset[str]]:
    """The roles that may hold ``name``, or None when it is no secret (every role gets it)."""
    prefixed = [roles for prefix, roles in PREFIXES.items() if name.startswith(prefix)]
    if name in SECRETS or prefixed:
        return SECRETS[name] if name in SECRETS else prefixed[0]
    return frozenset() if _NAME.search(name) or _VALUE.match(value) else None


def environment(role: str, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the secrets ``role`` may not hold."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    return {k: v for k, v in env.items() if (roles := allowed_roles(k, v)) is None or role in roles}
