"""``make line-richmenu`` against the validating fake LINE API."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

from gateway.line.richmenu import IMAGE_PATH, MENU_HEIGHT, MENU_WIDTH
from gateway.settings import REPO_ROOT
from tests.gateway.conftest import LINE_TOKEN
from tests.gateway.fakes.fake_line import FakeLine
from tests.gateway.fakes.servers import ServerThread


def run_cli(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the command exactly as ``make line-richmenu`` does (a module from the repo root, no PYTHONPATH needed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINE_") and k != "PYTHONPATH"}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "scripts.line_richmenu"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
    )


def test_bundled_image_fits_line_rules() -> None:
    """The shipped PNG has the menu's size and LINE's 1 MB limit."""
    data = IMAGE_PATH.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (MENU_WIDTH, MENU_HEIGHT)
    assert len(data) <= 1024 * 1024


def test_creates_the_menu_uploads_the_image_and_sets_default(fake_line: tuple[FakeLine, ServerThread]) -> None:
    """Create → upload image → set default, each call valid, with the four choices."""
    state, server = fake_line
    result = run_cli(
        {"LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN, "LINE_API_BASE": server.url, "LINE_API_DATA_BASE": server.url}
    )
    assert result.returncode == 0, result.stderr
    assert state.problems() == []
    assert [r.path.split("/")[-1] if "content" in r.path else r.path.rsplit("/", 1)[0] for r in state.requests] == [
        "/v2/bot",
        "content",
        "/v2/bot/user/all/richmenu",
    ]
    assert state.default_rich_menu is not None and state.default_rich_menu in result.stdout
    menu = state.rich_menus[state.default_rich_menu]["menu"]
    actions = [a["action"] for a in menu["areas"]]
    assert [a["label"] for a in actions] == ["暗証番号を忘れた", "ロックされた", "変更したい", "代理人の手続き"]
    assert [a["data"] for a in actions] == ["/forgot_pin", "/pin_locked", "/change_pin", "/proxy_help"]


def test_without_token_nothing_is_called(fake_line: tuple[FakeLine, ServerThread]) -> None:
    """No token: exit 2 with a clear message and no API call."""
    result = run_cli({"LINE_API_BASE": fake_line[1].url})
    assert result.returncode == 2
    assert "LINE_CHANNEL_ACCESS_TOKEN" in result.stderr
    assert fake_line[0].requests == []


def test_wrong_token_is_reported(fake_line: tuple[FakeLine, ServerThread]) -> None:
    """A 401 from LINE is reported and exits 1."""
    server = fake_line[1]
    result = run_cli(
        {"LINE_CHANNEL_ACCESS_TOKEN": "wrong", "LINE_API_BASE": server.url, "LINE_API_DATA_BASE": server.url}
    )
    assert result.returncode == 1
    assert "401" in result.stderr
