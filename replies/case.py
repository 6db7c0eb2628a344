"""The answer to a diagnosed case: everything a resident needs to pack and go, in the first answer.

Up to three bubbles (replies.layout): (1) what to bring, for each visit, with every condition; (2) every office
where it can be done, one line each, open-now first, with its days, hours and reservation rule; (3) the visits and
what happens between them, the page's key notes (old PIN, 本人しか設定できません), a kiosk or at-home route, then
the contact and the 出典. Buttons lead to background only: the ID lists, the page's full wording and notes, the
offices' own notes. Each bubble stays within ``BUBBLE_CHARS``, the turn within ``turn`` characters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import List, Optional, Sequence

from kb.ids import APPLICANT_LABELS, PROCEDURE_LABELS
from kb.models import Fact, Municipality, Office, Requirements, Source
from kb.store import KnowledgeBase
from replies.checklist import brief_line, bring_parts, full_line, header, unlisted_parts, visits_of
from replies.contact import footer, source_line
from replies.layout import BUBBLE_CHARS, TURN_CHARS, Bubbles, Part, fit, kept_sources, part, texts
from replies.message import Button, Reply
from replies.national import own_kiosk_facts, page_also_says
from replies.offices import office_key_notes, office_list_lines

# Buttons of a case answer: background only. Titles stay within LINE's 20-character quick-reply label.
ID_LISTS = Button("本人確認書類の一覧", "/identity_documents")
DETAILS = Button("手続きの流れと注意", "/case_details")
OFFICE_DETAILS = Button("窓口の詳しい案内", "/office_hours")
# A nationwide rule quoted from another page: the 出典 line names that page (「全国共通の内容：…」).
NATIONWIDE = "（全国共通）"


@dataclass(frozen=True)
class CaseQuery:
    """The diagnosed case, in canonical ids."""

    municipality: str
    procedure: str
    applicant_type: str
    pin_type: Optional[str] = None
    knows_other_pin: Optional[bool] = None


# ---- Routes besides the counter (for the cardholder only).


def _at_home_facts(kb: KnowledgeBase, municipality_id: str) -> List[Fact]:
    """The city's own page if it says so, else an official city page (全国共通), else the explainer."""
    facts = kb.national.change_at_home
    own = [f for f in facts if f.source.municipality == municipality_id]
    official = [f for f in facts if f.source.municipality is not None][:1]
    return own or official or list(facts[:1])


def _at_home_part(kb: KnowledgeBase, query: CaseQuery) -> Optional[Part]:
    """Changing a known PIN at home, from the page that says so."""
    facts = _at_home_facts(kb, query.municipality)
    if not facts:
        return None
    own = facts[0].source.municipality == query.municipality
    label = "" if own else NATIONWIDE
    lines = (f"窓口に行かずにご自身で変更する方法{label}：", *(f"・{f.text}" for f in facts))
    return Part(lines, optional=True, sources=tuple(f.source for f in facts))


def _own_kiosk_note(kb: KnowledgeBase, query: CaseQuery) -> Optional[str]:
    """What the city's own page says about the kiosk, and where it names fewer PINs than the nationwide rule."""
    own = own_kiosk_facts(kb, query.municipality)
    if not own or not query.pin_type:
        return None
    named = {pin for fact in own for pin in fact.pins}
    if not named or query.pin_type in named:
        return page_also_says(kb, own)
    labels = "・".join(kb.national.pin(pin).label for pin in sorted(named))
    name = kb.municipality(query.municipality).name
    return f"※{name}のページには、コンビニでの再設定は{labels}の暗証番号についてのみ記載があります。"


def _kiosk_part(kb: KnowledgeBase, query: CaseQuery) -> Optional[Part]:
    """The kiosk route for the PIN the resident named, or why it does not fit their case."""
    national = kb.national
    store = national.store_reset
    label = NATIONWIDE.strip("（）")
    pin = query.pin_type or ""
    sources = (store.source,)
    if store.available_for(pin):
        other = national.pin(store.other_pin(pin) or "").label
        if not query.knows_other_pin:
            line = f"コンビニ等のキオスク端末での再設定には{other}の暗証番号が必要なため（{label}）、窓口での手続きをご案内しています。"
            return part(line, optional=True, sources=sources)
        return part(
            f"コンビニでも再設定できます（{label}）：{store.place}で再設定できます。",
            f"必要なもの：{'、'.join(store.needs)}、{other}の暗証番号",
            _own_kiosk_note(kb, query),
            optional=True,
            sources=sources,
        )
    if pin in ("all", "four_digit", "resident_registry", "text_input"):
        line = (
            f"※{store.notes[0]}（{label}）。署名用・利用者証明用の再設定だけであれば、"
            "もう一方の暗証番号がわかる場合にコンビニ等でも手続きできます。"
        )
        return part(line, _own_kiosk_note(kb, query), optional=True, sources=sources)
    return None


