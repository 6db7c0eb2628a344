"""Every patch of Rasa internals, in one place, for the one Rasa version they were written against.

Each patch replaces a private member of Rasa 3.6.21 with code that keeps its contract; ``install()`` refuses to
patch any other version (the private members may have changed shape). Called by ``channels.cli`` before Rasa
starts; nothing is patched on import. Classes Rasa loads by name from the configuration (``storage.redacting_sql``,
``storage.redis_lock``, ``channels.redacting_rest``) are subclasses, not patches, and are not listed here.

1. ``RemoteAction._validate_action_result`` (hot path, docs/performance.md): Rasa calls
   ``jsonschema.validate(result, schema)`` per custom action per turn, which checks the large events schema
   against the metaschema and builds a new validator each time. Here the schema is checked once and the validator
   reused; every response is still validated, with Rasa's message. Upstream: RasaHQ/rasa#11717 (turns 70-80%
   slower since Rasa 3.2 with jsonschema 4; closed without a fix in Rasa).
2. ``Event.resolve_by_type`` (hot path): each stored event read back from the tracker store finds its class by
   walking every subclass of ``Event``. Here the walk is done once into a table (again when a name is missing).
   Upstream: no RasaHQ/rasa issue found for this.
3. ``Agent._create_tracker_store``: Rasa wraps every tracker store in ``FailSafeTrackerStore``, which answers from
   a brand-new empty conversation when the database is down. Here the error fails the turn instead. Upstream: the
   fallback was added by RasaHQ/rasa#3243, where a later comment reports the same lost messages.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional, Text, Type

import rasa
from jsonschema import exceptions
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

RASA_VERSION = "3.6.21"  # the version whose private members these patches replace (requirements/rasa.lock)

_rasa_validate = RemoteAction._validate_action_result
_rasa_resolve = Event.resolve_by_type
_rasa_create_tracker_store = Agent.__dict__["_create_tracker_store"]
_event_classes: Dict[Text, Type[Event]] = {}


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # what jsonschema.validate repeats on every call
    return cls(schema)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Patch 1, same contract as ``RemoteAction._validate_action_result``: True, or the best-matching error."""
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action endpoint "
        f"is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def resolve_event_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Patch 2, same contract as ``Event.resolve_by_type``: the first subclass with that name, as Rasa finds it."""
    found = _event_classes.get(type_name)
    if found is None:
        # First use, or an Event subclass imported since: walk again, in Rasa's order (the first one wins).
        _event_classes.clear()
        for cls in all_subclasses(Event):
            _event_classes.setdefault(cls.type_name, cls)
        found = _event_classes.get(type_name)
    return found if found is not None else _rasa_resolve(type_name, default)


def _reraise(error: Exception) -> None:
    raise error


def create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    """Patch 3, ``Agent._create_tracker_store`` with errors passed on (Rasa's code plus the error callback).

    A resident's 「本人です」 in the middle of the form would otherwise get the opening menu, and the turn would be
    kept only in that process's memory, where no other replica and no later turn sees it. Re-raising lets the REST
    channel answer with the polite apology, and the next message, once the database is back, continues the
    conversation as stored.
    """
    if store is None:
        store = InMemoryTrackerStore(domain)
    else:
        store.domain = domain
    return FailSafeTrackerStore(store, on_tracker_store_error=_reraise)


def check_version(version: str = rasa.__version__) -> None:
    """Refuse to patch a Rasa other than the one the patches were written for."""
    if version != RASA_VERSION:
        raise RuntimeError(
            f"channels.rasa_patches was written for Rasa {RASA_VERSION} but Rasa {version} is installed: "
            "check each patch against the new version's code, then update RASA_VERSION"
        )


def install() -> None:
    """Apply every patch in this process (after checking the Rasa version)."""
    check_version()
    RemoteAction._validate_action_result = validate_action_result
    Event.resolve_by_type = staticmethod(resolve_event_type)
    Agent._create_tracker_store = staticmethod(create_tracker_store)


def uninstall() -> None:
    """Rasa's own members again (tests)."""
    RemoteAction._validate_action_result = _rasa_validate
    Event.resolve_by_type = staticmethod(_rasa_resolve)
    Agent._create_tracker_store = _rasa_create_tracker_store
