"""``make line-richmenu``: create the LINE rich menu (the four main choices) through the SDK and make it the default."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from linebot.v3.messaging.exceptions import ApiException

from gateway.line.convert import main_choices

IMAGE_PATH = Path(__file__).resolve().parent / "richmenu.png"
MENU_WIDTH = 2500
MENU_HEIGHT = 843
CHAT_BAR_TEXT = "メニュー"


def menu_request() -> RichMenuRequest:
    """A 2×2 compact menu whose areas post back the same payloads as the greeting's quick replies."""
    half_w, half_h = MENU_WIDTH // 2, MENU_HEIGHT // 2
    cells = [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)]
    areas = [
        RichMenuArea(
            bounds=RichMenuBounds(
                x=x, y=y, width=MENU_WIDTH - half_w if x else half_w, height=MENU_HEIGHT - half_h if y else half_h
            ),
            action=PostbackAction(label=choice.title, data=choice.payload, displayText=choice.title),
        )
        for (x, y), choice in zip(cells, main_choices(), strict=True)
    ]
    return RichMenuRequest(
        size=RichMenuSize(width=MENU_WIDTH, height=MENU_HEIGHT),
        selected=True,
        name="マイナンバーカード暗証番号メニュー",
        chatBarText=CHAT_BAR_TEXT,
        areas=areas,
    )


def create_rich_menu(access_token: str, api_base: str, api_data_base: str, image: bytes) -> str:
    """Create the menu, upload its image and set it as every user's default; returns the rich menu id."""
    with ApiClient(Configuration(host=api_base, access_token=access_token)) as client:
        menu_id = MessagingApi(client).create_rich_menu(menu_request()).rich_menu_id
    with ApiClient(Configuration(host=api_data_base, access_token=access_token)) as blob_client:
        MessagingApiBlob(blob_client).set_rich_menu_image(menu_id, body=image, _headers={"Content-Type": "image/png"})
    with ApiClient(Configuration(host=api_base, access_token=access_token)) as client:
        MessagingApi(client).set_default_rich_menu(menu_id)
    return str(menu_id)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; credentials come from the environment only."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--image", type=Path, default=IMAGE_PATH, help="PNG of 2500x843 pixels (default: the bundled one)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the menu definition and exit")
    args = parser.parse_args(argv)
    if args.dry_run:
        print(menu_request().to_json())
        return 0
    token = os.environ.get("LINE_CHANNEL_ACCESS_TOKEN", "").strip()
    if not token:
        print("LINE_CHANNEL_ACCESS_TOKEN is not set; nothing was created.", file=sys.stderr)
        return 2
    api_base = (os.environ.get("LINE_API_BASE", "").strip() or "https://api.line.me").rstrip("/")
    api_data_base = (os.environ.get("LINE_API_DATA_BASE", "").strip() or "https://api-data.line.me").rstrip("/")
    try:
        menu_id = create_rich_menu(token, api_base, api_data_base, args.image.read_bytes())
    except ApiException as exc:
        print(f"LINE API error {exc.status}: {exc.body!r}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cannot create the rich menu: {exc}", file=sys.stderr)
        return 1
    print(f"rich menu {menu_id} created and set as the default")
    return 0
