"""The staff console in make run-scaled's layout: the residents of tests/e2e/staff.py through the gateway (web and
LINE), two Rasa replicas writing to PostgreSQL, and the same figures, texts and ratings in the console as with make run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import pytest

from testkit.redis_server import RedisServer
from tests.e2e.line import FakeLineApi
from tests.e2e.staff import Played, check_console, check_feedback, play, play_feedback
from tests.scaled.services import PostgresCluster
from tests.scaled.stack import LINE_SECRETS, STAFF_TOKEN, ScaledStack, started


@pytest.fixture(scope="module")
def layout(
    pg: PostgresCluster,
    redis_server: RedisServer,
    model_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    line_api: FakeLineApi,
) -> Iterator[ScaledStack]:
    """The scaled layout (2 Rasa replicas, 2 action servers, gateway, console) with LINE pointed at the stand-in."""
    with started(
        pg, redis_server, model_path, tmp_path_factory.mktemp("console-scaled"), LINE_API_BASE=line_api.url
    ) as running:
        yield running


@pytest.fixture(scope="module")
def played(layout: ScaledStack, line_api: FakeLineApi) -> Played:
    """The residents of tests/e2e/staff.py, once for the module."""
    return play(layout.gateway_url, LINE_SECRETS["LINE_CHANNEL_SECRET"], line_api)


def senders(layout: ScaledStack) -> List[str]:
    """Every conversation id in the shared tracker database (none may appear in the console)."""
    connection = layout.pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT sender_id FROM events")
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


def test_the_console_shows_what_residents_did(layout: ScaledStack, played: Played) -> None:
    assert f"  Staff console: {layout.console_url}/staff/   token: $STAFF_TOKEN" in layout.stderr_text()
    check_console(layout.console_url, STAFF_TOKEN, played, senders(layout))


def test_feedback_ratings_reach_the_console(layout: ScaledStack, played: Played) -> None:
    """Residents tap 👍/👎 (and a 👎 reason) on the web and on LINE; the console counts them over PostgreSQL."""
    play_feedback(played, layout.gateway_url)
    check_feedback(layout.console_url, STAFF_TOKEN)