def alternative_part(kb: KnowledgeBase, query: CaseQuery) -> Optional[Part]:
    """A route besides the counter that applies to this case: the kiosk reset or the change at home."""
    if query.applicant_type != "self":
        return None
    if query.procedure == "pin_change":
        return _at_home_part(kb, query)
    if query.procedure == "pin_reset":
        return _kiosk_part(kb, query)
    return None


# ---- The notes bubble.


def renewal_part(kb: KnowledgeBase, query: CaseQuery) -> Optional[Part]:
    """For renewal: 3 months ahead, and the card stays an ID, cited to the page that states them."""
    if query.procedure != "certificate_renewal":
        return None
    renewal = kb.national.renewal
    own = renewal.source.municipality == query.municipality
    label = "" if own else NATIONWIDE
    lines = [f"※{renewal.text.rstrip('。')}{label}。"]
    if renewal.still_an_id:
        lines.append(f"※{renewal.still_an_id.text}")
    return Part(tuple(lines), sources=(renewal.source,))


def steps_part(req: Requirements) -> Optional[Part]:
    """The visits and what happens between them, as the page gives them."""
    if not req.steps:
        return None
    lead = f"手続きの流れ（窓口へ{req.visits}回）：" if req.visits and req.visits >= 2 else "手続きの流れ："
    return part(lead, *(f"{n}. {step}" for n, step in enumerate(req.steps, start=1)))


def footer_part(municipality: Municipality, sources: Sequence[Optional[Source]]) -> Part:
    """Who to ask and the 出典: the city's own pages, then the pages of nationwide rules (全国共通の内容)."""
    known = [s for s in sources if s is not None]
    own = [s for s in known if s.municipality == municipality.id]
    return part(footer(municipality, own, [s for s in known if s.municipality != municipality.id]))


def notes_parts(kb: KnowledgeBase, req: Requirements, query: CaseQuery) -> List[Part]:
    """The third bubble without its footer: the procedure's key notes, steps, renewal rules, another route."""
    key = part(*(f"※{note}" for note in req.key_notes), movable=True) if req.key_notes else None
    candidates = [key, steps_part(req), renewal_part(kb, query), alternative_part(kb, query)]
    return [p for p in candidates if p is not None]


# ---- The whole answer.


def _office_background(offices: Sequence[Office]) -> bool:
    """True when the offices have notes or a fuller description than the one-line list shows."""
    return any(office.notes or (office.location and office.brief) for office in offices)


def _page_background(req: Requirements) -> bool:
    """True when the page says more about the case than the first answer shows."""
    return req.covered and (bool(req.procedure_notes) or any(full_line(d) != brief_line(d) for d in req.documents))


def _buttons(municipality: Municipality, req: Requirements, offices: Sequence[Office]) -> List[Button]:
    """Background behind buttons: the offices' own notes, the ID lists, the page's full wording and notes."""
    ids = municipality.id_documents
    wanted = [
        (OFFICE_DETAILS, _office_background(offices)),
        (ID_LISTS, ids is not None and bool(ids.categories or ids.rules)),
        (DETAILS, _page_background(req)),
    ]
    return [button for button, shown in wanted if shown]


def _with_footer(laid: Bubbles, municipality: Municipality, req_source: Source) -> List[str]:
    """Replace the footer's placeholder with the one citing only the pages of the parts that were kept."""
    laid[-1][-1] = footer_part(municipality, [req_source, *kept_sources(laid)])
    return texts(laid)


def case_bubbles(
    kb: KnowledgeBase, municipality: Municipality, req: Requirements, query: CaseQuery, now: dt.datetime
) -> Bubbles:
    """The three bubbles before fitting: what to bring, where and when, notes (with a footer citing every page)."""
    offices = kb.offices(query.municipality, query.procedure)
    bring = bring_parts(municipality, req) if req.covered else unlisted_parts(municipality, req)
    where = [part(*office_list_lines(offices, now)), part(*office_key_notes(offices))] if offices else []
    notes = notes_parts(kb, req, query)
    return [bring, where, [*notes, footer_part(municipality, [req.source, *kept_sources([notes])])]]


