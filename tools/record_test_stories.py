"""Record the test stories of tests/stories/ by running scripted conversations against the real servers.

Each conversation is sent as button payloads (so NLU cannot blur what is tested), its tracker is exported
through Rasa's `/conversations/<id>/story` endpoint, and `rasa test core --fail-on-prediction-errors`
replays the stories later: any change to rules, forms or domain that alters a path fails the test.
Run after a deliberate dialogue change: `make record-stories` (needs a trained model; it runs
`python -m tools.record_test_stories` from the repo root), then review the diff.
"""

from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import urllib.request
from pathlib import Path
from typing import Dict, List, Tuple

from kb.directory import read_cities
from kb.paths import default_knowledge_dir
from tests.e2e.stack import Stack

REPO = Path(__file__).resolve().parents[1]

APPLICANTS = ("self", "legal_representative", "voluntary_proxy")
START = {"pin_reset": "/forgot_pin", "pin_change": "/change_pin", "certificate_renewal": "/renew_certificate"}


def inform(slot: str, value: str) -> str:
    """A button payload that fills one slot."""
    return f'/inform{{"{slot}": "{value}"}}'


def case_conversations() -> List[Tuple[str, List[str]]]:
    """Every procedure × applicant type × city, answered with buttons."""
    conversations = []
    cities = list(read_cities(default_knowledge_dir()))
    for procedure, applicant, city in itertools.product(START, APPLICANTS, cities):
        turns = [START[procedure], inform("applicant_type", applicant), inform("municipality", city)]
        if procedure == "pin_reset" and applicant == "self":
            turns += [inform("pin_type", "signature"), "/affirm"]
        conversations.append((f"{procedure} {applicant} {city}", turns))
    return conversations


EXTRA: List[Tuple[str, List[str]]] = [
    (
        "locked, user_auth PIN, other PIN unknown",
        [
            "/pin_locked",
            inform("applicant_type", "self"),
            inform("municipality", "chiba"),
            inform("pin_type", "user_auth"),
            "/deny",
        ],
    ),
    (
        "forgot, does not know which PIN",
        ["/forgot_pin", inform("applicant_type", "self"), inform("municipality", "tajimi"), inform("pin_type", "all")],
    ),
    ("values given up front", ['/forgot_pin{"municipality": "mitaka", "applicant_type": "voluntary_proxy"}']),
    (
        "proxy question",
        [
            "/proxy_help",
            inform("procedure", "pin_reset"),
            inform("applicant_type", "legal_representative"),
            inform("municipality", "ryugasaki"),
        ],
    ),
    (
        "interruption: PIN rules mid-form",
        [
            "/forgot_pin",
            "/pin_rules",
            inform("applicant_type", "self"),
            inform("municipality", "mitaka"),
            inform("pin_type", "user_auth"),
            "/affirm",
        ],
    ),
    (
        "interruption: office hours mid-form",
        ["/change_pin", "/office_hours", inform("applicant_type", "self"), inform("municipality", "chiba")],
    ),
    (
        "interruption: sensitive data mid-form",
        [
            "/pin_locked",
            "/share_sensitive",
            inform("applicant_type", "voluntary_proxy"),
            inform("municipality", "tajimi"),
        ],
    ),
    (
        "interruption: contact mid-form",
        ["/renew_certificate", "/human_handoff", inform("applicant_type", "self"), inform("municipality", "ryugasaki")],
    ),
    (
        "correction after the answer",
        [
            "/change_pin",
            inform("applicant_type", "self"),
            inform("municipality", "mitaka"),
            inform("applicant_type", "voluntary_proxy"),
        ],
    ),
    ("office hours: city by button", ["/office_hours", '/office_hours{"municipality": "mitaka"}', "/thank_you"]),
    ("office hours: city typed as an answer", ["/office_hours", inform("municipality", "chiba")]),
    ("identity documents", ["/identity_documents", '/identity_documents{"municipality": "ryugasaki"}']),
    ("restart mid-form", ["/forgot_pin", inform("applicant_type", "self"), "/restart", "/greet"]),
    # The two-stage fallback rewinds user turns, which an exported story cannot replay:
    # tests/e2e/test_conversations.py drives it over HTTP instead.
    ("privacy", ["/share_sensitive"]),
    (
        "PIN lookup",
        [
            "/ask_pin_lookup",
            "/forgot_pin",
            inform("applicant_type", "self"),
            inform("municipality", "chiba"),
            inform("pin_type", "signature"),
            "/deny",
        ],
    ),
    ("small talk", ["/greet", "/bot_challenge", "/pin_rules", "/convenience_store_reset", "/thank_you", "/goodbye"]),
    ("out of scope and stray answers", ["/out_of_scope", "/affirm", "/deny", inform("applicant_type", "self")]),
]


def story_yaml(stack: Stack, sender: str) -> str:
    """The conversation as Rasa test-story YAML."""
    with urllib.request.urlopen(
        f"{stack.rasa_url}/conversations/{sender}/story?token={stack.auth_token}", timeout=30
    ) as response:
        return response.read().decode()


def record(stack: Stack, name: str, turns: List[str]) -> str:
    """Run one conversation and return its story steps, renamed."""
    sender = "story-" + "".join(ch if ch.isalnum() else "-" for ch in name)
    for turn in turns:
        stack.say(sender, turn)
    text = story_yaml(stack, sender)
    body = text.split("stories:", 1)[1]
    lines = body.strip("\n").splitlines()
    # Rasa names the story after the sender id; give it the readable name instead.
    lines[0] = f"- story: {json.dumps(name, ensure_ascii=False)}"
    return "\n".join(lines)


def main() -> int:
    """Start the servers, record every conversation, write the story files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(REPO / "models" / "pinbot.tar.gz"))
    parser.add_argument("--out", default=str(REPO / "tests" / "stories"))
    args = parser.parse_args()
    stack = Stack(
        model=Path(args.model),
        state_dir=Path(tempfile.mkdtemp(prefix="stories-")),
        env_extra={"PINBOT_NOW": "2026-11-24T10:00:00+09:00", "DEFAULT_MUNICIPALITY": ""},
    )
    groups: Dict[str, List[Tuple[str, List[str]]]] = {"cases": case_conversations(), "conversation": EXTRA}
    try:
        stack.start_actions()
        stack.start_rasa()
        for group, conversations in groups.items():
            stories = [record(stack, name, turns) for name, turns in conversations]
            header = "# Recorded by tools/record_test_stories.py from real conversations; review diffs by hand.\n"
            path = Path(args.out) / f"test_{group}.yml"
            path.write_text(header + 'version: "3.1"\nstories:\n' + "\n".join(stories) + "\n", encoding="utf-8")
            print(f"wrote {len(stories)} stories to {path.relative_to(REPO)}")
    finally:
        stack.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
