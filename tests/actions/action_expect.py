"""Expected strings for the action tests, copied from knowledge/*.yml and the action texts."""

from __future__ import annotations

from typing import Any, Dict, List

CITY_NAMES = {"mitaka": "三鷹市", "chiba": "千葉市", "tajimi": "多治見市", "ryugasaki": "龍ケ崎市"}

CONTACT_LINE = {
    "mitaka": "お問い合わせ：三鷹市 市民部 市民課 届出・証明係 電話 0422-29-9191",
    "chiba": "お問い合わせ：千葉市 千葉市マイナンバーコールセンター 電話 043-400-3147（受付 平日8時30分～17時15分）",
    "tajimi": "お問い合わせ：多治見市 市民課住基グループ 電話 0572-23-5542（直通）、0572-22-1111（代表）",
    "ryugasaki": "お問い合わせ：龍ケ崎市 市民窓口課（ページに電話番号の記載がありません）",
}

FALLBACK_APOLOGY = "申し訳ありません。ただいまお答えを用意できませんでした。少し時間をおいてもう一度お試しいただくか、お電話でお問い合わせください。"
FALLBACK_NO_KB = f"{FALLBACK_APOLOGY}\nお住まいの市役所の担当窓口へお問い合わせください。"
MUNICIPALITY_QUESTION = "どちらの市の情報をご案内しましょうか。"


def texts(messages: List[Dict[str, Any]]) -> str:
    """All message texts of a dispatcher, one after the other."""
    return "\n".join(message.get("text") or "" for message in messages)
