"""Expected values for the reply tests, written from the seed pages and knowledge/*.yml (not from kb/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable, List
from zoneinfo import ZoneInfo

import yaml

from replies.message import Reply
from tests.expected import CITY_NAMES, CONTACT_LINE  # noqa: F401 - re-exported for the reply tests

REPO = Path(__file__).resolve().parents[2]
TOKYO = ZoneInfo("Asia/Tokyo")

# Tuesday 10 June 2025, 10:00 in Tokyo: a normal weekday, no holiday.
FIXED_NOW = dt.datetime(2025, 6, 10, 10, 0, tzinfo=TOKYO)

# How the 出典 line must name each city's own page: publisher, title and the update date printed on the
# seed page itself (../shared/seeds/000, 001, 002, 004; seed 004 shows no date).
OWN_SOURCE = {
    "mitaka": "三鷹市 市民部 市民課「マイナンバーカードの暗証番号変更・再設定（ロックの解除）」（2025年4月30日更新）",
    "chiba": "千葉市「マイナンバーカード（個人番号カード）の暗証番号を忘れてしまったときは」（2025年3月10日更新）",
    "tajimi": "多治見市 市民課住基グループのページ（2024年8月30日更新）",
    "ryugasaki": "龍ケ崎市「マイナンバーカードの更新について」（更新日の記載なし）",
}

CONTACT_PHONES = {
    "mitaka": ["0422-29-9191"],
    "chiba": ["043-400-3147"],
    "tajimi": ["0572-23-5542", "0572-22-1111"],
    "ryugasaki": [],
}


def _raw_city(mid: str) -> dict:
    with (REPO / "knowledge" / "municipalities" / f"{mid}.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def city_identifiers(mid: str) -> List[str]:
    """Strings that belong to one city only: phones, fax, address, department and office names (from the YAML)."""
    raw = _raw_city(mid)
    contact = raw["contact"]
    found = [phone["number"] for phone in contact.get("phones") or []]
    found += [contact[key] for key in ("fax", "address", "department") if contact.get(key)]
    for office in raw.get("offices") or []:
        found.append(office["name"])
        if office.get("phone"):
            found.append(office["phone"])
    return found


def city_phones_and_offices(mid: str) -> List[str]:
    """Phone and fax numbers and office names of one city (no department: a cited page names its publisher)."""
    raw = _raw_city(mid)
    contact = raw["contact"]
    found = [phone["number"] for phone in contact.get("phones") or []]
    found += [contact["fax"]] if contact.get("fax") else []
    for office in raw.get("offices") or []:
        found.append(office["name"])
        if office.get("phone"):
            found.append(office["phone"])
    return found


def text_of(reply: Reply) -> str:
    """The message text of a reply; a reply that sends a domain response instead has none, and fails the test."""
    assert reply.text is not None, reply
    return reply.text


def joined(replies: Iterable[Reply]) -> str:
    """All message texts of a reply list, one after the other."""
    return "\n".join(text_of(reply) for reply in replies)
