"""scripts/stack_env.sh: runtime state folders are 0700, files 0600, and Rasa's API token is generated there."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stack_env_makes_state_private_and_creates_the_token(tmp_path: Path) -> None:
    state = tmp_path / "var"
    (state / "log").mkdir(parents=True)
    os.chmod(state, 0o755)
    leftover = state / "tracker.db"
    leftover.write_text("")
    os.chmod(leftover, 0o644)
    env = {k: v for k, v in os.environ.items() if k not in {"RASA_AUTH_TOKEN", "GATEWAY_SECRET"}}
    env["STATE_DIR"] = str(state)
    script = 'source scripts/stack_env.sh && umask && touch "$STATE_DIR/new.file" && echo "$RASA_AUTH_TOKEN"'
    result = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    umask_line, token = result.stdout.split()
    assert umask_line == "0077"
    assert mode(state) == 0o700 and mode(state / "log") == 0o700
    assert mode(leftover) == 0o600 and mode(state / "new.file") == 0o600
    assert mode(state / "rasa.token") == 0o600 and mode(state / "gateway.secret") == 0o600
    assert token == (state / "rasa.token").read_text() and len(token) == 64
    again = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    assert again.stdout.split()[1] == token, "the token is kept across runs"


def test_a_token_from_the_environment_wins(tmp_path: Path) -> None:
    env = dict(os.environ, STATE_DIR=str(tmp_path / "var"), RASA_AUTH_TOKEN="z" * 40)
    result = subprocess.run(
        ["bash", "-c", 'source scripts/stack_env.sh && echo "$RASA_AUTH_TOKEN"'],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert result.stdout.strip() == "z" * 40
    assert not (tmp_path / "var" / "rasa.token").exists()
