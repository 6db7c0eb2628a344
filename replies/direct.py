"""Answers to direct questions that need the city but no case: hours, ID documents, contact."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional

from jptext import nfkc
from kb import KnowledgeBase
from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS, WEEKDAY_LABELS
from kb.models import IdCategory, IdRule, Municipality, Office
from replies.contact import contact_lines, contact_text, short_contact
from replies.message import Button, Reply
from replies.offices import offices_page
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
    folded = nfkc(text or "")
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
    # An office whose page gives no weekdays (hours_complete: false) is never said to open on a given day.
    return office.hours_complete and any(weekday in rule.selector.days for rule in office.hours)


MORE_OFFICES = "more"


def office_hours_replies(
    kb: KnowledgeBase, municipality_id: str, now: dt.datetime, text: str, limit: int = 700, part: Optional[str] = None
) -> List[Reply]:
    """Where and when PIN procedures can be done in the city, and what is open now.

    Offices that do not fit the turn are one button away (part ``more``).
    """
    municipality = kb.municipality(municipality_id)
    offices = _offices_of(kb, municipality)
    sources = [municipality.source]
    tail = f"{contact_text(municipality)}\n{source_line(sources)}"
    if not offices:
        return [Reply(f"{municipality.name}のページには窓口の場所や受付時間の記載がありません。\n{tail}")]
    weekdays = asked_weekdays(text)
    known = [office for office in offices if office.has_hours]
    contact = short_contact(municipality)
    page = 1 if part == MORE_OFFICES else 0
    replies: List[Reply] = []
    listed: List[Office] = offices
    head = f"【{municipality.name}】暗証番号の手続きができる窓口："
    if not known:
        names = "、".join(office.name for office in offices)
        replies.append(
            Reply(
                f"【{municipality.name}】手続きの窓口は{names}です。ページに受付時間の記載がないため、お越しの前に{contact}へお問い合わせください。"
            )
        )
        listed = []
    elif weekdays:
        day_names = "・".join(WEEKDAY_LABELS[day] for day in weekdays)
        matching = [office for office in known if any(_open_on(office, day) for day in weekdays)]
        undated = [office for office in known if not office.hours_complete]
        if matching:
            head, listed = f"【{municipality.name}】{day_names}に暗証番号の手続きができる窓口：", matching + undated
        elif undated:
            # 龍ケ崎市 市民窓口ステーション: a time of day but no weekdays on the page.
            head, listed = (
                f"【{municipality.name}】ページには、{day_names}に受付しているかどうかの記載がある窓口はありません。記載されている受付時間は次のとおりです。",
                known,
            )
        else:
            head, listed = (
                f"【{municipality.name}】ページに受付時間の記載がある窓口のうち、{day_names}に受付している窓口はありません。受付時間は次のとおりです。",
                known,
            )
    buttons: List[Button] = []
    if listed:
        budget = limit - len(head) - len(tail) - 4
        body, more = offices_page(listed, now, contact, budget, page)
        replies.append(Reply(f"{head}\n\n{body}" if page == 0 else f"【{municipality.name}】ほかの窓口：\n\n{body}"))
        if more:
            buttons.append(Button("ほかの窓口（続き）", '/office_hours{"part": "more"}'))
    replies.append(Reply(tail, buttons))
    return replies


def _rule_scope(rule: IdRule) -> str:
    """「法定代理人・任意代理人の場合：」: whom a rule is for, as the page scopes it (千葉市's two-document rules)."""
    if not rule.applies_to:
        return ""
    who = "・".join(APPLICANT_LABELS[a] for a in rule.applies_to)
    what = "・".join(PROCEDURE_LABELS[p] for p in rule.procedures)
    return f"{who}（{what}）の場合：" if what else f"{who}の場合："


def _category_lines(category: IdCategory) -> List[str]:
    # Single-letter ids (A, B) are how the page itself names the lists; other ids are internal keys.
    heading = f"{category.id}の書類：{category.label}" if len(category.id) == 1 else category.label
    return [f"\n{heading}", "　" + "、".join(category.examples)]


def category_button(category: IdCategory) -> Button:
    """「Bの書類の一覧」: one ID list that did not fit the answer, behind a button (LINE label ≤ 20)."""
    title = f"{category.id}の書類の一覧" if len(category.id) == 1 else "ほかの本人確認書類"
    return Button(title, f'/identity_documents{{"part": "{category.id}"}}')


def identity_documents_replies(
    kb: KnowledgeBase, municipality_id: Optional[str], part: Optional[str] = None, limit: int = 700
) -> List[Reply]:
    """The city's ID-document rules and A/B lists as its page gives them; a list that does not fit goes behind a button."""
    if municipality_id is None:
        return []
    municipality = kb.municipality(municipality_id)
    ids = municipality.id_documents
    if ids is None:
        return [
            Reply(
                f"{municipality.name}のページには本人確認書類の一覧がありません。\n{contact_text(municipality)}\n{source_line([municipality.source])}"
            )
        ]
    tail = f"{contact_text(municipality)}\n{source_line([ids.source])}"
    notes = [f"※{note}" for note in ids.notes]
    asked = [c for c in ids.categories if c.id == part]
    if asked:
        lines = [f"【{municipality.name}】本人確認書類"] + _category_lines(asked[0]) + notes
        return [Reply("\n".join(lines)), Reply(tail)]
    lines = [f"【{municipality.name}】本人確認書類"]
    lines.extend(f"・{_rule_scope(rule)}{rule.text}" for rule in ids.rules)
    if ids.examples and not ids.categories:
        lines.append("例：" + "、".join(ids.examples))
    budget = limit - len(tail) - sum(len(n) + 1 for n in notes)
    later: List[IdCategory] = []
    for category in ids.categories:
        more = _category_lines(category)
        if later or len("\n".join(lines + more)) > budget:
            later.append(category)
        else:
            lines += more
    lines += notes
    return [Reply("\n".join(lines)), Reply(tail, [category_button(c) for c in later])]


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


def out_of_scope_replies(kb: KnowledgeBase, municipality_id: Optional[str], topic: Optional[str] = None) -> List[Reply]:
    """Polite 'this bot handles PINs only', with where to go instead.

    `topic` (vocabulary/slots.yml, out_of_scope_topic): a bank card or a device points to the bank or the
    maker; a My Number matter that is not a PIN gets the city's contact; anything else the city's contact
    when the city is known.
    """
    city = kb.municipality(municipality_id) if municipality_id in kb.municipality_ids() else None
    if topic == "mynumber_not_pin":
        where = f"{city.name}の担当窓口" if city else "お住まいの市の担当窓口"
        lines = [
            NOT_PIN_LINE
            + f"マイナンバーカードの紛失・申請・マイナ保険証などのご用件は、{where}へお問い合わせください。",
            *contact_lines(kb, municipality_id),
        ]
        return [Reply("\n".join(lines), [])]
    text = "申し訳ありません。このチャットボットは、マイナンバーカードの暗証番号と電子証明書の手続きについてのみご案内しています。"
    if topic in OTHER_SECRET_LINES:
        return [Reply(text + "\n" + OTHER_SECRET_LINES[topic], [])]
    if city:
        text += (
            f"\nその他のご用件は{city.name}のホームページをご覧いただくか、お問い合わせください。\n{contact_text(city)}"
        )
    else:
        text += "\nその他のご用件は、お住まいの市のホームページをご覧いただくか、市役所へお問い合わせください。"
    return [Reply(text, [])]
