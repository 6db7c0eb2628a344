"""The four cities' names and contact details, read from the knowledge base's municipality files."""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

# The canonical ids and names of docs/ARCHITECTURE.md; the KB may refine names but these keep resolution working
# while its files are missing or being rewritten.
KNOWN_MUNICIPALITIES: dict[str, str] = {
    "mitaka": "三鷹市",
    "chiba": "千葉市",
    "tajimi": "多治見市",
    "ryugasaki": "龍ケ崎市",
}


@dataclass(frozen=True)
class Phone:
    """One telephone number of a city's contact desk."""

    number: str
    label: str | None = None


@dataclass(frozen=True)
class Municipality:
    """A city's id, Japanese name and (possibly incomplete) contact block."""

    id: str
    name: str
    department: str | None = None
    phones: tuple[Phone, ...] = ()
    hours: str | None = None
    aliases: tuple[str, ...] = ()


def _normalise(value: str) -> str:
    # Residents' pages write 龍ケ崎 / 龍ヶ崎 / 竜ヶ崎 and full-width letters; compare on one spelling.
    text = unicodedata.normalize("NFKC", value).strip().lower()
    for variant in ("ヶ", "ｹ", "が"):
        text = text.replace(variant, "ケ")
    return text.replace("竜", "龍")


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()
    return None


def _parse(data: Any, fallback_id: str) -> Municipality | None:
    if not isinstance(data, dict):
        return None
    mid = _text(data.get("id")) or fallback_id
    name = _text(data.get("name")) or KNOWN_MUNICIPALITIES.get(mid)
    if not name:
        return None
    contact = data.get("contact") if isinstance(data.get("contact"), dict) else {}
    phones: list[Phone] = []
    raw_phones = contact.get("phones") if isinstance(contact.get("phones"), list) else []
    for item in raw_phones:
        if isinstance(item, dict) and _text(item.get("number")):
            phones.append(Phone(number=str(_text(item.get("number"))), label=_text(item.get("label"))))
        elif _text(item):
            phones.append(Phone(number=str(_text(item))))
    raw_aliases = data.get("aliases") if isinstance(data.get("aliases"), list) else []
    return Municipality(
        id=mid,
        name=name,
        department=_text(contact.get("department")),
        phones=tuple(phones),
        hours=_text(contact.get("hours")),
        aliases=tuple(str(a) for a in raw_aliases if _text(a)),
    )


class MunicipalityDirectory:
    """Looks cities up by id or Japanese name; reads the KB lazily and tolerates missing or malformed files."""

    def __init__(self, knowledge_dir: Path) -> None:
        """Remember where the KB lives; nothing is read until first use."""
        self._dir = knowledge_dir / "municipalities"
        self._lock = threading.Lock()
        self._cache: dict[str, Municipality] | None = None

    def _load(self) -> dict[str, Municipality]:
        with self._lock:
            if self._cache is not None:
                return self._cache
            found: dict[str, Municipality] = {
                mid: Municipality(id=mid, name=name) for mid, name in KNOWN_MUNICIPALITIES.items()
            }
            for mid in KNOWN_MUNICIPALITIES:
                path = self._dir / f"{mid}.yml"
                try:
                    data = yaml.safe_load(path.read_text(encoding="utf-8"))
                except FileNotFoundError:
                    log.warning("knowledge file %s is missing; fallback messages use a generic contact line", path)
                    continue
                except (OSError, yaml.YAMLError) as exc:
                    log.warning("cannot read %s: %s", path, exc)
                    continue
                parsed = _parse(data, mid)
                if parsed is not None and parsed.id == mid:
                    found[mid] = parsed
            self._cache = found
            return found

    def all(self) -> list[Municipality]:
        """Every known city, in the canonical order."""
        return list(self._load().values())

    def get(self, municipality_id: str | None) -> Municipality | None:
        """The city with this canonical id, if any."""
        if not municipality_id:
            return None
        return self._load().get(municipality_id)

    def resolve(self, value: str | None) -> str | None:
        """Map an id, a Japanese name or a KB alias (三鷹市, 三鷹, 龍ヶ崎市, みたか) to the canonical id, or None."""
        if not value or len(value) > 40:
            return None
        wanted = _normalise(value)
        for municipality in self._load().values():
            candidates = {
                municipality.id,
                municipality.name,
                municipality.name.removesuffix("市"),
                *municipality.aliases,
            }
            if wanted in {_normalise(c) for c in candidates}:
                return municipality.id
        return None
