"""What to bring: the first bubble of a case answer, and the full document text behind 「手続きの流れと注意」."""

from __future__ import annotations

import re
from typing import List, Optional, Sequence

from kb.models import Document, IdCategory, Municipality, Requirements
from replies.contact import ask_before_visit
from replies.layout import Part, part

# A page note is kept in the checklist when it is this short; longer ones need a `brief` in the city file.
SHORT_NOTE = 30


def header(municipality: Municipality, procedure_label: str, applicant_label: str) -> str:
    """「【三鷹市】暗証番号の再設定（本人が手続きする場合）」."""
    return f"【{municipality.name}】{procedure_label}（{applicant_label}が手続きする場合）"


def _short_note(document: Document) -> Optional[str]:
    """The conditions the first answer shows: the city file's brief, else a short note that is not an instruction.

    A note such as 「暗証番号の再設定をする方のマイナンバーカードをお持ちください。」 only repeats the name.
    """
    if document.brief:
        return document.brief
    note = document.note
    if note and len(note) <= SHORT_NOTE and not note.endswith("ください。"):
        return note
    return None


def _document_line(
    document: Document, said: Sequence[Optional[str]], options: Sequence[str], remarks: Sequence[str]
) -> str:
    """「・name（…）」, then the given options and remarks and the exemption, each on a line of its own."""
    line = f"・{document.name}" + "".join(f"（{text}）" for text in said if text)
    line += "".join(f"\n　- {option}" for option in options)
    return line + "".join(f"\n　{note_line(note)}" for note in (*remarks, document.exemption) if note)


def brief_line(document: Document) -> str:
    """One document as the first answer lists it: name, conditions, the page's options, its exemption."""
    return _document_line(document, [_short_note(document)], () if document.brief else document.options, ())


def full_line(document: Document) -> str:
    """One document with everything the page says about it (behind 「手続きの流れと注意」)."""
    return _document_line(document, [document.form, document.note], document.options, document.remarks)


def note_line(note: str) -> str:
    """「※…。」; a note without final punctuation is one of the page's parentheses and is shown as one."""
    return f"※{note}" if note.endswith(("。", "）", "」")) else f"※（{note}）"


def visits_of(req: Requirements) -> List[int]:
    """The visit numbers the page splits the documents into ([1] when it does not)."""
    return sorted({d.visit or 1 for d in req.documents})


def cites_letter(text: str, letter: str) -> bool:
    """True when ``text`` refers to the ID list named ``letter`` (Aから1点, 本人確認書類Aを1点, （A）2点, +Bから)."""
    return re.search(rf"(?<![A-Za-z]){letter}(から|を|）|\))|（{letter}）", text) is not None


def legend(municipality: Municipality, shown: Sequence[str]) -> Optional[str]:
    """「※A＝…、B＝…」 for the page's lettered ID lists that the shown text refers to."""
    ids = municipality.id_documents
    if ids is None:
        return None
    text = "\n".join(shown)
    used: List[IdCategory] = [c for c in ids.categories if len(c.id) == 1 and c.brief and cites_letter(text, c.id)]
    if not used:
        return None
    return "※" + "、".join(f"{c.id}＝{c.brief}" for c in used)


def id_notes(municipality: Municipality, req: Requirements) -> List[str]:
    """The city's rules for every ID document (「必ず原本をお持ちください（コピー不可）。」) when one is asked for."""
    ids = municipality.id_documents
    if ids is None or not any("本人確認" in d.name for d in req.documents):
        return []
    return [f"※{note}" for note in ids.notes if "一覧" not in note and "御相談" not in note]


def _visit_part(req: Requirements, visit: int, split: bool, movable: bool) -> Part:
    lead = f"{visit}回目の持ち物：" if split else "持ち物："
    return part(lead, *(brief_line(d) for d in req.documents_for_visit(visit)), movable=movable)


def _notes_and_legend(municipality: Municipality, notes: List[str], shown: Sequence[str]) -> List[Part]:
    """The notes, then the legend of the lettered ID lists that ``shown`` refers to: movable parts, if any."""
    key = legend(municipality, shown)
    return [part(*lines, movable=True) for lines in (notes, [key] if key else []) if lines]


def bring_parts(municipality: Municipality, req: Requirements) -> List[Part]:
    """The first bubble: header, the documents of each visit, the applicant's notes, the ID rules and legend."""
    visits = visits_of(req)
    split = len(visits) > 1
    parts = [part(header(municipality, req.procedure_label, req.applicant_label))]
    parts += [_visit_part(req, visit, split, movable=visit > 1) for visit in visits]
    notes = [note_line(note) for note in req.notes] + id_notes(municipality, req)
    return parts + _notes_and_legend(municipality, notes, [*(p.text for p in parts), *notes])


def unlisted_parts(municipality: Municipality, req: Requirements) -> List[Part]:
    """The first bubble when the chat cannot list the documents (多治見市: the page's lists are not in our copy)."""
    label, who = req.procedure_label, req.applicant_label
    if req.listed_on_page:
        said = f"{municipality.name}のページには{who}の持ち物の一覧がありますが、このチャットではご案内できません。"
    else:
        said = f"{municipality.name}のページには、{who}が{label}をする場合の持ち物の一覧がありません。"
    notes = [note_line(note) for note in req.notes]
    head = part(header(municipality, label, who), said + (ask_before_visit(municipality) or ""))
    return [head, *_notes_and_legend(municipality, notes, notes)]
