"""launch.state_env: runtime state folders are 0700, files 0600, and Rasa's API token is generated there."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The launcher sets the process's umask: run it in a child, as make run does, and report what it made.
SHOW = (
    "import os, sys; from pathlib import Path; from launch import state_env; env = state_env(dict(os.environ)); "
    "mask = os.umask(0); Path(env['STATE_DIR'], 'new.file').touch(mode=0o666 & ~mask); "
    "print(f'{mask:04o}', env['RASA_AUTH_TOKEN'])"
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def show(env: dict[str, str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", SHOW], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    return result.stdout.split()


def test_stack_env_makes_state_private_and_creates_the_token(tmp_path: Path) -> None:
    state = tmp_path / "var"
    (state / "log").mkdir(parents=True)
    os.chmod(state, 0o755)
    leftover = state / "tracker.db"
    leftover.write_text("")
    os.chmod(leftover, 0o644)
    env = {k: v for k, v in os.environ.items() if k not in {"RASA_AUTH_TOKEN", "GATEWAY_SECRET", "STAFF_TOKEN"}}
    env["STATE_DIR"] = str(state)
    env["PYTHONPATH"] = str(REPO)
    umask_line, token = show(env)
    assert umask_line == "0077"
    assert mode(state) == 0o700 and mode(state / "log") == 0o700
    assert mode(leftover) == 0o600 and mode(state / "new.file") == 0o600
    assert mode(state / "rasa.token") == 0o600 and mode(state / "gateway.secret") == 0o600
    assert mode(state / "staff.token") == 0o600 and len((state / "staff.token").read_text()) == 64, "the staff's login"
    assert token == (state / "rasa.token").read_text() and len(token) == 64
    assert show(env)[1] == token, "the token is kept across runs"


def test_a_token_from_the_environment_wins(tmp_path: Path) -> None:
    env = dict(os.environ, STATE_DIR=str(tmp_path / "var"), RASA_AUTH_TOKEN="z" * 40, PYTHONPATH=str(REPO))
    assert show(dict(env, STAFF_TOKEN="s" * 40))[1] == "z" * 40
    assert not (tmp_path / "var" / "rasa.token").exists() and not (tmp_path / "var" / "staff.token").exists()
