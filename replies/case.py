"""The answer to a diagnosed case: a short checklist first, the details behind buttons.

One turn: (1) the checklist: what to bring and where to go, at most ``Limits.checklist`` characters;
(2) the one or two offices that fit now; (3) the points that change what the resident does (two visits,
kiosk or at-home route, renewal notes); (4) the contact and the 出典, with buttons for the other offices,
the ID lists and the step-by-step details (``case_details_replies``). A turn stays within ``Limits.turn``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Sequence

from kb import KnowledgeBase
from kb.calendar import opening_status
from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS
from kb.models import Document, Municipality, Office, Requirements, Source
from replies.contact import contact_text, short_contact
from replies.message import Button, Reply
from replies.offices import offices_text
from replies.sources import nationwide_label, source_line

# Buttons of a case answer. Titles stay within LINE's 20-character quick-reply label.
OTHER_OFFICES = Button("ほかの窓口", "/office_hours")
ID_LISTS = Button("本人確認書類の一覧", "/identity_documents")
DETAILS = Button("手続きの流れと注意", "/case_details")
MAX_OFFICES = 2
SHORT_NOTE = 30  # a document's note is kept in the checklist when it is at most this long


@dataclass(frozen=True)
class Limits:
    """Length budget of one answer, in characters (the action server reads it from its settings)."""

    checklist: int = 300
    turn: int = 700


@dataclass(frozen=True)
class CaseQuery:
    """The diagnosed case, in canonical ids."""

    municipality: str
    procedure: str
    applicant_type: str
    pin_type: Optional[str] = None
    knows_other_pin: Optional[bool] = None


def _document_line(document: Document, detail: int) -> str:
    """One document: detail 2 = everything the page says, 1 = name and a short note, 0 = name only."""
    line = f"・{document.name}"
    if document.form and detail >= 1:
        line += f"（{document.form}）"
    if document.options and detail < 2:
        # The page's note points at options (「下記1もしくは2」) that the short checklist does not show.
        line += (
            f"（{len(document.options)}通り。どれに当たるかは「{DETAILS.title}」でご確認ください）"
            if detail == 1
            else ""
        )
    elif document.note and (detail >= 2 or (detail == 1 and len(document.note) <= SHORT_NOTE)):
        line += f"（{document.note}）"
    if detail >= 2:
        line += "".join(f"\n　- {option}" for option in document.options)
        line += "".join(f"\n　※{remark}" for remark in document.remarks)
    if document.exemption and detail >= 1:
        line += f"\n　※{document.exemption}"
    return line


def _documents(documents: Sequence[Document], detail: int) -> str:
    return "\n".join(_document_line(d, detail) for d in documents)


def _split(req: Requirements) -> bool:
    return len({d.visit or 1 for d in req.documents}) > 1


def _header(municipality: Municipality, req_label: str, applicant: str) -> str:
    return f"【{municipality.name}】{req_label}（{applicant}が手続きする場合）"


def checklist_text(
    municipality: Municipality,
    req: Requirements,
    where: str,
    extra: Sequence[str],
    limit: int,
    notes: Sequence[str] = (),
) -> tuple[str, bool]:
    """The checklist within ``limit`` characters, and whether anything of it was left for the details.

    Tried in order: every document note with the ID rules (``extra``) and the applicant's notes (``notes``),
    then shorter notes, then the ID rules alone, then the names alone.
    """
    header = _header(municipality, req.procedure_label, req.applicant_label)
    if _split(req):
        first = req.documents_for_visit(1)
        lead = (
            f"窓口へ{req.visits or 2}回お越しいただきます。1回目の持ち物：" if req.visits else "1回目の来庁時の持ち物："
        )
        hidden_always = len(first) < len(req.documents)
    else:
        first = req.documents
        lead = (
            f"持ち物（窓口へ{req.visits}回お越しいただきます。1回目）："
            if req.visits and req.visits >= 2
            else "持ち物："
        )
        hidden_always = False
    everything = [*extra, *(f"※{note}" for note in notes)]
    tries = [(2, everything), (1, everything), (2, list(extra)), (1, list(extra)), (0, list(extra)), (0, [])]
    text = ""
    for detail, lines_extra in tries:
        text = "\n".join(line for line in [header, lead, _documents(first, detail), *lines_extra, where] if line)
        if len(text) <= limit:
            full = _documents(first, 2) == _documents(first, detail)
            return text, hidden_always or not full or len(lines_extra) < len(everything)
    return text, True


def pick_offices(offices: Sequence[Office], now: dt.datetime, count: int = MAX_OFFICES) -> List[Office]:
    """The offices that fit now: open now, else opening soonest, else the first (main) counter of the page."""
    statuses = [(office, opening_status(office, now)) for office in offices]
    open_now = [office for office, status in statuses if status.is_open]
    if open_now:
        return open_now[:count]
    upcoming = sorted(
        ((status.next_open, index) for index, (_, status) in enumerate(statuses) if status.next_open is not None)
    )
    if upcoming:
        return [offices[index] for _, index in upcoming[:count]]
    return list(offices[:1])


def _where(offices: Sequence[Office], shown: Sequence[Office]) -> str:
    names = "、".join(office.name for office in shown)
    more = len(offices) - len(shown)
    return f"窓口：{names}" + (f"（ほか{more}か所）" if more > 0 else "")


def alternatives_text(kb: KnowledgeBase, query: CaseQuery, short: bool = False) -> tuple[Optional[str], List[Source]]:
    """Routes besides the counter that apply to this case (for the cardholder only), with their pages."""
    national = kb.national
    store = national.store_reset
    if query.applicant_type != "self":
        return None, []
    if query.procedure == "pin_change":
        # The resident's own city page if it says so, else an official city page (全国共通), else the explainer.
        facts = (
            [f for f in national.change_at_home if f.source.municipality == query.municipality]
            or [f for f in national.change_at_home if f.source.municipality is not None][:1]
            or list(national.change_at_home[:1])
        )
        label = (
            ""
            if facts and facts[0].source.municipality == query.municipality
            else f"（{nationwide_label(facts[0].source)}）"
        )
        return "窓口に行かずにご自身で変更する方法" + label + "：\n" + "\n".join(f"・{f.text}" for f in facts), [
            f.source for f in facts
        ]
    if query.procedure != "pin_reset" or not query.pin_type:
        return None, []
    label = nationwide_label(store.source)
    if store.available_for(query.pin_type):
        other = national.pin(store.other_pin(query.pin_type) or "").label
        if query.knows_other_pin:
            summary = f"：{store.summary}" if not short else f"：{store.place}で再設定できます。"
            text = f"コンビニでも再設定できます（{label}）{summary}\n必要なもの：{'、'.join(store.needs)}、{other}の暗証番号"
        else:
            text = f"コンビニ等のキオスク端末での再設定には{other}の暗証番号が必要なため（{label}）、窓口での手続きをご案内しています。"
        return text, [store.source]
    if query.pin_type in ("all", "four_digit", "resident_registry", "text_input"):
        return (
            f"※{store.notes[0]}（{label}）。署名用・利用者証明用の再設定だけであれば、もう一方の暗証番号がわかる場合にコンビニ等でも手続きできます。",
            [store.source],
        )
    return None, []


def _renewal_notes(kb: KnowledgeBase, query: CaseQuery) -> tuple[List[str], List[Source]]:
    """For renewal: the nationwide rules (3 months ahead, still valid as ID), cited to the page that states them."""
    if query.procedure != "certificate_renewal":
        return [], []
    renewal = kb.national.renewal
    own = renewal.source.municipality == query.municipality
    label = "" if own else f"（{nationwide_label(renewal.source)}）"
    id_note = next((note for note in renewal.notes if "本人確認書類" in note), None)
    lines = [f"※{renewal.text.rstrip('。')}{label}。"]
    if id_note:
        lines.append(f"※{id_note}")
    return lines, [renewal.source]


def _id_notes(municipality: Municipality, req: Requirements) -> List[str]:
    """The city's rules for every ID document (「必ず原本をお持ちください（コピー不可）」), when the checklist asks for one."""
    ids = municipality.id_documents
    if ids is None or not any("本人確認" in d.name for d in req.documents):
        return []
    return [f"※{note}" for note in ids.notes if "一覧" not in note and "御相談" not in note]


