"""The staff console (CONTRACT §8) in a real browser: Debian's headless Chromium driven by Playwright, axe-core.

It lives with the gateway's tests because Playwright and axe-core are in the gateway's virtualenv; the console itself
runs as its own process in the Rasa virtualenv (.venv), over a tracker database written by the real tracker store
(tests/console/seed.py). Residents' HTML and scripts must show as text, under a policy that allows no script.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from testkit.services import free_port
from tests.gateway.test_browser import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
RASA_PY = str(REPO / ".venv" / "bin" / "python")
# tests/console/seed.py's residents' words (that module imports Rasa, so they are repeated here).
SCRIPT = "<script>alert('xss')</script>ごみの日はいつ？"
HTML = '<img src=x onerror="alert(1)"><b>太字</b>の質問'
WITH_PIN_SHOWN = "暗証番号は［暗証番号］です、どうすれば"
SCREENSHOT = os.environ.get("CONSOLE_SCREENSHOT", "")  # a path: save the page there for a human to look at


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(url, token) of a console over a seeded database."""
    db = tmp_path_factory.mktemp("console") / "tracker.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRACKER_DB": str(db)}
    subprocess.run([RASA_PY, "-m", "tests.console.seed", str(db)], cwd=REPO, env=env, check=True, capture_output=True)
    token, port = secrets.token_urlsafe(32), free_port()
    env.update(STAFF_TOKEN=token, STAFF_PORT=str(port))
    process = subprocess.Popen([RASA_PY, "-m", "console"], cwd=REPO, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, "the console did not start"
            try:
                urllib.request.urlopen(f"{url}/staff/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url, token
    finally:
        process.terminate()
        process.wait(20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module; a missing browser is a failure, never a skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps` (as root), or set CHROMIUM_PATH.")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        yield launched
        launched.close()


def no_violations(page: Page) -> None:
    """axe-core (bundled with axe-playwright-python, no network) finds nothing on the page."""
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_staff_log_in_and_read_figures_with_residents_words_as_text(browser: Browser, console: tuple[str, str]) -> None:
    url, token = console
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    dialogs: list[str] = []
    policy_errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            policy_errors.append(message.text)

    page.on("console", on_console)
    page.goto(f"{url}/staff/")
    expect(page.locator("h1")).to_have_text("ログイン")
    no_violations(page)
    page.locator("#token").fill("x" * 40)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_have_text("アクセストークンが違います。")
    page.locator("#token").fill(token)
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator("h1")).to_contain_text("利用状況")

    cookie = next(c for c in context.cookies() if c["name"] == "staff_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != token
    # The chart: one bar per day of the period, drawn by the server.
    expect(page.locator("svg.chart rect")).to_have_count(7)
    expect(page.get_by_role("img", name="日別の会話数")).to_be_visible()
    texts = page.locator("table.unanswered td.text").all_inner_texts()
    assert texts[:3] == [WITH_PIN_SHOWN, HTML, SCRIPT] and "暗証番号を忘れた" in texts
    assert page.locator("main script, main img, main b").count() == 0, "a resident's markup became markup"
    assert page.locator("script").count() == 0, "the console has no script at all"
    expect(page.locator(".totals")).to_contain_text("会話4")
    expect(page.get_by_role("row", name="チェックリスト・三鷹市・暗証番号の再設定・本人・forgot_pin")).to_contain_text(
        "1"
    )
    expect(page.locator("text=要確認").first).to_be_visible()
    # The style sheet loaded under the policy (header colour), and nothing was refused or raised.
    header = page.locator("header.top").evaluate("element => getComputedStyle(element).backgroundColor")
    assert header == "rgb(31, 58, 95)"
    no_violations(page)
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="日別の件数をCSVでダウンロード").click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8")
    assert csv_text.startswith(
        "date,conversations,checklists,answers,out_of_scope,fallbacks,handoffs,helpful,not_helpful"
    )
    page.get_by_role("button", name="ログアウト").click()
    expect(page.locator("h1")).to_have_text("ログイン")
    assert dialogs == [] and policy_errors == []
    context.close()
