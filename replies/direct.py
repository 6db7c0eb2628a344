"""Answers to direct questions that need the city but no case: hours, ID documents, contact."""

from __future__ import annotations

import datetime as dt
from typing import Dict, List, Optional

from jptext import nfkc
from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS, WEEKDAY_LABELS
from kb.models import IdCategory, IdDocuments, IdRule, Municipality, Office
from kb.store import KnowledgeBase
from replies.checklist import cites_letter
from replies.contact import ask_before_visit, contact_lines, contact_text, footer, source_line
from replies.layout import TURN_CHARS, pack
from replies.message import Button, Reply
from replies.offices import offices_page

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


def _no_hours_text(municipality: Municipality, offices: List[Office]) -> str:
    """The offices, with their addresses, when the page gives no hours at all (多治見市)."""
    names = "、".join(office.name + (f"（{office.address}）" if office.address else "") for office in offices)
    ask = ask_before_visit(municipality) or ""
    return f"【{municipality.name}】手続きの窓口は{names}です。ページに受付時間の記載がありません。{ask}"


def _for_weekdays(
    municipality: Municipality, known: List[Office], weekdays: tuple[int, ...]
) -> tuple[str, List[Office]]:
    """The heading and the offices for a question about given weekdays (土曜日もやってる?)."""
    day_names = "・".join(WEEKDAY_LABELS[day] for day in weekdays)
    matching = [office for office in known if any(_open_on(office, day) for day in weekdays)]
    undated = [office for office in known if not office.hours_complete]
    if matching:
        return f"【{municipality.name}】{day_names}に暗証番号の手続きができる窓口：", matching + undated
    if undated:
        # 龍ケ崎市 市民窓口ステーション: a time of day but no weekdays on the page.
        return (
            f"【{municipality.name}】ページには、{day_names}に受付しているかどうかの記載がある窓口はありません。記載されている受付時間は次のとおりです。",
            known,
        )
    return (
        f"【{municipality.name}】ページに受付時間の記載がある窓口のうち、{day_names}に受付している窓口はありません。受付時間は次のとおりです。",
        known,
    )


def office_hours_replies(
    kb: KnowledgeBase,
    municipality_id: str,
    now: dt.datetime,
    text: str,
    limit: int = TURN_CHARS,
    part: Optional[str] = None,
) -> List[Reply]:
    """Where and when PIN procedures can be done in the city, and what is open now.

    Office blocks come in bubbles of at most ``BUBBLE_CHARS``; offices that do not fit the turn are one button away
    (part ``more``).
    """
    municipality = kb.municipality(municipality_id)
    offices = _offices_of(kb, municipality)
    tail = footer(municipality, [municipality.source])
    if not offices:
        return [Reply(f"{municipality.name}のページには窓口の場所や受付時間の記載がありません。\n{tail}")]
    known = [office for office in offices if office.has_hours]
    if not known:
        return [Reply(_no_hours_text(municipality, offices)), Reply(tail)]
    heading, listed = _asked_offices(municipality, offices, known, asked_weekdays(text))
    page = 1 if part == MORE_OFFICES else 0
    if page:
        heading = f"【{municipality.name}】ほかの窓口："
    ask = ask_before_visit(municipality) or ""
    blocks, more = offices_page(listed, now, ask, limit - len(heading) - len(tail) - 4, page)
    buttons = [Button("ほかの窓口（続き）", '/office_hours{"part": "more"}')] if more else []
    # The heading always opens the first office's bubble, however long that office's block is.
    bubbles = pack([f"{heading}\n\n{blocks[0]}", *blocks[1:]])
    return [Reply(bubble) for bubble in bubbles] + [Reply(tail, buttons)]


def _asked_offices(
    municipality: Municipality, offices: List[Office], known: List[Office], weekdays: tuple[int, ...]
) -> tuple[str, List[Office]]:
    """The heading and the offices for the question: every office, or those open on the asked weekdays."""
    if weekdays:
        return _for_weekdays(municipality, known, weekdays)
    return f"【{municipality.name}】暗証番号の手続きができる窓口：", offices


