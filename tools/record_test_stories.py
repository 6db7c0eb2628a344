"""Record the test stories of tests/stories/ by running scripted conversations against the real servers.

A turn starting with `/` is a button press: the REST channel passes a command only when the bot offered it in this
conversation or it is a main-menu choice (channels/commands.py), so the recorder presses only such buttons and
stops on any other; every other turn is typed text, read by the NLU like a resident's. Each tracker is exported
through Rasa's `/conversations/<id>/story` endpoint, and `rasa test core --fail-on-prediction-errors` replays the
stories later: any change to rules, forms or domain that alters a path fails the test. Run after a deliberate
dialogue change: `make record-stories` (needs a trained model), then review the diff.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import urllib.request
from pathlib import Path
from typing import List, Set, Tuple

import yaml

from kb.directory import read_cities
from kb.ids import APPLICANTS
from kb.paths import default_knowledge_dir
from replies.catalogue import catalogue
from tests.e2e.stack import PINBOT_NOW, REPO, Stack

HEADER = "# Recorded by tools/record_test_stories.py from real conversations; review diffs by hand.\n"
START = {"pin_reset": "/forgot_pin", "pin_change": "/change_pin", "certificate_renewal": "/renew_certificate"}
CONVERSATIONS = Path(__file__).resolve().parent / "conversations.yml"


def inform(slot: str, value: str) -> str:
    """A button payload that fills one slot."""
    return f'/inform{{"{slot}": "{value}"}}'


def case_conversations() -> List[Tuple[str, List[str]]]:
    """Every procedure × applicant type × city, answered with buttons."""
    conversations = []
    for procedure, applicant, city in itertools.product(START, APPLICANTS, read_cities(default_knowledge_dir())):
        turns = [START[procedure], inform("applicant_type", applicant), inform("municipality", city)]
        if procedure == "pin_reset" and applicant == "self":
            turns += [inform("pin_type", "signature"), "/affirm"]
        conversations.append((f"{procedure} {applicant} {city}", turns))
    return conversations


def record(stack: Stack, name: str, turns: List[str], menu: Set[str]) -> str:
    """Run one conversation and return its story steps, renamed."""
    sender = "story-" + "".join(ch if ch.isalnum() else "-" for ch in name)
    offered = set(menu)
    for turn in turns:
        if turn.startswith("/") and turn not in offered:
            raise SystemExit(f"{name!r}: {turn} was not offered (buttons so far: {sorted(offered)})")
        for message in stack.say(sender, turn):
            offered |= {b["payload"] for b in message.get("buttons") or []}
    url = f"{stack.rasa_url}/conversations/{sender}/story?token={stack.auth_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        lines = response.read().decode().split("stories:", 1)[1].strip("\n").splitlines()
    # Rasa names the story after the sender id; give it the readable name instead.
    lines[0] = f"- story: {json.dumps(name, ensure_ascii=False)}"
    return "\n".join(lines)


def main() -> int:
    """Start the servers, record every conversation, write the story files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(REPO / "models" / "pinbot.tar.gz"))
    args = parser.parse_args()
    env = {"PINBOT_NOW": PINBOT_NOW, "DEFAULT_MUNICIPALITY": ""}
    stack = Stack(model=Path(args.model), state_dir=Path(tempfile.mkdtemp(prefix="stories-")), env_extra=env)
    # The scripted conversations of tools/conversations.yml: interruptions, corrections, small talk, ...
    scripted = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))["conversations"]
    groups = {"cases": case_conversations(), "conversation": [(name, list(turns)) for name, turns in scripted.items()]}
    menu = {choice.payload for choice in catalogue().menu}  # the main menu, which the channel always lets through
    try:
        stack.start_actions()
        stack.start_rasa()
        for group, conversations in groups.items():
            stories = [record(stack, name, turns, menu) for name, turns in conversations]
            path = REPO / "tests" / "stories" / f"test_{group}.yml"
            path.write_text(HEADER + 'version: "3.1"\nstories:\n' + "\n".join(stories) + "\n", encoding="utf-8")
            print(f"wrote {len(stories)} stories to {path.relative_to(REPO)}")
    finally:
        stack.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
