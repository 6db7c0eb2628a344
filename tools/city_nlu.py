"""Generate data/nlu/municipalities.yml (city names for the NLU) from knowledge/municipalities/*.yml.

`make nlu-data` runs it (and `make train`/`make run` through it); `--check` exits 1 when the committed file is
stale, which tests/nlu/test_city_nlu.py also checks. The cities' names live only in their KB files: this file is
their copy in Rasa's training-data format, never edited by hand.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

from kb.directory import read_cities
from kb.models import Municipality
from kb.paths import default_knowledge_dir, repo_root
from kb.resolve import KANA_FOLLOWERS, KANJI_BLOCKERS

OUTPUT = Path("data") / "nlu" / "municipalities.yml"

HEADER = """\
# GENERATED from knowledge/municipalities/*.yml by `make nlu-data` (python -m tools.city_nlu).
# Do not edit: change the city's `name` / `aliases` in its knowledge file, then run `make nlu-data`
# (`make train` and `make run` do it for you). tests/nlu/test_city_nlu.py fails when this file is stale.
version: "3.1"

nlu:
"""

# Inform examples per city, so that every city (also one added later) is seen by the intent classifier.
INFORM_TEMPLATES = ("{name}在住です", "住所は{name}です")

_HIRAGANA = re.compile(r"^[ぁ-ゖー]+$")
_KATAKANA = re.compile(r"^[ァ-ヺー]+$")
_KANA_CLASS = "ぁ-ゖァ-ヺーｦ-ﾟ"
_KE_VARIANTS = ("ケ", "ヶ", "が")
_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}
_TO_HIRAGANA = {katakana: hiragana for hiragana, katakana in _TO_KATAKANA.items()}
# Full-width katakana → half-width (ｱﾝｼｮｳ, ｶﾞ), the inverse of what NFKC does.
_HALF_WIDTH = [chr(code) + mark for code in range(0xFF66, 0xFF9E) for mark in ("", "\uff9e", "\uff9f")]
_TO_HALF_WIDTH = str.maketrans({full: h for h in _HALF_WIDTH if len(full := unicodedata.normalize("NFKC", h)) == 1})


def surface_forms(city: Municipality) -> list[str]:
    """Every spelling of the city for the synonym mapper: KB names, kana in both scripts and half-width, ケ/ヶ/が."""
    forms: list[str] = []
    for name in city.names():
        variants = [name]
        if _HIRAGANA.match(name) or _KATAKANA.match(name):
            katakana = name.translate(_TO_KATAKANA)
            variants += [name.translate(_TO_HIRAGANA), katakana, katakana.translate(_TO_HALF_WIDTH)]
        elif any(ke in name for ke in _KE_VARIANTS):
            variants += [name.replace(ke, other) for ke in _KE_VARIANTS if ke in name for other in _KE_VARIANTS]
        forms += variants
    forms.append(f"{city.name}内")
    return list(dict.fromkeys(f for f in forms if f))


def regex_for(form: str) -> str:
    """A pattern that finds `form` but not inside another word (みたか in みたかった, 千葉 in 千葉県)."""
    escaped = re.escape(form)
    if re.match(rf"^[{_KANA_CLASS}]+$", form):
        followers = "|".join(re.escape(f) for f in KANA_FOLLOWERS)
        return rf"(?<![{_KANA_CLASS}]){escaped}(?:(?![{_KANA_CLASS}])|(?={followers}))"
    if form.isascii():
        return rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])"
    blockers = "".join(re.escape(b) for b in KANJI_BLOCKERS)
    return rf"{escaped}(?![{blockers}])"


def _block(lines: list[str]) -> str:
    return "".join(f"      - {line}\n" for line in lines)


def render(cities: list[Municipality]) -> str:
    """The whole generated file: synonyms, one regex per spelling, and inform examples per city."""
    out = [HEADER]
    for city in cities:
        out.append(f"  - synonym: {city.id}\n    examples: |\n{_block(surface_forms(city))}\n")
    patterns = [regex_for(form) for city in cities for form in surface_forms(city) if not form.endswith("内")]
    out.append(f"  - regex: municipality\n    examples: |\n{_block(list(dict.fromkeys(patterns)))}\n")
    examples = [
        template.format(name=f'[{city.name}]{{"entity": "municipality", "value": {json.dumps(city.id)}}}')
        for city in cities
        for template in INFORM_TEMPLATES
    ]
    out.append(f"  - intent: inform\n    examples: |\n{_block(examples)}")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write the file, or with --check report whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    args = parser.parse_args(argv)
    cities = list(read_cities(default_knowledge_dir()).values())
    if not cities:
        print("no readable city file under knowledge/municipalities: run make kb-check", file=sys.stderr)
        return 1
    target = repo_root() / OUTPUT
    text = render(cities)
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return 0
    if args.check:
        print(f"{target} is stale: run `make nlu-data`", file=sys.stderr)
        return 1
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target} ({len(cities)} cities)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