def _rule_line(rule: IdRule, procedure: Optional[str]) -> str:
    """「・1回目・任意代理人の本人確認書類：…」: a rule with the visit, whose documents, and its procedure if not asked."""
    what = "・".join(PROCEDURE_LABELS[p] for p in rule.procedures) if procedure is None else ""
    scope = "・".join(x for x in (what, f"{rule.visit}回目" if rule.visit else "", rule.label or "") if x)
    return f"・{scope}：{rule.text}" if scope else f"・{rule.text}"


def _applicant_block(ids: IdDocuments, procedure: Optional[str], who: str, heading: bool) -> List[str]:
    """The rules stated for one applicant type, under 「■法定代理人の場合」 when several types are listed."""
    rules = [rule for rule in ids.rules if who in rule.applies_to and rule.fits(procedure, who)]
    if not rules:
        return []
    lines = [_rule_line(rule, procedure) for rule in rules]
    return [f"■{APPLICANT_LABELS[who]}の場合", *lines] if heading else lines


def _rule_blocks(ids: IdDocuments, procedure: Optional[str], applicant: Optional[str]) -> List[List[str]]:
    """The rules for every applicant (general ones first), or only the asked applicant's."""
    general = [_rule_line(rule, procedure) for rule in ids.rules if not rule.applies_to and rule.fits(procedure, None)]
    who = [applicant] if applicant else list(APPLICANT_LABELS)
    blocks = [general, *(_applicant_block(ids, procedure, w, applicant is None) for w in who)]
    return [block for block in blocks if block]


def _category_lines(category: IdCategory) -> List[str]:
    # Single-letter ids (A, B) are how the page itself names the lists; other ids are internal keys.
    heading = f"{category.id}の書類：{category.label}" if len(category.id) == 1 else category.label
    return [heading, "　" + "、".join(category.examples)]


def category_button(category: IdCategory) -> Button:
    """「Bの書類の一覧」: one ID list that did not fit the answer, behind a button (LINE label ≤ 20)."""
    title = f"{category.id}の書類の一覧" if len(category.id) == 1 else "ほかの本人確認書類"
    return Button(title, f'/identity_documents{{"part": "{category.id}"}}')


def _case_title(procedure: Optional[str], applicant: Optional[str]) -> str:
    """「（電子証明書の更新・任意代理人の場合）」 when the conversation is about one case."""
    parts = [label for label in (PROCEDURE_LABELS.get(procedure or ""), APPLICANT_LABELS.get(applicant or "")) if label]
    return f"（{'・'.join(parts)}の場合）" if parts else ""


def _no_rule_line(kb: KnowledgeBase, municipality: Municipality, procedure: str, applicant: str) -> str:
    """Why no rule is shown: the page has none for this case, or its documents list did not reach this chat."""
    who, what = APPLICANT_LABELS[applicant], PROCEDURE_LABELS[procedure]
    req = kb.requirements(municipality.id, procedure, applicant)
    if req is not None and req.listed_on_page:
        return f"{who}が{what}をする場合の持ち物（本人確認書類を含む）は、このチャットではご案内できません。"
    return f"ページには、{who}が{what}をする場合の本人確認書類の決まりの記載はありません。"


def _rules_blocks(
    kb: KnowledgeBase, municipality: Municipality, procedure: Optional[str], applicant: Optional[str]
) -> tuple[List[str], List[IdRule]]:
    """The rule blocks for the conversation's case (every applicant's when none is known) and the rules shown."""
    ids = municipality.id_documents
    assert ids is not None
    rules = [rule for rule in ids.rules if rule.fits(procedure, applicant)]
    blocks = ["\n".join(lines) for lines in _rule_blocks(ids, procedure, applicant)]
    if not rules and procedure is not None and applicant is not None:
        blocks.append(_no_rule_line(kb, municipality, procedure, applicant))
    if ids.examples and not ids.categories:
        blocks.append("例：" + "、".join(ids.examples))
    # The title always opens the first block's bubble.
    title = f"【{municipality.name}】本人確認書類{_case_title(procedure, applicant)}"
    return ["\n".join([title, *blocks[:1]]), *blocks[1:]], rules


def _cited(ids: IdDocuments, rules: List[IdRule], case_known: bool) -> List[IdCategory]:
    """The lettered ID lists the shown rules refer to (every list when no case or no rule is known)."""
    lettered = [c for c in ids.categories if len(c.id) == 1]
    if not case_known or not rules or not lettered:
        return list(ids.categories)
    text = "\n".join(rule.text for rule in rules)
    return [c for c in lettered if cites_letter(text, c.id)]


