"""Answers to direct questions that need the city but no case: hours, ID documents, contact."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Dict, List, Optional

from kb import KnowledgeBase
from kb.ids import WEEKDAY_LABELS
from kb.models import Municipality, Office

from replies.contact import contact_lines, contact_text
from replies.message import Reply
from replies.offices import offices_text
from replies.sources import source_line

# Words for a day of the week, checked in this order (土日 asks about both days).
_DAY_WORDS: Dict[str, tuple[int, ...]] = {
    "土日": (5, 6),
    "週末": (5, 6),
    "休日": (5, 6),
    "土曜": (5,),
    "どようび": (5,),
    "日曜": (6,),
    "にちようび": (6,),
    "平日": (0, 1, 2, 3, 4),
}


def asked_weekdays(text: str) -> tuple[int, ...]:
    """Weekdays the resident asks about (土曜日もやってる? → Saturday); empty when none."""
    folded = unicodedata.normalize("NFKC", text or "")
    for word, days in _DAY_WORDS.items():
        if word in folded:
            return days
    return ()


def _offices_of(kb: KnowledgeBase, municipality: Municipality) -> List[Office]:
    """Offices that handle any PIN procedure in this city, each once, in the page's order."""
    seen: Dict[str, Office] = {}
    for procedure in kb.procedures(municipality.id):
        for office in kb.offices(municipality.id, procedure):
            seen.setdefault(office.id, office)
    return list(seen.values())


def _open_on(office: Office, weekday: int) -> bool:
    return any(weekday in rule.selector.days for rule in office.hours)


def office_hours_replies(kb: KnowledgeBase, municipality_id: str, now: dt.datetime, text: str) -> List[Reply]:
    """Where and when PIN procedures can be done in the city, and what is open now."""
    municipality = kb.municipality(municipality_id)
    offices = _offices_of(kb, municipality)
    sources = [municipality.source]
    if not offices:
        return [Reply(f"{municipality.name}のページには窓口の場所や受付時間の記載がありません。\n{contact_text(municipality)}\n{source_line(sources)}")]
    weekdays = asked_weekdays(text)
    known = [office for office in offices if office.has_hours]
    replies: List[Reply] = []
    if not known:
        names = "、".join(office.name for office in offices)
        replies.append(
            Reply(f"【{municipality.name}】手続きの窓口は{names}です。ページに受付時間の記載がないため、お越しの前にお問い合わせください。")
        )
    elif weekdays:
        day_names = "・".join(WEEKDAY_LABELS[day] for day in weekdays)
        matching = [office for office in known if any(_open_on(office, day) for day in weekdays)]
        if matching:
            head = f"【{municipality.name}】{day_names}に暗証番号の手続きができる窓口："
            replies.append(Reply(head + "\n\n" + offices_text(matching, now)))
        else:
            replies.append(
                Reply(f"【{municipality.name}】ページに受付時間の記載がある窓口のうち、{day_names}に受付している窓口はありません。受付時間は次のとおりです。")
            )
            replies.append(Reply(offices_text(known, now)))
    else:
        replies.append(Reply(f"【{municipality.name}】暗証番号の手続きができる窓口：\n\n" + offices_text(offices, now)))
        if len(known) < len(offices):
            replies.append(Reply("※受付時間の記載がない窓口は、お越しの前にお問い合わせください。"))
    replies.append(Reply(f"{contact_text(municipality)}\n{source_line(sources)}"))
    return replies


def identity_documents_replies(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Reply]:
    """The city's ID-document rules and A/B lists as its page gives them."""
    if municipality_id is None:
        return []
    municipality = kb.municipality(municipality_id)
    ids = municipality.id_documents
    if ids is None:
        return [Reply(f"{municipality.name}のページには本人確認書類の一覧がありません。\n{contact_text(municipality)}\n{source_line([municipality.source])}")]
    lines = [f"【{municipality.name}】本人確認書類"]
    lines.extend(f"・{rule.text}" for rule in ids.rules)
    for category in ids.categories:
        # Single-letter ids (A, B) are how the page itself names the lists; other ids are internal keys.
        heading = f"{category.id}の書類：{category.label}" if len(category.id) == 1 else category.label
        lines.append(f"\n{heading}")
        lines.extend(f"　- {example}" for example in category.examples)
    if ids.examples and not ids.categories:
        lines.append("例：" + "、".join(ids.examples))
    lines.extend(f"※{note}" for note in ids.notes)
    return [
        Reply("\n".join(lines)),
        Reply("どなたが手続きするかで必要な書類が変わります。持ち物の一覧は「暗証番号を忘れた」などのご用件からご案内します。\n"
              f"{contact_text(municipality)}\n{source_line([ids.source])}"),
    ]


def contact_replies(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Reply]:
    """Who to call: the city's contact, or every city's when the city is unknown."""
    lines = contact_lines(kb, municipality_id)
    head = "担当窓口へのお問い合わせ先は次のとおりです。"
    sources = [kb.municipality(mid).contact.source for mid in kb.municipality_ids() if municipality_id in (None, mid)]
    return [Reply(head + "\n" + "\n".join(lines) + "\n" + source_line(sources))]


# Where a resident goes for a secret that is not the card's (issue 9): one line, no facts beyond "ask them".
OTHER_SECRET_LINES = {
    "bank_card": "銀行のキャッシュカードやクレジットカードの暗証番号は、カードを発行した銀行・カード会社へお問い合わせください。",
    "device": "スマートフォンやパソコン、Wi-Fi機器、アプリのパスコード・パスワードは、機器のメーカーや携帯電話会社、"
    "サービスの提供元へお問い合わせください。",
}
NOT_PIN_LINE = "このチャットでは暗証番号の手続きをご案内しています。"


def out_of_scope_replies(
    kb: KnowledgeBase, municipality_id: Optional[str], topic: Optional[str] = None
) -> List[Reply]:
    """Polite 'this bot handles PINs only', with where to go instead.

    `topic` (actions/vocabulary.yml, out_of_scope_topic): a bank card or a device points to the bank or the
    maker; a My Number matter that is not a PIN gets the city's contact; anything else the city's contact
    when the city is known.
    """
    known = municipality_id in kb.municipality_ids()
    if topic == "mynumber_not_pin":
        where = f"{kb.municipality(municipality_id).name}の担当窓口" if known else "お住まいの市の担当窓口"
        lines = [
            NOT_PIN_LINE + f"マイナンバーカードの紛失・申請・マイナ保険証などのご用件は、{where}へお問い合わせください。",
            *contact_lines(kb, municipality_id),
        ]
        return [Reply("\n".join(lines), [])]
    text = "申し訳ありません。このチャットボットは、マイナンバーカードの暗証番号と電子証明書の手続きについてのみご案内しています。"
    if topic in OTHER_SECRET_LINES:
        return [Reply(text + "\n" + OTHER_SECRET_LINES[topic], [])]
    if known:
        text += f"\nその他のご用件は{kb.municipality(municipality_id).name}のホームページをご覧いただくか、お問い合わせください。\n{contact_text(kb.municipality(municipality_id))}"
    else:
        text += "\nその他のご用件は、お住まいの市のホームページをご覧いただくか、市役所へお問い合わせください。"
    return [Reply(text, [])]