def case_replies(kb: KnowledgeBase, query: CaseQuery, now: dt.datetime, turn: int = TURN_CHARS) -> List[Reply]:
    """Compose the first answer for one case, from that city's page (nationwide rules say so)."""
    municipality = kb.municipality(query.municipality)
    req = kb.requirements(query.municipality, query.procedure, query.applicant_type)
    if req is None:
        return not_covered_replies(kb, municipality, query)
    laid = fit(case_bubbles(kb, municipality, req, query, now), BUBBLE_CHARS, turn)
    bubbles = _with_footer(laid, municipality, req.source)
    buttons = _buttons(municipality, req, kb.offices(query.municipality, query.procedure))
    return [Reply(text) for text in bubbles[:-1]] + [Reply(bubbles[-1], buttons)]


def not_covered_replies(kb: KnowledgeBase, municipality: Municipality, query: CaseQuery) -> List[Reply]:
    """The city's page does not cover the procedure: say so, what it does cover, nationwide notes, whom to ask."""
    label = PROCEDURE_LABELS[query.procedure]
    lines = [
        header(municipality, label, APPLICANT_LABELS[query.applicant_type]),
        f"{municipality.name}のページには{label}の案内が掲載されていないため、持ち物や窓口をお答えできません。",
    ]
    covered = [PROCEDURE_LABELS[p] for p in kb.procedures(municipality.id)]
    if covered:
        lines.append(f"（{municipality.name}のページで案内しているのは{'・'.join(covered)}です）")
    extra = [p for p in (renewal_part(kb, query), alternative_part(kb, query)) if p is not None]
    replies = [Reply("\n".join(lines))]
    if extra:
        replies.append(Reply("参考：\n" + "\n".join(p.text for p in extra)))
    replies.append(Reply(footer_part(municipality, [municipality.source, *kept_sources([extra])]).text))
    return replies


# ---- Behind 「手続きの流れと注意」: the page's full wording.

SECOND_VISIT = "second_visit"


def _documents_text(req: Requirements, visits: Sequence[int]) -> str:
    split = len(visits_of(req)) > 1
    blocks = []
    for visit in visits:
        lead = f"{visit}回目の来庁時の持ち物：" if split else "持ち物（ページの説明つき）："
        blocks.append("\n".join([lead, *(full_line(d) for d in req.documents_for_visit(visit))]))
    return "\n".join(blocks)


def _flow_text(req: Requirements) -> str:
    lines = ["手続きの流れ：", *(f"{n}. {step}" for n, step in enumerate(req.steps, start=1))] if req.steps else []
    lines += [f"※{note}" for note in req.notes]
    return "\n".join(lines)


def _page_notes_text(req: Requirements) -> str:
    notes = [*req.procedure_notes, *req.key_notes]
    return "ページの注意事項：\n" + "\n".join(f"※{note}" for note in notes) if notes else ""


def _details(municipality: Municipality, req: Requirements, visits: Sequence[int]) -> List[str]:
    """The details' texts for the given visits' documents: documents, steps and notes, page notes."""
    head = header(municipality, req.procedure_label, req.applicant_label)
    return [f"{head}\n{_documents_text(req, visits)}", _flow_text(req), _page_notes_text(req)]


def case_details_replies(
    kb: KnowledgeBase, query: CaseQuery, now: dt.datetime, turn: int = TURN_CHARS, part: Optional[str] = None
) -> List[Reply]:
    """Every document with the page's own wording, the steps and the page's notes; a long second visit apart."""
    municipality = kb.municipality(query.municipality)
    req = kb.requirements(query.municipality, query.procedure, query.applicant_type)
    if req is None or not req.covered:
        return case_replies(kb, query, now, turn)[1:]
    source = source_line([req.source])
    visits = visits_of(req)
    if part == SECOND_VISIT and len(visits) > 1:
        head = header(municipality, req.procedure_label, req.applicant_label)
        return [Reply(f"{head}\n{_documents_text(req, visits[1:])}"), Reply(source)]
    everything = [*_details(municipality, req, visits), source]
    if len(visits) == 1 or len("".join(everything)) <= turn:
        return _replies(everything)
    button = Button("2回目の持ち物", f'/case_details{{"part": "{SECOND_VISIT}"}}')
    return _replies(_details(municipality, req, visits[:1])) + [Reply(source, [button])]


def _replies(texts_: Sequence[str]) -> List[Reply]:
    """One reply per non-empty text."""
    return [Reply(text) for text in texts_ if text]
