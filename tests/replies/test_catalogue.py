"""replies/catalogue.yml is the one source of the menu and the apologies: domain.yml repeats them exactly."""

from __future__ import annotations

from pathlib import Path

import yaml

from replies.catalogue import apology, catalogue

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
# The responses that end with the main menu.
MENU_RESPONSES = ("utter_greet", "utter_how_can_i_help", "utter_restart", "utter_privacy_warning")


def _responses() -> dict[str, list[dict[str, object]]]:
    return yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]


def test_domain_menu_is_the_catalogue_menu() -> None:
    """Every response that shows the main menu shows the catalogue's, in its order."""
    responses = _responses()
    for name in MENU_RESPONSES:
        assert [variant["buttons"] for variant in responses[name]] == [catalogue().menu_buttons()], name


def test_domain_rephrase_request_is_the_catalogues() -> None:
    """The request to rephrase after 「どれでもない」 is worded once, in the catalogue."""
    assert [variant["text"] for variant in _responses()["utter_ask_rephrase"]] == [apology("rephrase")]


def test_starters_are_the_first_four_choices_with_short_line_labels() -> None:
    """LINE and the widget start with four choices; LINE's labels fit its 20-character limit."""
    starters = catalogue().starters
    assert [c.payload for c in starters] == ["/forgot_pin", "/pin_locked", "/change_pin", "/proxy_help"]
    assert all(len(c.line_title) <= 20 for c in starters)
    assert [c.line_title for c in starters] == ["暗証番号を忘れた", "ロックされた", "変更したい", "代理人の手続き"]
