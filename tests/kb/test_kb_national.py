"""National rules: the four PINs, kiosk reset, certificate validity and renewal, each with its source."""

from __future__ import annotations

import datetime as dt

import pytest

from kb.errors import UnknownIdError
from kb.store import KnowledgeBase


@pytest.mark.parametrize(
    ("pin_id", "label", "fmt", "digits", "lock_after"),
    [
        ("signature", "署名用電子証明書", "alphanumeric", (6, 16), 5),
        ("user_auth", "利用者証明用電子証明書", "numeric", (4, 4), 3),
        ("resident_registry", "住民基本台帳用", "numeric", (4, 4), 3),
        ("text_input", "券面事項入力補助用", "numeric", (4, 4), 3),
    ],
)
def test_pins(kb: KnowledgeBase, pin_id: str, label: str, fmt: str, digits: tuple[int, int], lock_after: int) -> None:
    pin = kb.national.pin(pin_id)
    assert (pin.label, pin.format, (pin.min_length, pin.max_length), pin.lock_after) == (label, fmt, digits, lock_after)
    assert pin.source.id == "explainer" and pin.source.updated is None
    assert {s.id for s in pin.confirmed_by} == {"chiba", "tajimi", "ryugasaki"}


def test_four_digit_pins_and_unknown_pin(kb: KnowledgeBase) -> None:
    four_digits = [p.id for p in kb.national.pins if p.format == "numeric" and p.max_length == 4]
    assert four_digits == ["user_auth", "resident_registry", "text_input"]
    with pytest.raises(UnknownIdError):
        kb.national.pin("four_digit")


def test_store_reset(kb: KnowledgeBase) -> None:
    sr = kb.national.store_reset
    assert sr.pins == ("signature", "user_auth")
    assert sr.not_available_for == ("resident_registry", "text_input")
    assert not sr.available_for("resident_registry") and sr.available_for("signature")
    assert sr.other_pin("signature") == "user_auth" and sr.other_pin("user_auth") == "signature"
    assert sr.other_pin("text_input") is None
    assert sr.needs == ("スマートフォンに専用のアプリケーションをインストール", "事前予約", "マイナンバーカード")
    assert sr.source.id == "tajimi" and sr.source.updated == dt.date(2024, 8, 30)


def test_certificate_validity_and_renewal(kb: KnowledgeBase) -> None:
    n = kb.national
    assert (n.validity.until, n.validity.source.id) == ("5回目の誕生日まで", "explainer")
    assert (n.renewal.window_months_before_expiry, n.renewal.source.id) == (3, "ryugasaki")
    assert "地方公共団体情報システム機構" in (n.renewal.notice or "")


def test_change_at_home_and_secrecy(kb: KnowledgeBase) -> None:
    n = kb.national
    assert [f.source.id for f in n.change_at_home] == ["tajimi", "explainer"]
    assert "スマートフォン" in n.change_at_home[0].text
    texts = {f.text: f.source.id for f in n.pin_notes}
    assert texts["暗証番号は本人しか設定できません。"] == "ryugasaki"
    assert texts["暗証番号はお問い合わせいただいてもお答えできませんのでご注意ください。"] == "ryugasaki"


def test_year_end_convention(kb: KnowledgeBase) -> None:
    ye = kb.national.year_end
    assert (ye.start, ye.end) == ((12, 29), (1, 3))
    assert [ye.contains(dt.date(2026, 12, d)) for d in (28, 29, 31)] == [False, True, True]
    assert [ye.contains(dt.date(2027, 1, d)) for d in (1, 3, 4)] == [True, True, False]
