"""Render every resident-visible answer through the real action code into tests/golden/ (`make answers`).

Each case runs the action the rules pick (data/rules/*.yml) with a tracker and a dispatcher, as the action
server would, at a pinned "now" (PINBOT_NOW). Buttons in an answer are followed once: their answers are
rendered in the same file, so what hides behind 「ほかの窓口」 is reviewed too. `--check` compares with the
committed files instead of writing them; both print the length table (characters per turn and per bubble,
per city).
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import itertools
import json
import os
import re
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple
from unittest import mock

import yaml

from kb.ids import APPLICANTS, PROCEDURES

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
CITIES = ("mitaka", "chiba", "tajimi", "ryugasaki")
DEFAULT_NOW = "2026-06-09T10:00:00+09:00"  # a Tuesday morning, no holiday

# Moments for the office-hours answers (all 2026, Asia/Tokyo).
MOMENTS: Dict[str, str] = {
    "weekday_morning": "2026-06-09T10:00:00+09:00",
    "weekday_lunch": "2026-06-09T12:30:00+09:00",
    "weekday_evening": "2026-06-09T18:45:00+09:00",
    "saturday": "2026-06-13T10:00:00+09:00",
    "sunday_1st_plain": "2026-06-07T10:00:00+09:00",
    "sunday_2nd": "2026-06-14T10:00:00+09:00",
    "sunday_3rd_after_3rd_saturday": "2026-06-21T10:00:00+09:00",
    "sunday_4th": "2026-06-28T10:00:00+09:00",
    "sunday_holiday_1st": "2026-05-03T10:00:00+09:00",
    "national_holiday_monday": "2026-07-20T10:00:00+09:00",
    "year_end": "2026-12-30T10:00:00+09:00",
    "march_late_sunday": "2026-03-22T10:00:00+09:00",
    "march_late_saturday": "2026-03-28T10:00:00+09:00",
}

PIN_BRANCHES: List[Tuple[str, Dict[str, Any]]] = [
    ("signature_knows_other", {"pin_type": "signature", "knows_other_pin": True}),
    ("signature_other_unknown", {"pin_type": "signature", "knows_other_pin": False}),
    ("user_auth_knows_other", {"pin_type": "user_auth", "knows_other_pin": True}),
    ("user_auth_other_unknown", {"pin_type": "user_auth", "knows_other_pin": False}),
    ("four_digit", {"pin_type": "four_digit"}),
    ("unknown_or_all", {"pin_type": "all"}),
]


@dataclass
class Case:
    """One rendered case: the intent the resident's message had, the slots known, and the moment."""

    name: str
    city: Optional[str]
    intent: str
    slots: Dict[str, Any] = field(default_factory=dict)
    text: str = ""
    now: str = DEFAULT_NOW
    action: Optional[str] = None  # run this action instead of the one the rules pick


# Out-of-scope messages whose topic changes where the answer points (vocabulary/slots.yml out_of_scope_topic).
OUT_OF_SCOPE_TOPICS = {
    "bank_card": "ゆうちょのキャッシュカードの暗証番号がわからない",
    "device": "iPhoneのパスコードを変更したい",
    "mynumber_not_pin": "マイナンバーカードをなくしました",
}
# Office-hours questions naming a day: (the resident's text, the moment asked).
ASKED_DAYS = {
    "asked_saturday": ("土曜日もやっていますか", DEFAULT_NOW),
    "asked_sunday": ("日曜日は開いていますか", MOMENTS["sunday_2nd"]),
}
CITY_FAQ = "identity_documents human_handoff out_of_scope pin_rules convenience_store_reset".split()
NO_CITY_FAQ = CITY_FAQ + "ask_pin_lookup office_hours greet goodbye thank_you bot_challenge".split()
NO_CITY_FAQ += ["share_sensitive", "ambiguous_password"]


