"""The last lines of an answer, who to ask and the 出典, and the polite answer when nothing else could be produced.

The one wording of these (the apologies are in the catalogue, replies/catalogue.yml), for Rasa's side (actions, the
REST channel) and for the gateway: this module needs only the standard library and PyYAML, so the gateway's
virtualenv imports it too.
"""

from __future__ import annotations

import logging
from typing import Iterable, List, Optional, Protocol

from kb.directory import default_directory
from kb.models import Municipality, Source
from replies.catalogue import apology

logger = logging.getLogger(__name__)


class Cities(Protocol):
    """Where the cities come from: the full KnowledgeBase or the tolerant kb.directory.MunicipalityDirectory."""

    def municipality_ids(self) -> List[str]:
        """Ids of every city."""

    def municipality(self, mid: str) -> Municipality:
        """The city with this id."""


def _desk(municipality: Municipality) -> str:
    """「三鷹市 市民部 市民課」, or 「千葉市マイナンバーコールセンター」 when the desk's name already names the city."""
    department = municipality.contact.department
    if not department:
        return municipality.name
    return department if department.startswith(municipality.name) else f"{municipality.name} {department}"


def contact_text(municipality: Municipality) -> str:
    """「お問い合わせ：三鷹市 市民部 市民課 届出・証明係 電話 0422-29-9191」 with every phone of the city's own page.

    A page without a phone number: the counter where the desk takes questions in person, when the city file names it.
    """
    contact = municipality.contact
    phones = "、".join(
        f"{phone.number}（{phone.label}）" if phone.label and phone.label != contact.department else phone.number
        for phone in contact.phones
    )
    if not phones and contact.in_person:
        return f"ご相談：{_desk(municipality)}（{contact.in_person}の窓口。ページに電話番号の記載はありません）"
    text = f"お問い合わせ：{_desk(municipality)}"
    text += f" 電話 {phones}" if phones else "（ページに電話番号の記載がありません）"
    if contact.hours:
        text += f"（受付 {contact.hours}）"
    return text


def ask_before_visit(municipality: Municipality) -> Optional[str]:
    """「お越しの前に市民課住基グループ（0572-23-5542）へお問い合わせください。」; None when the page gives no phone.

    A resident is never told to call a desk whose number the page does not give.
    """
    phones = municipality.contact.phones
    if not phones:
        return None
    desk = municipality.contact.department or municipality.name
    return f"お越しの前に{desk}（{phones[0].number}）へお問い合わせください。"


def describe_source(source: Source) -> str:
    """「三鷹市「…」（2025年4月30日更新）」 style reference to one page."""
    publisher = source.publisher or "解説記事"
    page = f"{publisher}「{source.title}」" if source.title else f"{publisher}のページ"
    day = source.updated
    updated = f"{day.year}年{day.month}月{day.day}日更新" if day else "更新日の記載なし"
    return f"{page}（{updated}）"


def _distinct(sources: Iterable[Optional[Source]], skip: Iterable[str] = ()) -> List[Source]:
    seen: List[str] = list(skip)
    out: List[Source] = []
    for source in sources:
        if source is not None and source.id not in seen:
            seen.append(source.id)
            out.append(source)
    return out


def source_line(sources: Iterable[Optional[Source]], nationwide: Iterable[Source] = ()) -> str:
    """「出典：…」 naming each distinct page once, in order of first use; pages of nationwide rules say so (None: no page)."""
    own = _distinct(sources)
    national = _distinct(nationwide, skip=[s.id for s in own])
    if not own and national:
        return "出典（全国共通の内容）：" + "、".join(describe_source(source) for source in national)
    line = "出典：" + "、".join(describe_source(source) for source in own)
    if national:
        line += "／全国共通の内容：" + "、".join(describe_source(source) for source in national)
    return line


def footer(municipality: Municipality, pages: Iterable[Optional[Source]], nationwide: Iterable[Source] = ()) -> str:
    """Who to ask and the 出典, with the page of the contact when it is a second page of the city."""
    return f"{contact_text(municipality)}\n{source_line([*pages, municipality.contact.source], nationwide)}"


def contact_lines(cities: Cities, municipality_id: Optional[str]) -> List[str]:
    """Contact of the given city, or of every city when unknown."""
    ids = cities.municipality_ids()
    if municipality_id in ids:
        return [contact_text(cities.municipality(str(municipality_id)))]
    return [contact_text(cities.municipality(mid)) for mid in ids]


def fallback_message(municipality_id: Optional[str], cities: Optional[Cities] = None) -> str:
    """Apology plus the city's contact (every city's when unknown), used whenever a turn would get no answer.

    Without `cities`, the tolerant city directory is read: the phone number must reach the resident even when
    the rest of the knowledge base fails to load.
    """
    try:
        source = cities if cities is not None else default_directory()
        known = municipality_id if municipality_id in source.municipality_ids() else _resolve(source, municipality_id)
        lines = contact_lines(source, known) or [apology("generic_contact")]
    except Exception:  # noqa: BLE001 - even a broken KB must not leave the resident without an answer
        logger.exception("Knowledge base unavailable for the fallback message.")
        lines = [apology("generic_contact")]
    return "\n".join([apology("unavailable"), *lines])


def _resolve(cities: Cities, value: Optional[str]) -> Optional[str]:
    """A city name or alias given instead of an id (「三鷹市」 in page metadata)."""
    resolve = getattr(cities, "resolve_municipality", None) or getattr(cities, "resolve", None)
    return resolve(value) if value and resolve is not None else None
