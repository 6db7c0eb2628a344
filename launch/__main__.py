"""``python -m launch run|scaled|shell``: what make run, make run-scaled (README) and make shell start.

Prints ``READY <gateway url>`` once every process answers; SIGTERM, Ctrl-C or any exit stops them all.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

from launch import RASA, RASA_PY, REPO, Failed, Stack, local, port_open, start, state_env
from launch.roles import environment
from launch.services import redis_parts

# Every ${VAR} of endpoints.scaled.yml needs a value (Rasa refuses an unset one). A ticket of Rasa's lock store that
# a replica killed mid-turn leaves behind blocks its conversation for TICKET_LOCK_LIFETIME s (Rasa's default: 60).
SCALED = dict(
    pair.split("=", 1)
    for pair in "RASA_REPLICAS=2 ACTION_REPLICAS=2 PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres PGPASSWORD= "
    "PG_DATABASE=pinbot PG_LOGIN_DB=postgres REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX_RASA=pinbot "
    "GATEWAY_STATE=redis TICKET_LOCK_LIFETIME=10".split()
)
NUMBERS = tuple(
    "RASA_REPLICAS ACTION_REPLICAS RASA_PORT ACTION_PORT GATEWAY_PORT STAFF_PORT START_TIMEOUT_SECONDS".split()
)


def check(env: dict[str, str], scaled: bool) -> tuple[int, int]:
    """Numbers, free ports, and (scaled) PostgreSQL and Redis; the replica counts. Raises Failed with an exit code."""
    for name in NUMBERS:
        if not re.fullmatch(r"[1-9][0-9]*", env.get(name, "1")):
            raise Failed(f"{name} must be a positive integer, got '{env[name]}'", 2)
    rasa, actions = (int(env["RASA_REPLICAS"]), int(env["ACTION_REPLICAS"])) if scaled else (1, 1)
    # REDIS_URL is the one Redis setting: the gateway reads it, the lock store gets its parts (a ServiceError).
    env.update(redis_parts(env["REDIS_URL"]) if scaled else {})
    # A port already taken would make a readiness check answer for someone else's server.
    ports = [int(env["RASA_PORT"]) + i for i in range(rasa)] + [int(env["ACTION_PORT"]) + j for j in range(actions)]
    for port in [port for port in [*ports, int(env["GATEWAY_PORT"]), int(env["STAFF_PORT"])] if port_open(port)]:
        raise Failed(
            f"port {port} is in use; stop what listens there or set RASA_PORT, ACTION_PORT, GATEWAY_PORT or STAFF_PORT",
            2,
        )
    # PostgreSQL and Redis must answer (exit 3 / 4), then the tracker store is created once, before any replica.
    quiet = {**env, "PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    code = subprocess.call([RASA_PY, "-m", "launch.services"], env=environment("services", quiet)) if scaled else 0
    if code:
        raise Failed("PostgreSQL or Redis cannot be used (see above)", code)
    return rasa, actions


def serve(stack: Stack, scaled: bool) -> int:
    """Start, wait, print READY, then supervise until a signal or until no Rasa server or no gateway is left.

    In the scaled layout a dead staff console, like a dead replica, is reported and residents keep being served.
    """
    env, log, prog = stack.env, f"{stack.env['STATE_DIR']}/log/", "run-scaled" if scaled else "run"
    rasa, actions = check(env, scaled)
    print(f"Starting {rasa} Rasa, {actions} action server(s), gateway and console (logs: {log})...", file=sys.stderr)
    if not stack.wait(start(stack, rasa, actions, True, scaled, console=True), float(env["START_TIMEOUT_SECONDS"])):
        raise Failed(f"not ready after {env['START_TIMEOUT_SECONDS']}s (START_TIMEOUT_SECONDS); see {log}", 1)
    print(f"  Demo page (web chat widget): http://localhost:{env['GATEWAY_PORT']}/   Ctrl-C stops it.", file=sys.stderr)
    token = "$STAFF_TOKEN" if os.environ.get("STAFF_TOKEN") else f"{env['STATE_DIR']}/staff.token"
    print(f"  Staff console: {local(env['STAFF_HOST'], env['STAFF_PORT'])}/staff/   token: {token}", file=sys.stderr)
    print(f"READY {local(env['GATEWAY_HOST'], env['GATEWAY_PORT'])}", flush=True)
    # A replica that dies is reported and the others keep serving (the gateway routes around it).
    while True:
        time.sleep(1)
        for name in [name for name, proc in stack.procs.items() if proc.poll() is not None]:
            code, (kind, _, i) = stack.procs.pop(name).returncode, name.partition("-")
            port = int(env["RASA_PORT" if kind == "rasa" else "ACTION_PORT"]) + int(i or 0)
            label = f"{'Rasa replica' if kind == 'rasa' else 'action server'} {i} (127.0.0.1:{port})" if i else name
            print(f"{prog}: {label} exited (status {code if code >= 0 else 128 - code}); see {log}", file=sys.stderr)
            if not scaled or name == "gateway" or not any(other.startswith("rasa") for other in stack.procs):
                return 1


def main(mode: str) -> int:
    """Run ``mode`` (run, scaled or shell); its exit code (130 after Ctrl-C, 143 after SIGTERM)."""
    if mode not in ("run", "scaled", "shell"):
        print(__doc__, file=sys.stderr)
        return 2
    os.chdir(REPO)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = Stack(state_env({**(SCALED if mode == "scaled" else {}), **os.environ}))
    try:
        if mode != "shell":
            return serve(stack, mode == "scaled")
        stack.wait(start(stack, 0, 1, False), 300)
        shell = [RASA, "shell", "--model", stack.env["RASA_MODEL"], "--endpoints", stack.env["ENDPOINTS"]]
        return subprocess.call(shell + ["--logging-config-file", "logging.yml"], env=environment("rasa", stack.env))
    except Failed as exc:
        print(f"{'run-scaled' if mode == 'scaled' else mode}: {exc.args[0]}", file=sys.stderr)
        return int(exc.args[1]) if len(exc.args) > 1 else 1
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the stop short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) == 2 else ""))