def _case_cases(city: str) -> Iterator[Case]:
    """The case answers of one city: every procedure × applicant, and the PIN branches of a self reset."""
    for procedure, applicant in itertools.product(PROCEDURES, APPLICANTS):
        base = {"municipality": city, "procedure": procedure, "applicant_type": applicant}
        for branch, extra in PIN_BRANCHES if (procedure, applicant) == ("pin_reset", "self") else [("", {})]:
            name = f"case/{city}/{procedure}-{applicant}" + (f"-{branch}" if branch else "")
            yield Case(name, city, "inform", {**base, **extra}, action="action_answer_case")


def _faq_cases(city: Optional[str], intents: List[str]) -> Iterator[Case]:
    """The direct answers (with the out-of-scope topics) and the fallback, for a city or none."""
    folder, slots = (city, {"municipality": city}) if city else ("no_city", {})
    for intent in intents:
        yield Case(f"faq/{folder}/{intent}", city, intent, slots)
    for topic, text in OUT_OF_SCOPE_TOPICS.items():
        yield Case(f"faq/{folder}/out_of_scope-{topic}", city, "out_of_scope", slots, text=text)
    yield Case(f"fallback/{folder}", city, "nlu_fallback", slots, action="action_default_fallback")


def _feedback_cases(city: Optional[str]) -> Iterator[Case]:
    """👎 on an answer for the city (or one that named none), its reasons followed; 👍 once: the same everywhere."""
    key = f"checklist|{city}|pin_reset|self|forgot_pin" if city else "faq|-|-|-|pin_rules"
    slots = {"answer_key": key, **({"municipality": city} if city else {})}
    yield Case(f"feedback/{city or 'no_city'}", city, "feedback", slots, text='/feedback{"rating":"not_helpful"}')
    if city is None:
        yield Case("feedback/helpful", None, "feedback", slots, text='/feedback{"rating":"helpful"}')


def cases() -> Iterator[Case]:
    """Every case the golden files cover."""
    for city in CITIES:
        yield from _case_cases(city)
        slots = {"municipality": city}
        for moment, now in MOMENTS.items():
            yield Case(f"office_hours/{city}/{moment}", city, "office_hours", slots, now=now)
        for name, (text, now) in ASKED_DAYS.items():
            yield Case(f"office_hours/{city}/{name}", city, "office_hours", slots, text=text, now=now)
        yield from _faq_cases(city, CITY_FAQ)
        yield from _feedback_cases(city)
    yield from _faq_cases(None, NO_CITY_FAQ)
    yield from _feedback_cases(None)


