"""Which process gets which secret: ``python -m scripts.process_env ROLE COMMAND [ARG...]`` runs COMMAND with them.

The one table of the project's secrets and the processes that may hold them. Every launcher starts its servers
through it: scripts/stack_env.sh's ``as_role`` (run_all.sh, run_scaled.sh, with_stack.sh, run_shell.sh and every
log sink), tests/e2e/stack.py and the load test's stock bot. The command replaces this process (exec), so a script's
``$!`` is the server itself, and ``/proc/<pid>/environ`` of each server shows exactly what it was given.

Variables that are not secrets pass through unchanged (ports, URLs, RETENTION_DAYS...): a setting added to one
service needs no change here. Anything that looks like a credential but is not in the table (an operator's cloud
keys, a CI token, a URL with a password in it) reaches no process at all.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Optional

# What each kind of process is, for the usage message.
ROLES = {
    "rasa": "the Rasa server (rasa run, rasa shell)",
    "actions": "the action server (custom actions run here: no secret at all)",
    "gateway": "the public gateway (web chat, LINE)",
    "logsink": "privacy.logsink, copying a server's output into its log (no secret at all)",
    "services": "scripts.scaled_services (checks PostgreSQL and Redis, creates the store), the load test's clean-up",
    "stock": "the load test's stock `rasa init` bot (no secret at all)",
}

# Each secret and the roles that may hold it; every other role starts without it.
SECRETS: dict[str, frozenset[str]] = {
    # Rasa's HTTP API token: Rasa checks it; the gateway calls /status and deletes unfollowed LINE conversations.
    "RASA_AUTH_TOKEN": frozenset({"rasa", "gateway"}),
    "GATEWAY_SECRET": frozenset({"gateway"}),
    "STAFF_TOKEN": frozenset({"gateway"}),
    # The tracker store's login (endpoints.scaled.yml) and the start-up check that creates it.
    "PGPASSWORD": frozenset({"rasa", "services"}),
    # Rasa's lock store gets its Redis login as parts (REDIS_USERNAME is not secret); the gateway reads the URL. The
    # start-up check opens endpoints.scaled.yml as a replica does, which needs every ${VAR} in it.
    "REDIS_PASSWORD": frozenset({"rasa", "services"}),
    "REDIS_URL": frozenset({"gateway", "services"}),
    # Access to the operator's SSH keys: no server needs it.
    "SSH_AUTH_SOCK": frozenset(),
}
# Secrets by prefix: LINE's channel secret and access token (and any LINE_ setting: only the gateway talks to LINE).
SECRET_PREFIXES: dict[str, frozenset[str]] = {"LINE_": frozenset({"gateway"})}
# A name that says it holds a credential, and a value that carries one (scheme://user:password@host).
_CREDENTIAL_NAME = re.compile(
    r"(^|_)(SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|API_?KEY|ACCESS_KEY|PRIVATE_KEY)(_|$)", re.IGNORECASE
)
_CREDENTIAL_VALUE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)


def allowed_roles(name: str, value: str) -> Optional[frozenset[str]]:
    """The roles that may hold ``name``, or None when it is no secret (everyone gets it)."""
    if name in SECRETS:
        return SECRETS[name]
    for prefix, roles in SECRET_PREFIXES.items():
        if name.startswith(prefix):
            return roles
    if _CREDENTIAL_NAME.search(name) or _CREDENTIAL_VALUE.match(value):
        return frozenset()
    return None


def environment(role: str, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without the secrets ``role`` may not hold."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    kept = {}
    for name, value in env.items():
        roles = allowed_roles(name, value)
        if roles is None or role in roles:
            kept[name] = value
    return kept


def main(argv: list[str]) -> int:
    """Exec the command with the role's environment; 2 on a usage error."""
    args = argv[1:]
    if args[1:2] == ["--"]:
        args = args[:1] + args[2:]
    if len(args) < 2 or args[0] not in ROLES:
        roles = "\n".join(f"  {name:9} {what}" for name, what in ROLES.items())
        print(f"usage: python -m scripts.process_env ROLE COMMAND [ARG...]\nroles:\n{roles}", file=sys.stderr)
        return 2
    os.execvpe(args[1], args[1:], environment(args[0], os.environ))
    return 127  # not reached: execvpe replaces this process or raises


if __name__ == "__main__":
    sys.exit(main(sys.argv))
