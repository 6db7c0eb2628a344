"""The city directory: each city's id, name, aliases and contact, read from `knowledge/municipalities/*.yml`.

Its entries are `kb.models.Municipality` objects with only those fields filled in.

This is the part of the knowledge base that must work even when the rest does not: the gateway (whose
virtualenv has PyYAML but neither jsonschema nor jpholiday) and every fallback message read it. It needs only the
standard library and PyYAML, reads the same files with the same loader as `kb.store`, and tolerates a broken
file (the city is skipped with a warning) instead of refusing to start. `make kb-check` is where broken files
are reported in full.
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path
from typing import Any, Optional

import yaml

from jptext import fold_kana
from kb.errors import UnknownIdError
from kb.models import Contact, Municipality, Phone
from kb.paths import default_knowledge_dir
from kb.yamlio import read_yaml

log = logging.getLogger(__name__)

# Longer than any city name or alias: a resolve() argument beyond this is not a name.
_MAX_NAME_CHARS = 40


def _text(value: Any) -> Optional[str]:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()
    return None


def _phone(item: Any) -> Optional[Phone]:
    """A phone entry ({number, label}, or a bare number), or None when it has no number."""
    entry = item if isinstance(item, dict) else {"number": item}
    number = _text(entry.get("number"))
    return Phone(number, _text(entry.get("label"))) if number else None


def parse_city(data: Any, file_id: str) -> Optional[Municipality]:
    """The directory entry of one parsed city file; None when it has no usable id (= file name) or name."""
    if not isinstance(data, dict) or _text(data.get("id")) != file_id or not _text(data.get("name")):
        return None
    raw_contact = data.get("contact")
    contact = raw_contact if isinstance(raw_contact, dict) else {}
    aliases, phones = data.get("aliases"), contact.get("phones")
    return Municipality(
        id=file_id,
        name=str(_text(data.get("name"))),
        aliases=tuple(str(a) for a in (aliases if isinstance(aliases, list) else []) if _text(a)),
        contact=Contact(
            department=_text(contact.get("department")),
            phones=tuple(p for p in map(_phone, phones if isinstance(phones, list) else []) if p),
            hours=_text(contact.get("hours")),
            in_person=_text(contact.get("in_person")),
        ),
    )


def read_cities(knowledge_dir: Path) -> dict[str, Municipality]:
    """Every readable city file under `knowledge_dir/municipalities`, by id, sorted by id."""
    cities: dict[str, Municipality] = {}
    for path in sorted((knowledge_dir / "municipalities").glob("*.yml")):
        try:
            data = read_yaml(path)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning(
                "cannot read %s (%s); this city is left out until `make kb-check` passes", path, type(exc).__name__
            )
            continue
        city = parse_city(data, path.stem)
        if city is None:
            log.warning("%s has no id equal to its file name or no name; this city is left out", path)
            continue
        cities[city.id] = city
    return cities


class MunicipalityDirectory:
    """Looks cities up by id, name or alias; reads the files on first use and keeps them."""

    def __init__(self, knowledge_dir: Optional[Path] = None) -> None:
        """Remember where the KB lives (default `$KB_DIR` or <repo>/knowledge); nothing is read yet."""
        self._root = knowledge_dir
        self._lock = threading.Lock()
        self._cities: Optional[dict[str, Municipality]] = None

    def _load(self) -> dict[str, Municipality]:
        with self._lock:
            if self._cities is None:
                self._cities = read_cities(self._root or default_knowledge_dir())
            return self._cities

    def all(self) -> list[Municipality]:
        """Every city, sorted by id."""
        return list(self._load().values())

    def municipality_ids(self) -> list[str]:
        """Ids of every city, sorted."""
        return list(self._load())

    def get(self, municipality_id: Optional[str]) -> Optional[Municipality]:
        """The city with this canonical id, if any."""
        return self._load().get(municipality_id or "")

    def municipality(self, municipality_id: str) -> Municipality:
        """The city with this id; UnknownIdError when there is none."""
        city = self.get(municipality_id)
        if city is None:
            raise UnknownIdError(f"unknown municipality: {municipality_id!r}")
        return city

    def resolve(self, value: Optional[str]) -> Optional[str]:
        """The id of the city whose id, name or alias `value` is (三鷹市, 龍ヶ崎, ＭＩＴＡＫＡ), else None."""
        if not value or len(value) > _MAX_NAME_CHARS:
            return None
        wanted = fold_kana(value)
        for city in self._load().values():
            if wanted in {fold_kana(name) for name in (city.id, *city.names())}:
                return city.id
        return None


@functools.cache
def default_directory() -> MunicipalityDirectory:
    """The directory of the default knowledge folder, shared by the process (it reads nothing until used)."""
    return MunicipalityDirectory()
