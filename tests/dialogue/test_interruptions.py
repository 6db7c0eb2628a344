"""Every intent a resident can send while pin_case_form is asking has an interruption rule, and the form asks again
(goodbye ends the form instead).

Two checks: the rules as written (data/rules/*.yml), and what Rasa's RulePolicy, trained on exactly those rules
and the domain, predicts in the middle of the form (no NLU, no trained model needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FORM = "pin_case_form"
# Not interruptions: Rasa's own rule answers 「最初から」 (action_restart ends the form on purpose), and
# nlu_fallback belongs to the two-stage fallback.
NOT_INTERRUPTIONS = {"restart", "nlu_fallback"}
# Answers the form itself reads through the validation action (actions/forms.py): yes/no to 'do you know the
# other PIN?', the free-text inform answer, and 「e-Taxのパスワードです」 given to 'which PIN?' (ambiguous out of a
# case, but inside one it answers the question: the vocabulary reads it as the 署名用 PIN).
READ_BY_THE_FORM = {"inform", "affirm", "deny", "ambiguous_password"}
# The one message that ends the diagnosis instead of resuming it.
ENDS_THE_FORM = {"goodbye"}


def _domain() -> Dict[str, Any]:
    return yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))


def _answers_of_the_form(domain: Dict[str, Any]) -> Set[str]:
    """Intents that fill one of the form's slots through a from_intent mapping (暗証番号を忘れた → procedure)."""
    required = set(domain["forms"][FORM]["required_slots"])
    intents: Set[str] = set(READ_BY_THE_FORM)
    for name, slot in domain["slots"].items():
        if name not in required:
            continue
        for mapping in slot.get("mappings", []):
            if mapping.get("type") == "from_intent":
                value = mapping["intent"]
                intents.update(value if isinstance(value, list) else [value])
    return intents


def _interrupting_intents() -> List[str]:
    domain = _domain()
    return sorted(set(domain["intents"]) - NOT_INTERRUPTIONS - _answers_of_the_form(domain))


def _rules() -> List[Dict[str, Any]]:
    rules: List[Dict[str, Any]] = []
    for path in sorted((REPO / "data" / "rules").glob("*.yml")):
        rules += yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", [])
    return rules


def _interruption_rule(intent: str) -> Optional[Dict[str, Any]]:
    for rule in _rules():
        steps = rule.get("steps", [])
        if {"active_loop": FORM} in rule.get("condition", []) and steps and steps[0] == {"intent": intent}:
            return rule
    return None


def test_the_list_of_interrupting_intents_is_not_empty() -> None:
    assert {"pin_rules", "office_hours", "human_handoff", "out_of_scope", "share_sensitive"} <= set(
        _interrupting_intents()
    )


@pytest.mark.parametrize("intent", _interrupting_intents())
def test_each_interrupting_intent_has_a_rule_that_returns_to_the_form(intent: str) -> None:
    rule = _interruption_rule(intent)
    assert rule is not None, f"no rule for {intent} while {FORM} is active (data/rules/interruptions.yml)"
    steps = rule["steps"]
    assert [list(step) for step in steps[1:]] == [["action"], ["action"], ["active_loop"]], rule["rule"]
    assert steps[1]["action"] != FORM
    if intent in ENDS_THE_FORM:
        assert steps[2:] == [{"action": "action_deactivate_loop"}, {"active_loop": None}], rule["rule"]
    else:
        assert steps[2:] == [{"action": FORM}, {"active_loop": FORM}], rule["rule"]


# ---------------------------------------------------------------- what RulePolicy actually predicts


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """RulePolicy trained on data/rules with the project's domain and config."""
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
    from rasa.shared.core.training_data.structures import StoryGraph

    domain = Domain.load(str(REPO / "domain.yml"))
    steps = []
    for path in sorted((REPO / "data" / "rules").glob("*.yml")):
        steps += YAMLStoryReader(domain).read_from_file(str(path))
    trackers = TrainingDataGenerator(
        StoryGraph(steps), domain, augmentation_factor=0, use_story_concatenation=False
    ).generate()
    config = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    settings = next(p for p in config["policies"] if p["name"] == "RulePolicy")
    policy = RulePolicy.create(
        {**RulePolicy.get_default_config(), **{k: v for k, v in settings.items() if k != "name"}},
        LocalModelStorage(tmp_path_factory.mktemp("policy")),
        Resource("rule_policy"),
        ExecutionContext(GraphSchema({}), node_name="rule_policy"),
    )
    policy.train(trackers, domain)
    return policy, domain


def _mid_form(domain: Any, intent: str) -> Any:
    """A conversation where the form has just asked for the applicant type, then the resident sends `intent`."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [
        ActionExecuted("action_listen"),
        UserUttered("暗証番号を忘れました", intent={"name": "forgot_pin", "confidence": 1.0}),
        SlotSet("procedure", "pin_reset"),
        ActionExecuted(FORM),
        ActiveLoop(FORM),
        SlotSet("requested_slot", "applicant_type"),
        ActionExecuted("action_listen"),
        UserUttered("…", intent={"name": intent, "confidence": 1.0}),
    ]
    return DialogueStateTracker.from_events("mid-form", events, domain.slots)


def _next_action(policy: Any, domain: Any, tracker: Any) -> str:
    prediction = policy.predict_action_probabilities(tracker, domain)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return domain.action_names_or_texts[best]


@pytest.mark.parametrize("intent", _interrupting_intents())
def test_rule_policy_answers_then_asks_again(trained: Any, intent: str) -> None:
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    policy, domain = trained
    rule = _interruption_rule(intent)
    assert rule is not None
    tracker = _mid_form(domain, intent)
    # The form runs first; it rejects a message that answers none of its questions, then the rule decides.
    assert _next_action(policy, domain, tracker) == FORM
    tracker.update(ActionExecutionRejected(FORM))
    answer = rule["steps"][1]["action"]
    assert _next_action(policy, domain, tracker) == answer
    tracker.update(ActionExecuted(answer))
    assert _next_action(policy, domain, tracker) == ("action_deactivate_loop" if intent in ENDS_THE_FORM else FORM)
