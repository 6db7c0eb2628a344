"""One city's data never carries another city's names, phone numbers or sources."""

from __future__ import annotations

import re

import pytest

from kb.paths import repo_root
from kb.store import KnowledgeBase

CITIES = {"mitaka": "三鷹", "chiba": "千葉", "tajimi": "多治見", "ryugasaki": "龍ケ崎"}
PHONE = re.compile(r"0\d{1,4}-\d{1,4}-\d{4}")


def raw(mid: str) -> str:
    """The municipality file as text."""
    return (repo_root() / "knowledge" / "municipalities" / f"{mid}.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("mid", sorted(CITIES))
def test_no_other_city_names(mid: str) -> None:
    text = raw(mid).replace("竜", "龍").replace("ヶ", "ケ")
    others = [name for other, name in CITIES.items() if other != mid and name in text]
    assert others == []


@pytest.mark.parametrize("mid", sorted(CITIES))
def test_no_other_city_phones(mid: str) -> None:
    own = set(PHONE.findall(raw(mid)))
    for other in CITIES:
        if other != mid:
            assert own.isdisjoint(PHONE.findall(raw(other)))


@pytest.mark.parametrize("mid", sorted(CITIES))
def test_objects_cite_only_their_own_page(kb: KnowledgeBase, mid: str) -> None:
    m = kb.municipality(mid)
    assert m.source is not None and m.contact.source is not None, "the validated KB gives every city its pages"
    cited = {m.source.id, m.contact.source.id}
    cited |= {o.source.id for o in m.offices}
    for pid, proc in m.procedures.items():
        for aid in proc.applicants:
            req = kb.requirements(mid, pid, aid)
            assert req is not None
            cited.add(req.source.id)
    assert {kb.source(s).municipality for s in cited} == {mid}


def test_known_phones_per_city(kb: KnowledgeBase) -> None:
    phones = {mid: [p.number for p in kb.municipality(mid).contact.phones] for mid in CITIES}
    assert phones == {
        "mitaka": ["0422-29-9191"],
        "chiba": ["043-400-3147"],
        "tajimi": ["0572-23-5542", "0572-22-1111"],
        "ryugasaki": [],
    }


def test_files_present() -> None:
    assert sorted(p.stem for p in (repo_root() / "knowledge" / "municipalities").glob("*.yml")) == sorted(CITIES)
