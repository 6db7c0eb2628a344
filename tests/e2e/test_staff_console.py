"""The staff console in make run's layout: residents on the web and on LINE through the real gateway, Rasa and
action server (SQLite tracker store), then the figures, unanswered texts and ratings in the console's API and page.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path
from typing import Iterator, List

import pytest

from tests.e2e.line import FakeLineApi
from tests.e2e.stack import Stack
from tests.e2e.staff import Played, check_console, check_feedback, play, play_feedback

LINE_SECRET = secrets.token_hex(16)


@pytest.fixture(scope="module")
def layout(model_path: Path, tmp_path_factory: pytest.TempPathFactory, line_api: FakeLineApi) -> Iterator[Stack]:
    """make run's processes (action server, Rasa, gateway with LINE, staff console) on a fresh tracker database."""
    extra = {"PINBOT_NOW": "2026-11-24T10:00:00+09:00", "DEFAULT_MUNICIPALITY": "", "LINE_API_BASE": line_api.url}
    extra.update(LINE_CHANNEL_SECRET=LINE_SECRET, LINE_CHANNEL_ACCESS_TOKEN=secrets.token_hex(16))
    running = Stack(model=model_path, state_dir=tmp_path_factory.mktemp("console-stack"), env_extra=extra)
    try:
        running.start_actions()
        running.start_rasa()
        running.start_gateway()
        running.start_console()
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def played(layout: Stack, line_api: FakeLineApi) -> Played:
    """The residents of tests/e2e/staff.py, once for the module."""
    return play(layout.gateway_url, LINE_SECRET, line_api)


def senders(layout: Stack) -> List[str]:
    """Every conversation id in the tracker database (none may appear in the console)."""
    with sqlite3.connect(layout.tracker_db) as connection:
        return [row[0] for row in connection.execute("SELECT DISTINCT sender_id FROM events")]


def test_the_console_shows_what_residents_did(layout: Stack, played: Played) -> None:
    check_console(layout.console_url, layout.staff_token, played, senders(layout))


def test_feedback_ratings_reach_the_console(layout: Stack, played: Played) -> None:
    """Residents tap 👍/👎 (and a 👎 reason) on the web and on LINE; the console counts them by answer."""
    play_feedback(played, layout.gateway_url)
    check_feedback(layout.console_url, layout.staff_token)
