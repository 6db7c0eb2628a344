"""``python -m channels.cli run ...``: Rasa's command line, with ``--auth-token`` taken from RASA_AUTH_TOKEN.

The token is added in memory, so it never shows in the process list (``ps`` shows the command line), and a server
with the HTTP API enabled refuses to start without one: Rasa's API must never be open, even on 127.0.0.1. The
patches of Rasa internals (channels.rasa_patches) are installed first.
"""

from __future__ import annotations

import os
import sys

from channels.redacting_rest import AUTH_TOKEN_ENV


def with_auth_token(argv: list[str], env: dict[str, str]) -> list[str]:
    """``argv`` plus ``--auth-token``; raises SystemExit when ``run --enable-api`` has no token to use."""
    if "--auth-token" in argv or any(a.startswith("--auth-token=") for a in argv):
        raise SystemExit(f"pass the token in {AUTH_TOKEN_ENV}, not on the command line (it would show in ps)")
    token = env.get(AUTH_TOKEN_ENV, "").strip()
    serving_api = bool(argv) and argv[0] == "run" and "--enable-api" in argv
    if serving_api and len(token) < 32:
        raise SystemExit(f"{AUTH_TOKEN_ENV} must hold at least 32 characters when Rasa's HTTP API is enabled")
    return argv + ["--auth-token", token] if serving_api else argv


def main() -> None:
    """Run Rasa's CLI with the token added and the patches of channels.rasa_patches installed."""
    from rasa.__main__ import main as rasa_main

    from channels import rasa_patches

    rasa_patches.install()
    sys.argv = [sys.argv[0]] + with_auth_token(sys.argv[1:], dict(os.environ))
    rasa_main()


if __name__ == "__main__":
    main()
