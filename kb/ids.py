"""Canonical ids and their Japanese labels (docs/ARCHITECTURE.md)."""

from __future__ import annotations

PROCEDURES: tuple[str, ...] = ("pin_reset", "pin_change", "certificate_renewal")
PROCEDURE_LABELS: dict[str, str] = {
    "pin_reset": "暗証番号の再設定",
    "pin_change": "暗証番号の変更",
    "certificate_renewal": "電子証明書の更新",
}

APPLICANTS: tuple[str, ...] = ("self", "legal_representative", "voluntary_proxy")
APPLICANT_LABELS: dict[str, str] = {
    "self": "本人",
    "legal_representative": "法定代理人",
    "voluntary_proxy": "任意代理人",
}

PIN_TYPES: tuple[str, ...] = ("signature", "user_auth", "resident_registry", "text_input")

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS: tuple[str, ...] = ("月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日")
