"""The city's contact, and the polite answer when nothing else could be produced."""

from __future__ import annotations

import logging
from typing import List, Optional

from kb import KnowledgeBase, load_kb
from kb.models import Municipality

logger = logging.getLogger(__name__)


def contact_text(municipality: Municipality) -> str:
    """「お問い合わせ：三鷹市 市民部 市民課 届出・証明係 0422-29-9191」 from the city's own page."""
    contact = municipality.contact
    phones = "、".join(
        f"{phone.number}（{phone.label}）" if phone.label and phone.label != contact.department else phone.number
        for phone in contact.phones
    )
    text = f"お問い合わせ：{municipality.name} {contact.department}"
    if phones:
        text += f" 電話 {phones}"
    else:
        text += "（ページに電話番号の記載がありません）"
    if contact.hours:
        text += f"（受付 {contact.hours}）"
    return text


def short_contact(municipality: Municipality) -> str:
    """「市民課住基グループ（0572-23-5542）」: who to ask, for a status line."""
    phones = municipality.contact.phones
    return f"{municipality.contact.department}（{phones[0].number}）" if phones else municipality.contact.department


def all_contacts_text(kb: KnowledgeBase) -> str:
    """One contact line per city, for when the resident's city is not known."""
    return "\n".join(contact_text(kb.municipality(mid)) for mid in kb.municipality_ids())


def fallback_message(municipality_id: Optional[str], kb: Optional[KnowledgeBase] = None) -> str:
    """Apology plus the right phone number, used when a turn would otherwise get no answer."""
    apology = "申し訳ありません。ただいまお答えを用意できませんでした。少し時間をおいてもう一度お試しいただくか、お電話でお問い合わせください。"
    try:
        kb = kb or load_kb()
        known = municipality_id if municipality_id in kb.municipality_ids() else kb.resolve_municipality(municipality_id or "")
        if known:
            return f"{apology}\n{contact_text(kb.municipality(known))}"
        return f"{apology}\n{all_contacts_text(kb)}"
    except Exception:  # noqa: BLE001 - even a broken KB must not leave the resident without an answer
        logger.exception("Knowledge base unavailable for the fallback message.")
        return f"{apology}\nお住まいの市役所の担当窓口へお問い合わせください。"


def contact_lines(kb: KnowledgeBase, municipality_id: Optional[str]) -> List[str]:
    """Contact of the given city, or of every city when unknown."""
    if municipality_id in kb.municipality_ids():
        return [contact_text(kb.municipality(municipality_id))]
    return [contact_text(kb.municipality(mid)) for mid in kb.municipality_ids()]
