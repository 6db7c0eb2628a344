"""Expected strings for the action tests, copied from knowledge/*.yml and the action texts."""

from __future__ import annotations

from typing import Any, Dict, List

from tests.expected import CITY_NAMES, CONTACT_LINE  # noqa: F401 - re-exported for the action tests

FALLBACK_APOLOGY = "申し訳ありません。ただいまお答えを用意できませんでした。少し時間をおいてもう一度お試しいただくか、お電話でお問い合わせください。"
FALLBACK_NO_KB = f"{FALLBACK_APOLOGY}\nお住まいの市役所の担当窓口へお問い合わせください。"
MUNICIPALITY_QUESTION = "どちらの市の情報をご案内しましょうか。"


def texts(messages: List[Dict[str, Any]]) -> str:
    """All message texts of a dispatcher, one after the other."""
    return "\n".join(message.get("text") or "" for message in messages)
