"""channels.rasa_patches: the patched paths give exactly what Rasa's own give; other Rasa versions are refused."""

from __future__ import annotations

from typing import Any, Dict, Iterator

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from channels import rasa_patches

RESPONSES: list[Dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "municipality", "value": "mitaka"}], "responses": [{"text": "はい"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
    {"events": [{"event": "user_featurization", "use_text_for_featurization": False}]},
    {"events": [{"event": "rewind"}, {"event": "restart"}, {"event": "reset_slots"}]},
    {"events": "not a list"},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": "no_such_event"}]},
    {"responses": "oops"},
    {"events": [{"event": "slot", "name": 3, "value": "x"}]},
]


@pytest.fixture
def remote() -> Iterator[RemoteAction]:
    """A RemoteAction (no endpoint is called); Rasa's own paths are restored afterwards."""
    yield RemoteAction("action_x", None)
    rasa_patches.uninstall()


def _outcome(action: RemoteAction, response: Dict[str, Any]) -> str:
    try:
        return str(action._validate_action_result(response))
    except jsonschema.ValidationError as error:
        return f"error: {error.message}"


@pytest.mark.parametrize("response", RESPONSES, ids=range(len(RESPONSES)))
def test_same_verdict_and_message_as_rasa(remote: RemoteAction, response: Dict[str, Any]) -> None:
    expected = _outcome(remote, response)
    rasa_patches.install()
    assert _outcome(remote, response) == expected


def test_invalid_responses_are_still_refused(remote: RemoteAction) -> None:
    rasa_patches.install()
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        remote._validate_action_result({"events": "not a list"})
    assert remote._validate_action_result({"events": []}) is True


def _resolved(name: str, default: Any = None) -> Any:
    try:
        return Event.resolve_by_type(name, default)
    except ValueError as error:
        return f"error: {error}"


def test_every_event_name_resolves_to_the_class_rasa_finds(remote: RemoteAction) -> None:
    names = sorted({cls.type_name for cls in all_subclasses(Event)}) + ["topic", "no_such_event"]
    expected = {name: _resolved(name) for name in names}
    assert expected["slot"].__name__ == "SlotSet" and str(expected["no_such_event"]).startswith("error")
    rasa_patches.install()
    assert {name: _resolved(name) for name in names} == expected
    assert _resolved("no_such_event", default=Event) is Event


def test_events_read_back_are_the_same(remote: RemoteAction) -> None:
    stored: list[Dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "暗証番号を忘れました", "parse_data": {"intent": {"name": "forgot_pin"}}},
        {"event": "slot", "name": "municipality", "value": "mitaka"},
        {"event": "bot", "text": "はい"},
    ]
    expected = [Event.from_parameters(dict(e)) for e in stored]
    rasa_patches.install()
    assert [Event.from_parameters(dict(e)) for e in stored] == expected


def test_other_rasa_versions_are_refused() -> None:
    """The patches replace private members of one Rasa version: install() on any other refuses clearly."""
    rasa_patches.check_version(rasa_patches.RASA_VERSION)
    with pytest.raises(RuntimeError, match="written for Rasa 3.6.21 but Rasa 3.7.0 is installed"):
        rasa_patches.check_version("3.7.0")
