"""Shared fixtures: fake Rasa, fake LINE API, a test knowledge base and gateways on free 127.0.0.1 ports."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.settings import Settings
from testkit.redis_server import RedisServer
from tests.gateway.fakes.fake_line import FakeLine, create_fake_line
from tests.gateway.fakes.fake_rasa import FAKE_RASA_TOKEN, FakeRasa, create_fake_rasa
from tests.gateway.fakes.servers import ServerThread

LINE_SECRET = "test-channel-secret"
TEST_TIMEOUT_SECONDS = 120
LINE_TOKEN = "test-channel-access-token"

KB_FILES = {
    "mitaka.yml": """
id: mitaka
name: 三鷹市
aliases: [三鷹市, 三鷹, みたか]
contact:
  department: 市民部 市民課 届出・証明係
  phones:
    - number: 0422-29-9191
      label: 市民課 届出・証明係
  hours: 平日8時30分～17時15分
  source: mitaka
""",
    "chiba.yml": """
id: chiba
name: 千葉市
aliases: [千葉市, 千葉]
contact:
  department: 市民自治推進部 区政推進課
  phones:
    - number: 043-245-5134
  source: chiba
""",
    "tajimi.yml": """
id: tajimi
name: 多治見市
contact:
  department: 市民課
  phones: []
""",
    # ryugasaki.yml deliberately missing: the city does not exist for the gateway (one file, one city).
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Bound every test (pytest-timeout) so a hung server can never stall CI."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_SECONDS))


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A knowledge directory with three of the four municipality files (one of them without a phone)."""
    root = tmp_path / "knowledge"
    (root / "municipalities").mkdir(parents=True)
    for name, text in KB_FILES.items():
        (root / "municipalities" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def _fake_rasa_server() -> Iterator[tuple[FakeRasa, ServerThread]]:
    state = FakeRasa()
    server = ServerThread(create_fake_rasa(state)).start()
    yield state, server
    server.stop()


@pytest.fixture(scope="session")
def _fake_line_server() -> Iterator[tuple[FakeLine, ServerThread]]:
    state = FakeLine(access_token=LINE_TOKEN)
    server = ServerThread(create_fake_line(state)).start()
    yield state, server
    server.stop()


@pytest.fixture
def fake_rasa(_fake_rasa_server: tuple[FakeRasa, ServerThread]) -> tuple[FakeRasa, ServerThread]:
    """A running scripted Rasa with fresh state (one server for the session: starting one per test is slow)."""
    state, server = _fake_rasa_server
    state.reset()
    if not server.running:  # a fault test that failed half-way may have left it stopped
        server.start()
    return state, server


@pytest.fixture
def fake_line(_fake_line_server: tuple[FakeLine, ServerThread]) -> tuple[FakeLine, ServerThread]:
    """A running fake LINE Messaging API with fresh state."""
    state, server = _fake_line_server
    state.reset()
    return state, server


@dataclasses.dataclass
class Gateway:
    """A running gateway and the settings it was started with."""

    settings: Settings
    server: ServerThread

    @property
    def url(self) -> str:
        """Base URL."""
        return self.server.url


@pytest.fixture
def base_settings(
    tmp_path: Path, kb_dir: Path, fake_rasa: tuple[FakeRasa, ServerThread], fake_line: tuple[FakeLine, ServerThread]
) -> Settings:
    """Settings pointing at the fakes, with a temporary database."""
    return Settings(
        host="127.0.0.1",
        port=0,
        rasa_url=fake_rasa[1].url,
        rasa_timeout_seconds=1.5,
        rasa_auth_token=FAKE_RASA_TOKEN,
        gateway_secret=b"test-gateway-secret-of-32-bytes!!",
        db_path=str(tmp_path / "var" / "gateway.sqlite3"),
        knowledge_dir=kb_dir,
        line_channel_secret=LINE_SECRET,
        line_channel_access_token=LINE_TOKEN,
        line_api_base=fake_line[1].url,
        line_loading_after_seconds=0.3,
    )


@pytest.fixture
def start_gateway(base_settings: Settings) -> Iterator[Callable[..., Gateway]]:
    """Factory: start a gateway with some settings overridden; all are stopped at teardown."""
    started: list[ServerThread] = []

    def start(**overrides: Any) -> Gateway:
        """Start one gateway with overridden settings (their names are checked)."""
        assert set(overrides) <= set(Settings.model_fields), set(overrides) - set(Settings.model_fields)
        settings = base_settings.model_copy(update=overrides)
        server = ServerThread(create_app(settings)).start()
        started.append(server)
        return Gateway(settings, server)

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    """A gateway with default test settings."""
    return start_gateway()


def wait_for_health(url: str, status: int, within: float = 3.0) -> httpx.Response:
    """Poll ``/healthz`` until it answers ``status`` (its answer is cached for a second, gateway/rasa.py)."""
    deadline = time.monotonic() + within
    while True:
        response = httpx.get(f"{url}/healthz")
        if response.status_code == status or time.monotonic() > deadline:
            assert response.status_code == status, response.text
            return response
        time.sleep(0.1)


@pytest.fixture(scope="session")
def _redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(_redis_server: RedisServer) -> RedisServer:
    """A private redis-server for the session (restarted if a fault test left it stopped)."""
    if not _redis_server.running:
        _redis_server.start()
    return _redis_server


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own, so tests sharing the Redis server never see each other's keys."""
    return f"test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture(params=["sqlite", "redis"])
def state_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each state backend (the same tests run against both)."""
    if request.param == "sqlite":
        return Settings(db_path=str(tmp_path / "state.sqlite3"))
    server: RedisServer = request.getfixturevalue("redis_server")
    prefix: str = request.getfixturevalue("redis_prefix")
    return Settings(gateway_state="redis", redis_url=server.url, redis_key_prefix=prefix)
