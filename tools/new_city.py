"""Scaffold knowledge/municipalities/<id>.yml from knowledge/templates/municipality.yml (`make new-city`)."""

from __future__ import annotations

import argparse
import json
import re
import sys

from kb.paths import default_knowledge_dir

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_SUFFIXES = ("市", "町", "村", "区")

NEXT_STEPS = """\
Created {path}.
Next steps (knowledge/README.md, 「市を追加する」):
  1. Fill in every TODO of {path} from the city's own page (name, aliases with the kana readings,
     contact, procedures, offices and hours); remove what the page does not say.
  2. Add the page to knowledge/sources.yml with `id: {mid}` and `municipality: {mid}`, and put the page's
     text under ../shared/seeds/.
  3. make kb-check      (names the file, the field and the problem; TODOs left are reported)
  4. make test          (regenerates data/nlu/municipalities.yml and retrains the model)
  5. Restart (make run): the gateway, the buttons and the answers read the new file.
"""


def render(template: str, mid: str, name: str) -> str:
    """The template with the id, the name and the first aliases filled in.

    The aliases: the name, the name without 市/町/村/区, and the id; the readings in kana are for the editor to add.
    """
    short = [name[:-1]] if name.endswith(_SUFFIXES) and len(name) > 2 else []
    aliases = ", ".join(json.dumps(a, ensure_ascii=False) for a in dict.fromkeys([name, *short, mid]))
    return template.replace("__ALIASES__", aliases).replace("__NAME__", name).replace("__ID__", mid)


def main(argv: list[str] | None = None) -> int:
    """Write the new city's file; refuse a bad id or an existing file."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--id", required=True, help="lower-case ascii id, e.g. hoshino (also the file name)")
    parser.add_argument("--name", required=True, help="the city's name as its page writes it, e.g. 星野市")
    args = parser.parse_args(argv)
    root = default_knowledge_dir()
    mid, name = args.id.strip(), args.name.strip()
    if not ID_PATTERN.match(mid):
        print(f"ID={mid!r}: use lower-case ascii letters, digits and _ (e.g. hoshino)", file=sys.stderr)
        return 2
    if not name:
        print("NAME is empty: give the city's name as its page writes it (e.g. 星野市)", file=sys.stderr)
        return 2
    target = root / "municipalities" / f"{mid}.yml"
    if target.exists():
        print(f"{target} already exists; edit it instead", file=sys.stderr)
        return 1
    template = (root / "templates" / "municipality.yml").read_text(encoding="utf-8")
    target.write_text(render(template, mid, name), encoding="utf-8")
    print(NEXT_STEPS.format(path=target, mid=mid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
