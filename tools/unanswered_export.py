"""``make unanswered-export``: the questions the bot could not answer, as a draft Rasa NLU file for staff to review.

Reads them as the staff console shows them (``console.data.unanswered``: redacted, only what RETENTION_DAYS keeps,
grouped by normalised text), asks the trained model for its best-guess intent of each, and writes them grouped by
that guess under a "draft, review before training" header. Nothing here is training data until a person has
corrected the intents and moved the lines into data/nlu/.

    python -m tools.unanswered_export --model models/pinbot.tar.gz [--days 7] [--out var/unanswered-nlu.yml]
    ENDPOINTS=endpoints.scaled.yml python -m tools.unanswered_export ...   # the scaled layout's PostgreSQL (PG*)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from console.data import period, tracker_engine, unanswered
from kb.directory import default_directory

FALLBACK = "nlu_fallback"
HEADER = """\
# Draft, review before training: questions residents asked that the bot could not answer ({first} to {last}),
# grouped by the intent the trained model guesses for each (its confidence in the comment). Correct each intent or
# move the line to the right block, delete what the bot should not learn (and any [..](..) that Rasa would read as
# an entity), then move the blocks into data/nlu/ and retrain (make train).
# The texts are residents' words, redacted; this file is not deleted with the conversations after RETENTION_DAYS:
# delete it once it is reviewed.
version: "3.1"
"""


def draft(items: Sequence[dict[str, Any]], parse: Callable[[str], dict[str, Any]], first: str, last: str) -> str:
    """The draft NLU file: one block per guessed intent, most frequent texts first, what and why in comments."""
    blocks: defaultdict[str, list[tuple[dict[str, Any], float]]] = defaultdict(list)
    for item in sorted(items, key=lambda item: -item["count"]):
        parsed = parse(item["text"])
        # Below the fallback threshold the intent is nlu_fallback, which is not trainable: the ranking's best then.
        ranked = [r for r in parsed.get("intent_ranking") or [parsed.get("intent") or {}] if r.get("name") != FALLBACK]
        guess: dict[str, Any] = ranked[0] if ranked else {"name": FALLBACK}
        blocks[str(guess["name"])].append((item, float(guess.get("confidence") or 0.0)))
    lines = [HEADER.format(first=first, last=last), "nlu:\n" if blocks else "nlu: []\n"]
    for intent, examples in sorted(blocks.items()):
        # A comment inside the block would be read as an example: what and why go above it, numbered.
        lines.append("  # the model's best guess; for each example: times asked, why unanswered, city, confidence\n")
        for n, (item, confidence) in enumerate(examples, start=1):
            lines.append(
                f"  #   {n}. {item['count']}回・{item['reason']}・{item['city'] or '市不明'}・{confidence:.2f}\n"
            )
        lines.append(f"  - intent: {intent}\n    examples: |\n")
        lines += [f"      - {' '.join(item['text'].split())}\n" for item, _ in examples]
    return "".join(lines)


def main(argv: Sequence[str]) -> int:
    """Write the draft and say where; 0 (also when there was nothing to export)."""
    parser = argparse.ArgumentParser(prog="python -m tools.unanswered_export", description=__doc__)
    parser.add_argument("--model", default="models/pinbot.tar.gz")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--endpoints", default=os.environ.get("ENDPOINTS") or "endpoints.yml")
    parser.add_argument("--out", default=str(Path(os.environ.get("STATE_DIR") or "var") / "unanswered-nlu.yml"))
    args = parser.parse_args(argv)
    now = time.time()
    cities = frozenset(default_directory().municipality_ids())
    items = unanswered(tracker_engine(Path(args.endpoints)), args.days, now, cities)
    from tools.nlu_lab.models import RasaParser  # loading Rasa and the model is slow: only when there is work

    model = RasaParser(args.model)
    try:
        days = period(args.days, now)
        text = draft(items, model.parse, days[0].isoformat(), days[-1].isoformat())
    finally:
        model.close()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch(mode=0o600)
    out.write_text(text, encoding="utf-8")
    print(f"{len(items)} unanswered question(s) written to {out} (a draft: review before training, then delete it)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
