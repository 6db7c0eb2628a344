"""Expected strings shared by the action and reply tests, written from the seed pages (not from kb/)."""

from __future__ import annotations

CITY_NAMES = {"mitaka": "三鷹市", "chiba": "千葉市", "tajimi": "多治見市", "ryugasaki": "龍ケ崎市"}

# The contact line of each city, as its page gives it.
CONTACT_LINE = {
    "mitaka": "お問い合わせ：三鷹市 市民部 市民課 届出・証明係 電話 0422-29-9191",
    "chiba": "お問い合わせ：千葉市マイナンバーコールセンター 電話 043-400-3147（受付 平日8時30分～17時15分）",
    "tajimi": "お問い合わせ：多治見市 市民課住基グループ 電話 0572-23-5542（直通）、0572-22-1111（代表）",
    # The page gives no phone number: where to ask in person (「市役所市民窓口課マイナンバーカードセンター」).
    "ryugasaki": "ご相談：龍ケ崎市 市民窓口課（マイナンバーカードセンター（市役所本庁舎）の窓口。ページに電話番号の記載はありません）",
}
