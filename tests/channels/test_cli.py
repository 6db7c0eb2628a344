"""channels.cli: Rasa's API is served only with a token, and the token never goes on the command line."""

from __future__ import annotations

import pytest

from channels.cli import with_auth_token

TOKEN = "t" * 40
SERVE = ["run", "--model", "models/pinbot.tar.gz", "--enable-api", "-p", "5005"]


def test_the_token_is_added_from_the_environment() -> None:
    assert with_auth_token(SERVE, {"RASA_AUTH_TOKEN": TOKEN}) == SERVE + ["--auth-token", TOKEN]


@pytest.mark.parametrize("token", ["", "short-token"])
def test_the_api_is_never_served_without_a_real_token(token: str) -> None:
    with pytest.raises(SystemExit):
        with_auth_token(SERVE, {"RASA_AUTH_TOKEN": token})


def test_a_token_on_the_command_line_is_refused() -> None:
    with pytest.raises(SystemExit):
        with_auth_token(SERVE + ["--auth-token", TOKEN], {"RASA_AUTH_TOKEN": TOKEN})


def test_other_commands_pass_unchanged() -> None:
    assert with_auth_token(["run", "actions", "--port", "5055"], {}) == ["run", "actions", "--port", "5055"]
    assert with_auth_token(["shell", "--model", "m.tar.gz"], {"RASA_AUTH_TOKEN": TOKEN}) == [
        "shell",
        "--model",
        "m.tar.gz",
    ]
