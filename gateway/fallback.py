"""The polite reply a resident gets whenever the assistant cannot answer."""

from __future__ import annotations

from gateway.municipalities import Municipality, MunicipalityDirectory

APOLOGY = "申し訳ありません。ただいまシステムの都合により、ご質問にお答えできません。"
GENERIC_CONTACT = "お住まいの市役所の担当窓口へお問い合わせください。"


def _contact_line(municipality: Municipality) -> str | None:
    if not municipality.phones:
        return None
    phone = municipality.phones[0].number
    desk = municipality.name
    if municipality.department:
        # Some departments already carry the city's name (千葉市マイナンバーコールセンター).
        dept = municipality.department
        desk = dept if dept.startswith(municipality.name) else f"{municipality.name} {dept}"
    details = f"電話 {phone}"
    if municipality.hours:
        details += f"、{municipality.hours}"
    return f"お手数ですが、{desk}（{details}）へお問い合わせください。"


def fallback_text(directory: MunicipalityDirectory, municipality_id: str | None) -> str:
    """Apologise and give the city's phone number, or every city's when the resident's city is unknown."""
    municipality = directory.get(municipality_id)
    if municipality is not None:
        line = _contact_line(municipality)
        return f"{APOLOGY}\n{line or GENERIC_CONTACT}"
    listed = [f"・{m.name} {m.phones[0].number}" for m in directory.all() if m.phones]
    if not listed:
        return f"{APOLOGY}\n{GENERIC_CONTACT}"
    return f"{APOLOGY}\nお手数ですが、お住まいの市の担当窓口へお問い合わせください。\n" + "\n".join(listed)
