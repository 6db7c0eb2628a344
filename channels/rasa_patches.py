"""Two of Rasa 3.6's per-turn hot paths made cheaper in the Rasa server process, with the same results.

Found by profiling a turn (docs/performance.md):

- Each action-server response is checked with ``jsonschema.validate(result, schema)``, which validates the large
  events schema against the JSON-Schema metaschema and builds a new validator on every custom action of every
  turn. Here the schema is checked once and the validator reused; every response is still validated.
- Each stored event read back from the tracker store finds its class with ``Event.resolve_by_type``, which walks
  every subclass of ``Event`` per event. Here the walk is done once into a table (again if a name is missing).

``install()`` is called by channels.cli before Rasa starts; nothing is patched on import.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional, Text, Type

from jsonschema import exceptions
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_rasa_validate = RemoteAction._validate_action_result
_rasa_resolve = Event.resolve_by_type
_event_classes: Dict[Text, Type[Event]] = {}


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate repeats on every call
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Same contract as ``RemoteAction._validate_action_result``: True, or the best-matching ValidationError."""
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
        f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def resolve_event_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Same contract as ``Event.resolve_by_type``: the first subclass with that name, as Rasa's walk finds it."""
    found = _event_classes.get(type_name)
    if found is None:
        # First use, or an Event subclass imported since: walk again, in Rasa's order (the first one wins).
        _event_classes.clear()
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)
        found = _event_classes.get(type_name)
    return found if found is not None else _rasa_resolve(type_name, default)


def install() -> None:
    """Use the cheaper paths in this process."""
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_type)


def uninstall() -> None:
    """Rasa's own paths again (tests)."""
    RemoteAction._validate_action_result = _rasa_validate
    Event.resolve_by_type = staticmethod(_rasa_resolve)