def rule_action(intent: str) -> str:
    """The action that the unconditional rule for ``intent`` runs (what the bot does outside a form)."""
    for path in sorted((REPO / "data" / "rules").glob("*.yml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []:
            steps = rule.get("steps") or []
            if not rule.get("condition") and len(steps) >= 2 and steps[0].get("intent") == intent:
                return str(steps[1]["action"])
    raise LookupError(f"no unconditional rule for intent {intent}")


class Renderer:
    """Runs actions like the action server and renders their messages as text."""

    def __init__(self) -> None:
        from rasa.shared.core.domain import Domain
        from rasa_sdk.executor import ActionExecutor

        self.domain = Domain.load(str(REPO / "domain.yml")).as_dict()
        executor = ActionExecutor()
        executor.register_package("actions")
        self.actions = executor.actions

    def run(
        self, action_name: str, slots: Dict[str, Any], text: str, intent: str, entities: Sequence[Dict[str, Any]] = ()
    ) -> List[Dict[str, Any]]:
        """Messages the action sends, run on a tracker whose latest message is ``text`` with ``intent``."""
        from rasa_sdk import Tracker
        from rasa_sdk.events import ActionExecuted, UserUttered
        from rasa_sdk.executor import CollectingDispatcher

        if action_name.startswith("utter_"):  # a domain response counts as the action
            return [self.response(action_name, slots)]
        all_slots = {name: None for name in [*self.domain["slots"], "requested_slot", "session_started_metadata"]}
        ranking = [{"name": intent, "confidence": 1.0}]
        latest: Dict[str, Any] = {"text": text, "intent": ranking[0], "entities": list(entities), "metadata": {}}
        latest["intent_ranking"] = ranking
        events = [ActionExecuted("action_listen"), UserUttered(text, parse_data=latest)]
        tracker = Tracker("golden", {**all_slots, **slots}, latest, events, False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        asyncio.run(self.actions[action_name](dispatcher, tracker, self.domain))
        return [self.response(m["response"], slots) if m.get("response") else m for m in dispatcher.messages]

    def response(self, name: str, slots: Dict[str, Any]) -> Dict[str, Any]:
        """A domain response; several variations are rendered all, marked as random."""
        chosen = [
            v
            for v in self.domain["responses"][name]
            if all(slots.get(c["name"]) == c["value"] for c in v.get("condition") or [])
        ]
        if len(chosen) == 1:
            return {"text": chosen[0].get("text"), "buttons": chosen[0].get("buttons") or []}
        text = "\n".join(
            f"《{len(chosen)}通りのうち1つが無作為に選ばれる：{i}》\n{v.get('text')}" for i, v in enumerate(chosen, 1)
        )
        return {"text": text, "buttons": chosen[0].get("buttons") or [], "random": len(chosen)}


def parse_payload(payload: str) -> Tuple[str, Dict[str, Any]]:
    """'/intent{"slot": "value"}' → (intent, entities as slot values); doubled braces as in domain.yml."""
    match = re.match(r"^/(?P<intent>[a-z_]+)(?P<json>\{.*\})?$", payload.replace("{{", "{").replace("}}", "}"))
    if not match:
        raise ValueError(f"not a command payload: {payload}")
    return match.group("intent"), json.loads(match.group("json") or "{}")


def bubble_text(message: Dict[str, Any]) -> str:
    """The text a resident reads in one bubble."""
    return message.get("text") or ""


def format_turn(messages: List[Dict[str, Any]]) -> List[str]:
    """Lines for one bot turn: each bubble with its length, then its buttons."""
    lines: List[str] = []
    for number, message in enumerate(messages, 1):
        buttons = [f"[ボタン] {button['title']} → {button['payload']}" for button in message.get("buttons") or []]
        lines += [f"--- 吹き出し{number}（{len(bubble_text(message))}字）", bubble_text(message), *buttons]
    total = sum(len(bubble_text(m)) for m in messages)
    lines.append(f"=== このターン {len(messages)}吹き出し・計{total}字")
    return lines


@dataclass
class Rendered:
    """A golden file's text and the turns it contains (for the length table)."""

    text: str
    turns: List[List[Dict[str, Any]]]
    city: str = "no_city"


def render_case(renderer: Renderer, case: Case) -> Rendered:
    """Render one case and the answers behind its buttons."""
    os.environ["PINBOT_NOW"] = case.now
    action = case.action or rule_action(case.intent)
    slots = {k: v for k, v in case.slots.items() if v is not None}
    head = [
        f"# {case.name}",
        f"# 市: {case.city or '（未選択）'}　いま: {case.now}　意図: {case.intent}　アクション: {action}",
    ]
    if slots:
        head.append("# スロット: " + json.dumps(slots, ensure_ascii=False, sort_keys=True))
    if case.text:
        head.append(f"# 住民の入力: {case.text}")
    # A button's payload as the resident's message (the rating cases) carries its entities.
    given = parse_payload(case.text)[1] if case.text.startswith("/") else {}
    turns = [renderer.run(action, slots, case.text, case.intent, [{"entity": k, "value": v} for k, v in given.items()])]
    lines, seen = head + format_turn(turns[0]), set()
    for turn in turns:  # follow buttons, and the buttons of their answers (「Bの書類の一覧」, 「2回目の持ち物」)
        for button in (b for message in turn for b in message.get("buttons") or []):
            payload = button["payload"]
            intent, values = parse_payload(payload)
            if payload in seen or intent not in FOLLOWED_INTENTS:
                continue
            seen.add(payload)
            button_action = rule_action(intent)
            slot_values = {k: v for k, v in values.items() if k in renderer.domain["slots"]}
            entities = [{"entity": k, "value": v} for k, v in values.items()]
            turns.append(renderer.run(button_action, {**slots, **slot_values}, payload, intent, entities))
            lines += ["", f"## ボタン「{button['title']}」（{payload} → {button_action}）", *format_turn(turns[-1])]
    return Rendered("\n".join(lines) + "\n", turns, case.city or "no_city")


# Buttons whose answers are rendered: answers shown behind a button (not the form's questions, not 👍/👎: the
# feedback/ files render those once, with 👎's reasons followed).
FOLLOWED_INTENTS = frozenset(
    "office_hours identity_documents human_handoff pin_rules convenience_store_reset case_details feedback_reason".split()
)


def render_all() -> Dict[str, Rendered]:
    """Every golden file, keyed by its path under tests/golden/ (the environment is restored afterwards)."""
    with mock.patch.dict(os.environ):
        for name in ("DEFAULT_MUNICIPALITY", "PINBOT_MAX_TURN_CHARS"):
            os.environ.pop(name, None)  # the golden files show the default deployment
        renderer = Renderer()
        return {f"{case.name}.txt": render_case(renderer, case) for case in cases()}


def length_table(rendered: Dict[str, Rendered]) -> str:
    """p50 and max characters per turn and per bubble, and the most bubbles in a turn, per city.

    Three scopes: the case answers (the first answer after the diagnosis: at most 3 bubbles of 350 characters, 1,000
    in all), the answers behind their buttons, and every rendered turn.
    """
    rows = [
        "| 市 | 対象 | ターン数 | ターン p50 | ターン max | 吹き出し p50 | 吹き出し max | 吹き出し数 max |",
        "|---|---|---|---|---|---|---|---|",
    ]
    scopes: List[Tuple[str, Callable[[str, int], bool]]] = [
        ("手続きの回答", lambda path, index: path.startswith("case/") and index == 0),
        ("ボタンの先", lambda path, index: index > 0),
        ("すべて", lambda path, index: True),
    ]
    for city, (scope, wanted) in itertools.product((*CITIES, "no_city"), scopes):
        in_scope = (
            turn for path, r in rendered.items() if r.city == city for i, turn in enumerate(r.turns) if wanted(path, i)
        )
        if turns := [turn for turn in in_scope if turn]:
            totals = [sum(len(bubble_text(m)) for m in turn) for turn in turns]
            bubbles = [len(bubble_text(m)) for turn in turns for m in turn]
            median = [f"{statistics.median(values):.0f}" for values in (totals, bubbles)]
            cells = [len(turns), median[0], max(totals), median[1], max(bubbles), max(map(len, turns))]
            rows.append(f"| {city} | {scope} | " + " | ".join(map(str, cells)) + " |")
    return "\n".join(rows)


def diff(rendered: Dict[str, Rendered], root: Path = GOLDEN) -> List[str]:
    """Unified diffs between the renderings and the committed files (missing and extra files too)."""
    out: List[str] = []
    for path, result in sorted(rendered.items()):
        target = root / path
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        if old != result.text:
            lines = difflib.unified_diff(
                old.splitlines(True), result.text.splitlines(True), f"committed/{path}", f"rendered/{path}"
            )
            out.append("".join(lines))
    committed = {str(p.relative_to(root)) for p in root.rglob("*.txt")} if root.exists() else set()
    out += [f"committed but no longer rendered: {path}" for path in sorted(committed - set(rendered))]
    return out


def write(rendered: Dict[str, Rendered]) -> None:
    """Replace the golden files with the renderings."""
    for old in GOLDEN.rglob("*.txt") if GOLDEN.exists() else []:
        old.unlink()
    for path, result in rendered.items():
        target = GOLDEN / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.text, encoding="utf-8")


def main(argv: Optional[List[str]] = None) -> int:
    """Write (default) or check the golden files, then print the length table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare with tests/golden/ instead of writing")
    args = parser.parse_args(argv)
    rendered = render_all()
    problems = diff(rendered) if args.check else []
    for problem in problems:
        print(problem)
    if not args.check:
        write(rendered)
        print(f"wrote {len(rendered)} files under {GOLDEN}")
    print(length_table(rendered))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