def _has_id_lists(municipality: Municipality) -> bool:
    ids = municipality.id_documents
    return ids is not None and bool(ids.categories or ids.rules)


def _fit(replies: List[Reply], limit: int, optional: Sequence[int]) -> List[Reply]:
    """Drop the optional bubbles (by index, last first) until the turn fits ``limit``."""
    kept = list(replies)
    for index in sorted(optional, reverse=True):
        if sum(len(r.text or "") for r in kept) <= limit:
            break
        kept[index] = Reply("")
    return [r for r in kept if r.text or r.buttons]


def not_covered_replies(
    kb: KnowledgeBase,
    municipality: Municipality,
    query: CaseQuery,
    req: Optional[Requirements],
    now: dt.datetime,
    limits: Limits,
) -> List[Reply]:
    """Honest answer when the city's page does not list the documents: say so, what it does say, and whom to ask."""
    label = PROCEDURE_LABELS[query.procedure]
    applicant = APPLICANT_LABELS[query.applicant_type]
    offices = kb.offices(query.municipality, query.procedure)
    shown = pick_offices(offices, now) if offices else []
    lines = [_header(municipality, label, applicant)]
    if req is None:
        lines.append(
            f"{municipality.name}のページには{label}の案内が掲載されていないため、持ち物や窓口をお答えできません。お問い合わせください。"
        )
    else:
        lines.append(
            f"{municipality.name}のページには、{applicant}が{label}をする場合の持ち物の一覧が掲載されていません。お越しの前にお問い合わせください。"
        )
        if shown:
            lines.append(_where(offices, shown))
    replies = [Reply("\n".join(lines))]
    sources: List[Source] = [req.source] if req else [municipality.source]
    nationwide: List[Source] = []
    if req is not None:
        said: List[str] = []
        if req.visits and req.visits >= 2:
            said.append(f"この手続きは即日では完了せず、窓口へ{req.visits}回お越しいただきます。")
        said += [f"{n}. {step}" for n, step in enumerate(req.steps, start=1)]
        said += [f"※{note}" for note in req.notes]
        if said:
            replies.append(Reply("ページに書かれている手続きの流れと注意：\n" + "\n".join(said)))
    renewal, renewal_sources = _renewal_notes(kb, query)
    if renewal:
        replies.append(Reply("参考：\n" + "\n".join(renewal)))
        nationwide += renewal_sources
    alternatives, alt_sources = alternatives_text(kb, query)
    if alternatives:
        replies.append(Reply(alternatives))
        nationwide += [s for s in alt_sources if s.municipality != query.municipality]
        sources += [s for s in alt_sources if s.municipality == query.municipality]
    buttons = [ID_LISTS] if req is not None and _has_id_lists(municipality) else []
    if len(offices) > len(shown):
        buttons.insert(0, OTHER_OFFICES)
    replies.append(Reply(f"{contact_text(municipality)}\n{source_line(sources, nationwide)}", buttons))
    return _fit(replies, limits.turn, optional=range(1, len(replies) - 1))


