"""Developer helper: render richmenu_image.html to richmenu.png with Debian's Chromium (not needed at run time)."""

from __future__ import annotations

import html
from pathlib import Path

from playwright.sync_api import sync_playwright

from gateway.line.convert import main_choices
from gateway.line.richmenu import IMAGE_PATH, MENU_HEIGHT, MENU_WIDTH

SOURCE = Path(__file__).resolve().parent / "richmenu_image.html"
CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    """Write richmenu.png next to this file."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": MENU_WIDTH, "height": MENU_HEIGHT}, device_scale_factor=1)
        cells = "\n".join(f"  <div>{html.escape(choice.title)}</div>" for choice in main_choices())
        page.set_content(SOURCE.read_text(encoding="utf-8").replace("{{CELLS}}", cells))
        page.screenshot(path=str(IMAGE_PATH), type="png")
        browser.close()
    print(f"wrote {IMAGE_PATH} ({IMAGE_PATH.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
