"""The staff console's HTTP surface (CONTRACT §8) as its own process over a seeded database.

Auth (Bearer, login form, cookie), the API's shapes and exact figures, the CSV, the page with residents' words as
text, and the headers that keep the page script-free.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from console.data import normalised, period, sources, tracker_engine
from kb.store import load_kb
from storage.stats import METRICS, day_of
from tests.console.conftest import ConsoleServer, start_console
from tests.console.seed import CHECKLIST, DAY, EARLIER, HOURS, HTML, REPO, SCRIPT, TODAY, WITH_PIN, WITH_PIN_SHOWN

API = (
    "/staff/api/summary",
    "/staff/api/unanswered",
    "/staff/api/sources",
    "/staff/api/ratings",
    "/staff/api/daily.csv",
)


def test_the_api_refuses_requests_without_the_token(console: ConsoleServer) -> None:
    for path in API:
        for token in (None, "x" * 40, console.token[:-1], f"{console.token} "):
            answer = console.get(path, token=token)
            assert answer.status == 401 and answer.json() == {"error": "unauthorized"}, (path, token)
            assert answer.headers["www-authenticate"] == "Bearer"
        assert console.get(path, token=None, cookie="staff_session=9999999999.forged").status == 401
        assert console.get(path).status == 200, path


def test_the_page_without_auth_is_the_login_form(console: ConsoleServer) -> None:
    answer = console.get("/staff/", token=None)
    assert answer.status == 200
    assert 'type="password"' in answer.text and 'action="/staff/login"' in answer.text
    assert "暗証番号を忘れた" not in answer.text and "会話" not in answer.text


def test_the_summary_has_the_contract_s_shape_and_the_exact_figures(console: ConsoleServer) -> None:
    body = console.get("/staff/api/summary?days=7").json()
    days = period(7, console.now)
    assert (body["from"], body["to"]) == (days[0].isoformat(), days[-1].isoformat())
    assert body["totals"] == {metric: TODAY[metric] + EARLIER[metric] for metric in METRICS}
    assert [row["date"] for row in body["by_day"]] == [d.isoformat() for d in days]
    expected = {day_of(console.now - 60): TODAY, day_of(console.now - 2 * DAY): EARLIER}
    for row in body["by_day"]:
        assert {k: v for k, v in row.items() if k != "date"} == expected.get(row["date"], dict.fromkeys(METRICS, 0))
    by_city = {city: {k: v for k, v in figures.items() if v} for city, figures in body["by_city"].items()}
    assert by_city == {
        "mitaka": {"conversations": 1, "checklists": 1, "not_helpful": 1},
        "chiba": {"conversations": 1, "answers": 1, "fallbacks": 2, "helpful": 1},
        "tajimi": {"conversations": 1, "handoffs": 1},
        "unknown": {"conversations": 1, "out_of_scope": 1},
    }
    assert {channel: f["conversations"] for channel, f in body["by_channel"].items()} == {"web": 2, "line": 2}
    today_only = console.get("/staff/api/summary?days=1").json()
    assert today_only["totals"] == TODAY and len(today_only["by_day"]) == 1


def test_unanswered_questions_are_redacted_grouped_and_newest_first(console: ConsoleServer) -> None:
    items = console.get("/staff/api/unanswered?days=7").json()["items"]
    assert [(i["text"], i["count"], i["city"], i["reason"]) for i in items] == [
        (WITH_PIN_SHOWN, 1, "chiba", "fallback"),
        (HTML, 1, "chiba", "fallback"),
        (SCRIPT, 1, None, "out_of_scope"),
        ("暗証番号を忘れた", 1, "mitaka", "not_helpful"),
        ("窓口の人と話したい", 1, "tajimi", "handoff"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00", item["last_seen"]) for item in items)
    assert WITH_PIN not in console.get("/staff/api/unanswered?days=7").text and "4917" not in str(items)
    assert [item["reason"] for item in console.get("/staff/api/unanswered?days=1").json()["items"]] == [
        "fallback",
        "fallback",
        "out_of_scope",
        "not_helpful",
    ]


def test_texts_are_grouped_by_their_normalised_form() -> None:
    assert normalised("暗証番号を　忘れた？") == normalised("暗証番号を  忘れた?") == "暗証番号を 忘れた"
    assert normalised("ＡＢＣ です。") == "abc です"


def test_ratings_by_answer(console: ConsoleServer) -> None:
    items = console.get("/staff/api/ratings?days=7").json()["items"]
    assert items == [
        {
            "answer": CHECKLIST,
            "delivered": 1,
            "helpful": 0,
            "not_helpful": 1,
            "reasons": {"missing_info": 1, "different_case": 0, "unclear": 0},
        },
        {
            "answer": HOURS,
            "delivered": 1,
            "helpful": 1,
            "not_helpful": 0,
            "reasons": {"missing_info": 0, "different_case": 0, "unclear": 0},
        },
    ]


def test_sources_have_their_age_review_flag_and_the_answers_citing_them(console: ConsoleServer) -> None:
    items = console.get("/staff/api/sources").json()["items"]
    kb = load_kb()
    assert len(items) == len(kb.sources)
    mitaka = next(item for item in items if item["city"] == "mitaka")
    assert set(mitaka) >= {"city", "title", "url", "updated", "age_days", "review_due"}
    assert mitaka["updated"] == "2025-04-30" and mitaka["title"] == kb.sources["mitaka"].title
    assert mitaka["age_days"] == (date.fromisoformat(period(1, console.now)[0].isoformat()) - date(2025, 4, 30)).days
    assert {"mitaka|pin_reset", "mitaka|offices", "mitaka|contact"} <= set(mitaka["cited_by"])
    undated = next(item for item in items if item["city"] == "ryugasaki")
    assert undated["updated"] is None and undated["age_days"] is None and undated["review_due"] is True
    assert [item["age_days"] for item in items if item["age_days"] is not None] == sorted(
        (item["age_days"] for item in items if item["age_days"] is not None), reverse=True
    )


def test_a_page_is_due_for_review_after_the_configured_age() -> None:
    kb = load_kb()
    updated = kb.sources["mitaka"].updated
    assert updated is not None
    fresh = date.fromordinal(updated.toordinal() + 180)
    due = date.fromordinal(updated.toordinal() + 181)
    assert next(i for i in sources(kb, fresh, 180) if i["city"] == "mitaka")["review_due"] is False
    assert next(i for i in sources(kb, due, 180) if i["city"] == "mitaka")["review_due"] is True
    assert next(i for i in sources(kb, due, 365) if i["city"] == "mitaka")["review_due"] is False
    everything = {answer for item in sources(kb, due, 180) for answer in item["cited_by"]}
    assert {f"{mid}|contact" for mid in kb.municipality_ids()} <= everything and "national|pins" in everything


def test_the_csv_is_the_summary_s_days(console: ConsoleServer) -> None:
    answer = console.get("/staff/api/daily.csv?days=7")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_day = console.get("/staff/api/summary?days=7").json()["by_day"]
    assert [{k: int(v) if k != "date" else v for k, v in row.items()} for row in rows] == by_day


def test_a_bad_period_is_a_clear_400_and_an_unknown_api_404(console: ConsoleServer) -> None:
    for days in ("0", "-1", "abc", "99999", "7.5"):
        answer = console.get(f"/staff/api/summary?days={days}")
        assert answer.status == 400 and "days" in answer.json()["message"], days
    assert (
        console.get("/staff/api/nothing").status == 404 and console.get("/staff/api/nothing", token=None).status == 401
    )


def test_the_page_shows_residents_words_as_text_under_a_strict_policy(console: ConsoleServer) -> None:
    answer = console.get("/staff/?days=7")
    assert answer.status == 200
    page = answer.text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page and "&lt;img src=x onerror=" in page
    assert (
        "<script" not in page
        and "<img" not in page
        and " style=" not in page
        and "onerror=" not in page.replace("onerror=&#34;", "")
    )
    assert WITH_PIN_SHOWN in page and "4917" not in page
    assert "<svg" in page and page.count("<rect ") == 7, "one bar per day"
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "'unsafe-inline'" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    for sender in ("web-mitaka", "line-unknown", "web-chiba"):
        assert sender not in page, "no sender id is ever shown"
    css = console.get("/staff/console.css", token=None)
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")


def test_login_sets_a_strict_http_only_cookie_that_opens_page_and_api(console: ConsoleServer) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = console.request("POST", "/staff/login", b"token=" + b"x" * 40, form)
    assert wrong.status == 401 and "アクセストークンが違います" in wrong.text and "set-cookie" not in wrong.headers
    right = console.request("POST", "/staff/login", f"token={console.token}".encode(), form)
    assert right.status == 303 and right.headers["location"] == "/staff/"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
    assert console.token not in cookie, "the cookie is not the token"
    session = cookie.split(";")[0]
    assert "回答できなかった質問" in console.get("/staff/", token=None, cookie=session).text
    assert console.get("/staff/api/summary", token=None, cookie=session).status == 200
    expires, _, mac = session.partition("=")[2].partition(".")
    forged = f"staff_session={int(expires) + 1}.{mac}"
    assert console.get("/staff/api/summary", token=None, cookie=forged).status == 401
    logout = console.request("POST", "/staff/logout", headers={"Cookie": session})
    assert logout.status == 303 and "Max-Age=0" in logout.headers["set-cookie"]


def test_the_console_refuses_a_short_token_and_answers_503_without_a_database(tmp_path: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "console"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "STAFF_TOKEN": "short", "STAFF_PORT": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "STAFF_TOKEN must have at least 32 characters" in refused.stderr
    token = secrets.token_hex(20)
    process, url = start_console(tmp_path / "missing.db", token)
    try:
        server = ConsoleServer(url, token, tmp_path / "missing.db", 0.0)
        assert server.get("/staff/api/summary").status == 503
        assert server.get("/staff/api/summary", token=None).status == 401
    finally:
        process.terminate()
        process.wait(20)
    assert not (tmp_path / "missing.db").exists(), "the console never creates the database"


def test_the_scaled_endpoints_need_only_the_tracker_store_s_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console never gets Redis's password (launch/roles.py), which endpoints.scaled.yml also names."""
    for name in [name for name in os.environ if name.startswith(("REDIS_", "ACTION_ENDPOINT"))]:
        monkeypatch.delenv(name)
    password = "p w:@/'x${NOT_A_VARIABLE"
    for name, value in dict(PGHOST="127.0.0.1", PGPORT="5433", PG_DATABASE="pinbot", PG_LOGIN_DB="postgres").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PGUSER", "staff")
    monkeypatch.setenv("PGPASSWORD", password)
    url = tracker_engine(REPO / "endpoints.scaled.yml").url
    assert (url.get_backend_name(), url.host, url.port, url.database) == ("postgresql", "127.0.0.1", 5433, "pinbot")
    assert (url.username, url.password) == ("staff", password)