def case_replies(kb: KnowledgeBase, query: CaseQuery, now: dt.datetime, limits: Limits = Limits()) -> List[Reply]:
    """Compose the whole answer for one case, from that city's page (nationwide rules say so)."""
    municipality = kb.municipality(query.municipality)
    req = kb.requirements(query.municipality, query.procedure, query.applicant_type)
    if req is None or not req.covered or not req.documents:
        return not_covered_replies(kb, municipality, query, req, now, limits)
    offices = kb.offices(query.municipality, query.procedure)
    replies: List[Reply] = []
    # Longest first: two offices and the whole kiosk summary; then one office; then the short kiosk line.
    for count, short in ((MAX_OFFICES, False), (1, False), (1, True)):
        replies = _case_turn(
            kb, municipality, req, query, offices, pick_offices(offices, now, count), now, limits, short
        )
        if sum(len(reply.text or "") for reply in replies) <= limits.turn:
            return replies
    return _fit(replies, limits.turn, optional=range(1, len(replies) - 1))


def _case_turn(
    kb: KnowledgeBase,
    municipality: Municipality,
    req: Requirements,
    query: CaseQuery,
    offices: Sequence[Office],
    shown: Sequence[Office],
    now: dt.datetime,
    limits: Limits,
    short: bool,
) -> List[Reply]:
    """One composition of the case answer with the given offices and kiosk wording."""
    checklist, hidden = checklist_text(
        municipality, req, _where(offices, shown), _id_notes(municipality, req), limits.checklist, req.notes
    )
    replies = [Reply(checklist)]
    if shown:
        replies.append(Reply(offices_text(list(shown), now, short_contact(municipality), notes=0)))
    sources: List[Source] = [req.source]
    nationwide: List[Source] = []
    points: List[str] = []
    if req.visits and req.visits >= 2:
        points.append(
            f"この手続きは即日では完了しません（窓口へ{req.visits}回）。流れは「{DETAILS.title}」でご案内します。"
        )
    renewal, renewal_sources = _renewal_notes(kb, query)
    points += renewal
    alternatives, alt_sources = alternatives_text(kb, query, short)
    if alternatives:
        points.append(alternatives)
    for source in (*renewal_sources, *alt_sources):
        (sources if source.municipality == query.municipality else nationwide).append(source)
    if points:
        replies.append(Reply("\n".join(points)))
    buttons = []
    if len(offices) > len(shown):
        buttons.append(OTHER_OFFICES)
    if _has_id_lists(municipality):
        buttons.append(ID_LISTS)
    if hidden or req.steps or req.notes or req.procedure_notes:
        buttons.append(DETAILS)
    replies.append(Reply(f"{contact_text(municipality)}\n{source_line(sources, nationwide)}", buttons))
    return replies