def identity_documents_replies(
    kb: KnowledgeBase,
    municipality_id: Optional[str],
    part: Optional[str] = None,
    limit: int = TURN_CHARS,
    procedure: Optional[str] = None,
    applicant: Optional[str] = None,
) -> List[Reply]:
    """The city's ID-document rules for the conversation's case and the lists they cite, as its page gives them.

    In a renewal conversation the renewal's rules, not the reset's; a list that does not fit goes behind a button.
    """
    if municipality_id is None:
        return []
    municipality = kb.municipality(municipality_id)
    ids = municipality.id_documents
    tail = footer(municipality, [ids.source if ids else municipality.source])
    if ids is None:
        return [Reply(f"{municipality.name}のページには本人確認書類の一覧がありません。\n{tail}")]
    asked = [c for c in ids.categories if c.id == part]
    if asked:
        lines = [f"【{municipality.name}】本人確認書類", *_category_lines(asked[0]), *_id_notes(ids)]
        return [Reply("\n".join(lines)), Reply(tail)]
    blocks, rules = _rules_blocks(kb, municipality, procedure, applicant)
    cited = _cited(ids, rules, procedure is not None and applicant is not None)
    budget = limit - len(tail) - len("\n".join(_id_notes(ids)))
    shown, later = _lists_within(blocks, cited, budget)
    bubbles = pack([*blocks, *shown, *_id_notes(ids)], joint="\n")
    return [Reply(bubble) for bubble in bubbles] + [Reply(tail, [category_button(c) for c in later])]


def _id_notes(ids: IdDocuments) -> List[str]:
    return [f"※{note}" for note in ids.notes]


def _lists_within(blocks: List[str], categories: List[IdCategory], budget: int) -> tuple[List[str], List[IdCategory]]:
    """The ID lists that fit after the rules within ``budget`` characters, and those left for buttons."""
    used = sum(len(block) for block in blocks)
    shown: List[str] = []
    for index, category in enumerate(categories):
        block = "\n".join(_category_lines(category))
        if used + len(block) > budget:
            return shown, categories[index:]
        shown.append(block)
        used += len(block)
    return shown, []


def contact_replies(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[Reply]:
    """Who to call: the city's contact, or every city's when the city is unknown."""
    lines = contact_lines(kb, municipality_id)
    known = municipality_id in kb.municipality_ids()
    phoneless = known and not kb.municipality(str(municipality_id)).contact.phones
    head = "担当窓口は次のとおりです。" if phoneless else "担当窓口へのお問い合わせ先は次のとおりです。"
    sources = [kb.municipality(mid).contact.source for mid in kb.municipality_ids() if municipality_id in (None, mid)]
    return [Reply(head + "\n" + "\n".join(lines) + "\n" + source_line(sources))]


def _ask(city: Municipality) -> str:
    """「へお問い合わせください」, or 「でご相談ください」 (in person) when the city's page gives no phone number."""
    return "へお問い合わせください" if city.contact.phones else "でご相談ください"


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
        where = f"{city.name}の担当窓口{_ask(city)}" if city else "お住まいの市の担当窓口へお問い合わせください"
        lines = [
            NOT_PIN_LINE + f"マイナンバーカードの紛失・申請・マイナ保険証などのご用件は、{where}。",
            *contact_lines(kb, municipality_id),
        ]
        return [Reply("\n".join(lines), [])]
    text = "申し訳ありません。このチャットボットは、マイナンバーカードの暗証番号と電子証明書の手続きについてのみご案内しています。"
    if topic in OTHER_SECRET_LINES:
        return [Reply(text + "\n" + OTHER_SECRET_LINES[topic], [])]
    if city:
        ask = "、お問い合わせください" if city.contact.phones else "、担当窓口でご相談ください"
        text += f"\nその他のご用件は{city.name}のホームページをご覧いただくか{ask}。\n{contact_text(city)}"
    else:
        text += "\nその他のご用件は、お住まいの市のホームページをご覧いただくか、市役所へお問い合わせください。"
    return [Reply(text, [])]
