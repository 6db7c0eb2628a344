"""The answer to a diagnosed case: checklist, steps, offices, alternatives, contact and source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional

from kb import KnowledgeBase
from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS
from kb.models import Document, Municipality, Requirements, Source

from replies.contact import contact_text, short_contact
from replies.message import Reply
from replies.offices import offices_text
from replies.sources import describe_source, source_line


@dataclass(frozen=True)
class CaseQuery:
    """The diagnosed case, in canonical ids."""

    municipality: str
    procedure: str
    applicant_type: str
    pin_type: Optional[str] = None
    knows_other_pin: Optional[bool] = None


def _document_line(document: Document) -> str:
    line = f"・{document.name}"
    if document.note:
        line += f"（{document.note}）"
    for option in document.options:
        line += f"\n　- {option}"
    if document.exemption:
        line += f"\n　※{document.exemption}"
    return line


def checklist_text(municipality: Municipality, req: Requirements) -> str:
    """「【三鷹市】暗証番号の再設定（本人が手続きする場合）」 and the documents to bring."""
    header = f"【{municipality.name}】{req.procedure_label}（{req.applicant_label}が手続きする場合）"
    visits = sorted({document.visit or 1 for document in req.documents})
    if len(visits) <= 1:
        body = "持ち物：\n" + "\n".join(_document_line(d) for d in req.documents)
    else:
        body = "\n\n".join(
            f"{visit}回目の来庁時の持ち物：\n" + "\n".join(_document_line(d) for d in req.documents_for_visit(visit))
            for visit in visits
        )
    return f"{header}\n{body}"


def steps_text(req: Requirements) -> Optional[str]:
    """The flow (one visit or two with a mailed 照会書) and the page's notes, if any."""
    lines: List[str] = []
    if req.visits and req.visits >= 2:
        lines.append(f"この手続きは即日では完了せず、窓口へ{req.visits}回お越しいただきます。")
    if req.steps:
        lines.append("手続きの流れ：")
        lines.extend(f"{number}. {step}" for number, step in enumerate(req.steps, start=1))
    notes = list(req.procedure_notes) + list(req.notes)
    lines.extend(f"※{note}" for note in notes)
    return "\n".join(lines) if lines else None


def alternatives_text(kb: KnowledgeBase, query: CaseQuery) -> tuple[Optional[str], List[Source]]:
    """Routes besides the counter that apply to this case, with the pages they come from."""
    national = kb.national
    store = national.store_reset
    if query.procedure == "pin_change":
        # Prefer the resident's own city page, else the general explainer: never another city's page.
        facts = [f for f in national.change_at_home if f.source.municipality == query.municipality] or [
            f for f in national.change_at_home if f.source.municipality is None
        ]
        return ("窓口に行かずに変更する方法：\n" + "\n".join(f"・{fact.text}" for fact in facts), [f.source for f in facts])
    if query.procedure != "pin_reset" or query.applicant_type != "self" or not query.pin_type:
        return None, []
    if store.available_for(query.pin_type):
        other = national.pin(store.other_pin(query.pin_type) or "").label
        if query.knows_other_pin:
            needs = "、".join(store.needs)
            text = (
                f"コンビニでも再設定できます：{store.summary}\n"
                f"必要なもの：{needs}、{other}の暗証番号"
            )
        else:
            text = f"コンビニ等のキオスク端末での再設定には{other}の暗証番号が必要なため、窓口での手続きをご案内しています。"
        return text, [store.source]
    if query.pin_type in ("all", "four_digit", "resident_registry", "text_input"):
        return "※" + store.notes[0] + "。署名用・利用者証明用の再設定だけであれば、もう一方の暗証番号がわかる場合にコンビニ等でも手続きできます。", [store.source]
    return None, []


def not_covered_replies(kb: KnowledgeBase, municipality: Municipality, query: CaseQuery, req: Optional[Requirements]) -> List[Reply]:
    """Honest answer when the city's page does not cover this case: say so, give the contact."""
    label = PROCEDURE_LABELS[query.procedure]
    applicant = APPLICANT_LABELS[query.applicant_type]
    if req is None:
        text = f"{municipality.name}のページには{label}の案内が掲載されていないため、持ち物や窓口をお答えできません。"
    else:
        text = f"{municipality.name}のページには、{applicant}が{label}をする場合の持ち物の一覧が掲載されていません。"
        extra = [req.coverage_note] if req.coverage_note else []
        extra += list(req.procedure_notes) + list(req.notes)
        if extra:
            text += "\nページに記載されている内容：\n" + "\n".join(f"・{line}" for line in extra)
    replies = [Reply(text)]
    sources: List[Source] = [req.source] if req else [municipality.source]
    if query.procedure == "certificate_renewal":
        renewal = kb.national.renewal
        replies.append(Reply(f"参考（{describe_source(renewal.source)}より）：{renewal.text}" + (f"{renewal.notice}" if renewal.notice else "")))
    alternatives, alt_sources = alternatives_text(kb, query)
    if alternatives:
        replies.append(Reply(alternatives))
        sources += alt_sources
    replies.append(Reply(f"詳しくはお問い合わせください。\n{contact_text(municipality)}\n{source_line(sources)}"))
    return replies


def case_replies(kb: KnowledgeBase, query: CaseQuery, now: dt.datetime) -> List[Reply]:
    """Compose the whole answer for one case, from that city's page only."""
    municipality = kb.municipality(query.municipality)
    req = kb.requirements(query.municipality, query.procedure, query.applicant_type)
    if req is None or not req.covered or not req.documents:
        return not_covered_replies(kb, municipality, query, req)
    replies = [Reply(checklist_text(municipality, req))]
    steps = steps_text(req)
    if steps:
        replies.append(Reply(steps))
    offices = kb.offices(query.municipality, query.procedure)
    if offices:
        replies.append(Reply("手続きできる窓口：\n\n" + offices_text(list(offices), now, short_contact(municipality))))
    sources: List[Source] = [req.source]
    alternatives, alt_sources = alternatives_text(kb, query)
    if alternatives:
        replies.append(Reply(alternatives))
        sources += alt_sources
    replies.append(Reply(f"{contact_text(municipality)}\n{source_line(sources)}"))
    return replies