SECOND_VISIT = "visit2"


def case_details_replies(
    kb: KnowledgeBase, query: CaseQuery, now: dt.datetime, limits: Limits = Limits(), part: Optional[str] = None
) -> List[Reply]:
    """Behind 「手続きの流れと注意」: every document with the page's notes, the steps and the page's notes.

    When the page splits the documents by visit, the second visit's documents are one more button away
    (part ``visit2``), so that each turn stays short.
    """
    municipality = kb.municipality(query.municipality)
    req = kb.requirements(query.municipality, query.procedure, query.applicant_type)
    if req is None or not req.covered or not req.documents:
        return not_covered_replies(kb, municipality, query, req, now, limits)[1:]
    header = _header(municipality, req.procedure_label, req.applicant_label)
    source = Reply(source_line([req.source]))
    visits = sorted({d.visit or 1 for d in req.documents})
    if part == SECOND_VISIT and len(visits) > 1:
        later = "\n".join(
            f"{visit}回目の来庁時の持ち物：\n" + _documents(req.documents_for_visit(visit), 2) for visit in visits[1:]
        )
        return [Reply(f"{header}\n{later}"), source]
    more = any(d.options or d.remarks or d.exemption or (d.note and len(d.note) > SHORT_NOTE) for d in req.documents)
    if len(visits) > 1:
        documents = "1回目の来庁時の持ち物：\n" + _documents(req.documents_for_visit(1), 2)
    elif more:
        documents = "持ち物（ページの説明つき）：\n" + _documents(req.documents, 2)
    else:
        documents = ""
    replies = [Reply(f"{header}\n{documents}" if documents else header)]
    flow: List[str] = []
    if req.steps:
        flow.append("手続きの流れ：")
        flow += [f"{n}. {step}" for n, step in enumerate(req.steps, start=1)]
    flow += [f"※{note}" for note in req.notes]
    if flow:
        replies.append(Reply("\n".join(flow)))
    if req.procedure_notes:
        replies.append(Reply("ページの注意事項：\n" + "\n".join(f"※{note}" for note in req.procedure_notes)))
    buttons = [Button("2回目の持ち物", f'/case_details{{"part": "{SECOND_VISIT}"}}')] if len(visits) > 1 else []
    replies.append(Reply(source.text, buttons))
    return _fit(replies, limits.turn, optional=[len(replies) - 2] if len(replies) > 2 else [])
