"""The widget in a real browser: Debian's headless Chromium driven by Playwright.

By default the gateway talks to the fake Rasa. With E2E_RASA_URL set, the checklist flow runs against that real
Rasa server instead (the other tests keep the fake, since they need its scripted echoes and failure modes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.gateway.conftest import Gateway
from tests.gateway.fakes.fake_rasa import FakeRasa
from tests.gateway.fakes.servers import ServerThread

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
E2E_RASA_URL = os.environ.get("E2E_RASA_URL", "").strip()
FORGE_STORED_SESSION = """() => {
  for (const key of Object.keys(localStorage)) {
    if (key.endsWith(':session')) localStorage.setItem(key, 'B'.repeat(43));
  }
}"""
SCREENSHOTS = Path(os.environ.get("GATEWAY_SCREENSHOT_DIR", "")) if os.environ.get("GATEWAY_SCREENSHOT_DIR") else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module; a missing browser is a failure, never a skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}. The browser tests need Debian's chromium package: "
            "run `apt-get update && apt-get install -y chromium` (as root), or set CHROMIUM_PATH."
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        yield launched
        launched.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt the page raised (must stay empty)."""
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str]) -> Iterator[Page]:
    """A fresh browser context (empty storage) and page."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    new_page = context.new_page()

    def on_dialog(dialog: Dialog) -> None:
        """Record and dismiss a dialog (any dialog is a failure)."""
        dialogs.append(dialog.message)
        dialog.dismiss()

    new_page.on("dialog", on_dialog)
    yield new_page
    context.close()


def open_widget(page: Page, url: str) -> None:
    """Load the page and open the chat panel."""
    page.goto(url)
    page.locator(".mnc-launcher").click()
    expect(page.locator(".mnc-panel")).to_be_visible()
    expect(page.locator(".mnc-msg-bot")).to_have_count(1)  # the local welcome message


def ask(page: Page, text: str) -> None:
    """Type a question and press Enter."""
    page.locator(".mnc-input").fill(text)
    page.locator(".mnc-input").press("Enter")


def bot_bubbles(page: Page) -> list[str]:
    """Texts of every bot bubble, in order."""
    return page.locator(".mnc-msg-bot .mnc-bubble").all_inner_texts()


def wait_idle(page: Page, timeout: float = 15_000) -> None:
    """Wait until the widget is no longer waiting for an answer."""
    expect(page.locator(".mnc-typing")).to_be_hidden(timeout=timeout)
    expect(page.locator(".mnc-send")).to_be_enabled(timeout=timeout)


def shot(page: Page, name: str) -> None:
    """Save a screenshot when GATEWAY_SCREENSHOT_DIR is set (for a human to look at)."""
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_question_button_checklist(start_gateway: Callable[..., Gateway], page: Page, dialogs: list[str]) -> None:
    """Japanese question → 本人 (and city) buttons → a checklist mentioning マイナンバーカード."""
    gw = start_gateway(rasa_url=E2E_RASA_URL, rasa_timeout_seconds=15.0) if E2E_RASA_URL else start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "暗証番号を忘れました")
    expect(page.locator(".mnc-msg-user .mnc-bubble").first).to_have_text("暗証番号を忘れました")
    wait_idle(page)
    clicked: list[str] = []
    for _ in range(6):
        buttons = page.locator(".mnc-choice:not([disabled])")
        titles = buttons.all_inner_texts()
        if not titles:
            break
        # 本人 and 三鷹市 when offered; any other question the real bot asks (e.g. which PIN) gets its first choice.
        pick = (
            next((t for t in titles if "本人" in t and "代理" not in t), None)
            or next((t for t in titles if "三鷹市" in t), None)
            or titles[0]
        )
        before = len(bot_bubbles(page))
        buttons.filter(has_text=pick).first.click()
        clicked.append(pick)
        expect(page.locator(".mnc-msg-bot")).not_to_have_count(before, timeout=15_000)
        wait_idle(page)
        if any("マイナンバーカード" in t for t in bot_bubbles(page)[before:]):
            break
    shot(page, "checklist")
    assert "本人" in clicked, f"the bot offered no 本人 button: {bot_bubbles(page)}"
    assert any("マイナンバーカード" in t for t in bot_bubbles(page)[1:]), bot_bubbles(page)
    assert page.locator(".mnc-msg-user").count() == 1 + len(clicked)
    assert dialogs == []
    if not E2E_RASA_URL:
        assert clicked == ["本人", "三鷹市"]
        link = page.locator(".mnc-bubble a[href='https://www.example.jp/mynumber']")
        expect(link).to_have_count(1)
        assert link.get_attribute("rel") == "noopener noreferrer"
        expect(page.locator(".mnc-bubble a[href='tel:0422299191']")).to_have_count(1)


def test_xss_payloads_are_shown_literally(
    start_gateway: Callable[..., Gateway], page: Page, dialogs: list[str]
) -> None:
    """HTML and javascript: links from resident or bot are shown as text; no dialog, no image."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    payload = "<img src=x onerror=alert(1)>"
    ask(page, payload)
    wait_idle(page)
    expect(page.locator(".mnc-msg-user .mnc-bubble").last).to_have_text(payload)
    texts = bot_bubbles(page)
    assert f"入力: {payload}" in texts
    assert any("[ここをクリック](javascript:alert(1)) javascript:alert(2)" in t for t in texts)
    ask(page, "<script>alert(3)</script> javascript:alert(4)")
    wait_idle(page)
    page.wait_for_timeout(300)  # give any injected handler a chance to fire
    assert page.locator("img").count() == 0
    assert page.locator(".mnc-panel script").count() == 0
    hrefs = page.locator(".mnc-bubble a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("https:", "tel:")) for h in hrefs), hrefs
    assert dialogs == []
    shot(page, "xss")


def test_enter_does_not_send_during_ime_composition(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """Enter that confirms an IME conversion does not send; Enter afterwards does."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    box = page.locator(".mnc-input")
    box.focus()
    # A real composition through Chrome's IME path: Enter confirms the conversion (keydown has isComposing).
    session = page.context.new_cdp_session(page)
    session.send("Input.imeSetComposition", {"text": "あんしょう", "selectionStart": 5, "selectionEnd": 5})
    page.keyboard.press("Enter")
    # Safari reports the confirming Enter after compositionend with keyCode 229 instead.
    box.evaluate("el => el.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 229, bubbles: true}))")
    page.wait_for_timeout(300)
    assert page.locator(".mnc-msg-user").count() == 0
    session.send("Input.insertText", {"text": "暗証"})  # commits the composition (compositionend)
    page.wait_for_timeout(100)
    assert page.locator(".mnc-msg-user").count() == 0
    assert fake_rasa[0].requests == []
    # Once the composition is over, Enter sends what was typed.
    box.press("Enter")
    expect(page.locator(".mnc-msg-user")).to_have_count(1)
    wait_idle(page)
    assert [r["message"] for r in fake_rasa[0].requests] == ["暗証"]
    # Shift+Enter is a line break, not a send.
    box.type("一行目")
    box.press("Shift+Enter")
    page.wait_for_timeout(200)
    assert page.locator(".mnc-msg-user").count() == 1


def test_typed_pin_is_masked_on_screen_and_in_storage(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """A PIN or 個人番号 the resident types is neither shown back nor kept in the browser's storage."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "暗証番号は4821です。マイナンバーは1234 5678 9012")
    wait_idle(page)
    expect(page.locator(".mnc-msg-user .mnc-bubble")).to_have_text(
        ["暗証番号は［暗証番号］です。マイナンバーは［個人番号］"]
    )
    assert any("表示・保存していません" in t for t in bot_bubbles(page))
    stored = page.evaluate(
        "() => JSON.stringify(Object.entries(sessionStorage)) + JSON.stringify(Object.entries(localStorage))"
    )
    assert "4821" not in stored and "9012" not in stored and "［暗証番号］" in stored
    assert "4821" not in page.content() and "4821" not in " ".join(bot_bubbles(page))
    assert fake_rasa[0].requests[0]["message"] == "暗証番号は［暗証番号］です。マイナンバーは［個人番号］"
    # Dates, counts and lengths are not numbers to hide.
    ask(page, "2025年に4桁の暗証番号を3回間違えました")
    wait_idle(page)
    expect(page.locator(".mnc-msg-user .mnc-bubble").last).to_have_text("2025年に4桁の暗証番号を3回間違えました")


def test_screen_shows_exactly_the_servers_redaction(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """One rule: the bubble is the text the server forwarded and kept; the notice only when it removed something."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "2718、2818、2840")  # a separator the old on-screen mask did not know
    wait_idle(page)
    expect(page.locator(".mnc-msg-user .mnc-bubble").last).to_have_text("［個人番号］")
    assert fake_rasa[0].requests[-1]["message"] == "［個人番号］"
    notices = sum("表示・保存していません" in t for t in bot_bubbles(page))
    assert notices == 1
    # Kept by the server (a clock time with no PIN word; a phone number is a PIN to the context-free rule): shown as
    # typed, and no claim of hiding.
    ask(page, "17:30に行っても間に合いますか")
    wait_idle(page)
    expect(page.locator(".mnc-msg-user .mnc-bubble").last).to_have_text("17:30に行っても間に合いますか")
    assert sum("表示・保存していません" in t for t in bot_bubbles(page)) == notices


def test_conversation_survives_a_reload(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """Transcript, open panel and session survive a reload; offered buttons still work."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "暗証番号を忘れました")
    wait_idle(page)
    before = bot_bubbles(page)
    page.reload()
    expect(page.locator(".mnc-panel")).to_be_visible()
    assert bot_bubbles(page) == before
    page.locator(".mnc-choice:not([disabled])", has_text="本人").first.click()
    expect(page.locator(".mnc-msg-bot")).to_have_count(len(before) + 1)
    wait_idle(page)
    assert len({r["sender"] for r in fake_rasa[0].requests}) == 1
    assert len(fake_rasa[0].requests) == 2


def test_restart_starts_a_new_conversation(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """最初から clears the transcript and the next message goes to a new Rasa conversation."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "暗証番号を忘れました")
    wait_idle(page)
    page.locator(".mnc-restart").click()
    expect(page.locator(".mnc-msg")).to_have_count(1)  # only the welcome message
    ask(page, "こんにちは")
    wait_idle(page)
    assert len({r["sender"] for r in fake_rasa[0].requests}) == 2


def test_delete_conversation_asks_first_and_starts_fresh(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread], dialogs: list[str]
) -> None:
    """会話を削除, from the keyboard: an inline question (no browser dialog; Escape or キャンセル keeps everything),
    then 削除する deletes the conversation on the server too, says so politely and starts a new one."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "暗証番号を忘れました")
    wait_idle(page)
    sender = fake_rasa[0].requests[0]["sender"]
    before = bot_bubbles(page)
    active = "() => document.activeElement.shadowRoot.activeElement.className"
    page.locator(".mnc-delete").focus()
    page.keyboard.press("Enter")
    confirm = page.locator(".mnc-confirm")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("削除しますか")
    assert page.evaluate(active) == "mnc-confirm-no"  # the safe choice has the focus
    shot(page, "delete-confirm")
    assert page.locator(".mnc-delete").get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(page.locator(".mnc-panel")).to_be_visible()  # Escape closed the question, not the chat
    assert page.evaluate(active) == "mnc-delete"
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # キャンセル
    expect(confirm).to_be_hidden()
    assert bot_bubbles(page) == before and fake_rasa[0].deleted == []
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(active) == "mnc-confirm-yes"
    page.keyboard.press("Enter")
    expect(page.locator(".mnc-msg-bot .mnc-bubble").first).to_have_text("会話を削除しました。")
    expect(confirm).to_be_hidden()
    assert page.locator(".mnc-msg-user").count() == 0
    assert fake_rasa[0].deleted == [sender]
    stored = page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith(':session'))")
    assert stored == []
    shot(page, "deleted")
    ask(page, "こんにちは")
    wait_idle(page)
    assert len({r["sender"] for r in fake_rasa[0].requests}) == 2  # a new conversation
    # A session the gateway no longer knows (expired): the screen is cleared, and the widget says only that.
    page.evaluate(FORGE_STORED_SESSION)
    page.reload()
    expect(page.locator(".mnc-panel")).to_be_visible()
    page.locator(".mnc-delete").click()
    page.locator(".mnc-confirm-yes").click()
    expect(page.locator(".mnc-msg-bot .mnc-bubble").first).to_contain_text("この画面の会話を削除しました。")
    assert len(fake_rasa[0].deleted) == 1
    assert dialogs == []


def test_expired_session_is_replaced_transparently(start_gateway: Callable[..., Gateway], page: Page) -> None:
    """An unknown stored session id is replaced and the text resent."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    ask(page, "こんにちは")
    wait_idle(page)
    # As if the gateway had expired the session: the widget still holds an id the gateway does not know.
    page.evaluate(FORGE_STORED_SESSION)
    page.reload()
    ask(page, "もう一度")
    wait_idle(page)
    assert any("「もう一度」" in t for t in bot_bubbles(page))
    expect(page.locator(".mnc-status")).to_be_hidden()


def test_server_down_shows_a_clear_message(start_gateway: Callable[..., Gateway], page: Page) -> None:
    """With the gateway stopped, the widget says it cannot connect and stays usable."""
    gw = start_gateway()
    open_widget(page, gw.url + "/")
    gw.server.stop()
    ask(page, "暗証番号を忘れました")
    status = page.locator(".mnc-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("サーバーに接続できません")
    assert status.get_attribute("role") == "alert"
    wait_idle(page)
    expect(page.locator(".mnc-input")).to_be_enabled()
    shot(page, "server-down")


def test_typing_indicator_during_a_slow_turn(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """The typing indicator shows while Rasa is slow and hides with the answer."""
    gw = start_gateway()
    fake_rasa[0].mode, fake_rasa[0].slow_seconds = "slow", 1.0
    open_widget(page, gw.url + "/")
    ask(page, "暗証番号を忘れました")
    expect(page.locator(".mnc-typing")).to_be_visible()
    expect(page.locator(".mnc-send")).to_be_disabled()
    wait_idle(page)
    assert bot_bubbles(page)[-1].startswith("暗証番号の再設定ですね")


def test_keyboard_and_screen_reader_support(start_gateway: Callable[..., Gateway], page: Page) -> None:
    """Everything works from the keyboard; the log is an aria-live region."""
    gw = start_gateway()
    page.goto(gw.url + "/")
    launcher = page.locator(".mnc-launcher")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".mnc-panel")).to_be_visible()
    log = page.locator(".mnc-log")
    assert log.get_attribute("aria-live") == "polite" and log.get_attribute("role") == "log"
    # The starters are real buttons: Tab from the log reaches the first one and Enter chooses it.
    log.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.shadowRoot.activeElement.className") == "mnc-choice"
    page.keyboard.press("Enter")
    expect(page.locator(".mnc-msg-user .mnc-bubble")).to_have_text(["暗証番号を忘れた"])
    wait_idle(page)
    log.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # 本人
    expect(page.locator(".mnc-msg-user .mnc-bubble")).to_have_text(["暗証番号を忘れた", "本人"])
    wait_idle(page)
    page.keyboard.press("Escape")
    expect(page.locator(".mnc-panel")).to_be_hidden()


def test_readable_on_a_phone(start_gateway: Callable[..., Gateway], browser: Browser) -> None:
    """On a 375 px phone the panel fits, text is 16 px and buttons are 44 px tall."""
    gw = start_gateway()
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    phone = context.new_page()
    try:
        open_widget(phone, gw.url + "/demo/mitaka")
        ask(phone, "暗証番号を忘れました")
        wait_idle(phone)
        box = phone.locator(".mnc-panel").bounding_box()
        assert box is not None and box["x"] >= 0 and box["width"] <= 375 and box["height"] <= 740
        font = phone.locator(".mnc-input").evaluate("el => getComputedStyle(el).fontSize")
        assert font == "16px"  # smaller text makes iOS zoom into the field
        for choice in phone.locator(".mnc-choice:not([disabled])").all():
            choice_box = choice.bounding_box()
            assert (
                choice_box is not None and choice_box["height"] >= 44 and choice_box["x"] + choice_box["width"] <= 375
            )
        shot(phone, "phone")
    finally:
        context.close()


def _city_site(gateway_url: str, municipality: str) -> Starlette:
    async def home(request: Request) -> HTMLResponse:
        """A city page embedding the widget from the gateway."""
        return HTMLResponse(
            f'<!doctype html><html lang="ja"><body><h1>市のページ</h1>'
            f'<script src="{gateway_url}/widget.js" data-municipality="{municipality}" defer></script></body></html>'
        )

    return Starlette(routes=[Route("/", home)])


def test_embedding_on_an_allowed_city_site(
    start_gateway: Callable[..., Gateway], page: Page, fake_rasa: tuple[FakeRasa, ServerThread]
) -> None:
    """A city page on an allowed origin embeds the widget with data-municipality; another origin cannot."""
    city = ServerThread(_city_site("http://127.0.0.1:{port}", "三鷹市"))
    gw = start_gateway(allowed_origins=frozenset({f"http://localhost:{city.port}"}))
    city.app = _city_site(gw.url, "三鷹市")
    city.start()
    try:
        open_widget(page, f"http://localhost:{city.port}/")
        ask(page, "こんにちは")
        wait_idle(page)
        assert any("「こんにちは」" in t for t in bot_bubbles(page))
        assert fake_rasa[0].requests[-1]["metadata"] == {"channel": "web", "municipality": "mitaka"}
        # The same page served from an origin that is not on the list cannot use the chat: the browser's
        # preflight gets a 403 without CORS headers, so the widget can only report that it cannot connect.
        other = browser_page_on(page, f"http://127.0.0.1:{city.port}/")
        ask(other, "こんにちは")
        expect(other.locator(".mnc-status")).to_be_visible()
        wait_idle(other)
        assert len(fake_rasa[0].requests) == 1
    finally:
        city.stop()


def browser_page_on(page: Page, url: str) -> Page:
    """Open the widget on another page of the same browser context."""
    other = page.context.new_page()
    open_widget(other, url)
    return other
