"""data/nlu/municipalities.yml: generated from the city files, up to date, and its patterns find only city names."""

from __future__ import annotations

import re

import pytest
import yaml

from kb.directory import read_cities
from kb.paths import default_knowledge_dir, repo_root
from tools.city_nlu import OUTPUT, render, surface_forms


def _generated() -> dict:
    return yaml.safe_load((repo_root() / OUTPUT).read_text(encoding="utf-8"))


def test_committed_file_is_up_to_date() -> None:
    """Stale after a city file changed: run `make nlu-data` (make train / make run do it)."""
    cities = list(read_cities(default_knowledge_dir()).values())
    assert (repo_root() / OUTPUT).read_text(encoding="utf-8") == render(cities), "run `make nlu-data`"


def test_every_city_name_and_alias_maps_to_its_id() -> None:
    synonyms = {item["synonym"]: item["examples"] for item in _generated()["nlu"] if "synonym" in item}
    cities = read_cities(default_knowledge_dir())
    assert set(synonyms) == set(cities)
    for mid, city in cities.items():
        listed = [line[2:] for line in synonyms[mid].splitlines()]
        assert set(city.names()) <= set(listed)


def test_only_the_generated_file_names_cities_for_the_nlu() -> None:
    """No other data/nlu file carries a city synonym, lookup or regex (the KB is the only place a city is defined)."""
    cities = read_cities(default_knowledge_dir())
    for path in sorted((repo_root() / "data" / "nlu").glob("*.yml")):
        if path.name == OUTPUT.name:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu", []):
            assert item.get("regex") != "municipality" and item.get("lookup") != "municipality", path
            assert item.get("synonym") not in cities, path


def _city_found(text: str) -> set[str]:
    patterns = next(item for item in _generated()["nlu"] if item.get("regex") == "municipality")["examples"]
    return {m.group(0) for p in (line[2:] for line in patterns.splitlines()) for m in re.finditer(p, text, re.I)}


@pytest.mark.parametrize(
    "text,found",
    [
        ("三鷹市に住んでいます", "三鷹市"),
        ("みたかです", "みたか"),
        ("ﾐﾀｶです", "ﾐﾀｶ"),
        ("りゅうがさきし在住", "りゅうがさきし"),
        ("竜が崎市です", "竜が崎市"),
        ("千葉です", "千葉"),
        ("MITAKA", "MITAKA"),
    ],
)
def test_patterns_find_city_names(text: str, found: str) -> None:
    assert found in _city_found(text)


@pytest.mark.parametrize("text", ["いちばん早い方法", "見てみたかったです", "千葉県に住んでいます", "tajimiya"])
def test_patterns_ignore_names_inside_other_words(text: str) -> None:
    assert _city_found(text) == set()


def test_kana_spellings_are_derived() -> None:
    tajimi = read_cities(default_knowledge_dir())["tajimi"]
    forms = surface_forms(tajimi)
    assert {"タジミ", "ﾀｼﾞﾐ", "たじみ", "多治見市内"} <= set(forms)
