"""What the package's own graph components share: their merged config, the file training stores, reading it back."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Text, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)
C = TypeVar("C", bound="CustomComponent")


class CustomComponent(GraphComponent):
    """A component that keeps its config (defaults filled in) and where training stores its file.

    A trainable subclass names the file (``stored_as``), writes it with ``store`` and reads it back with
    ``stored_kwargs``, whose result is passed to ``__init__``; a model without the file loads untrained, with
    ``nothing_stored`` as the warning.
    """

    stored_as: Optional[str] = None
    nothing_stored = "nothing stored in the model; retrain it (make train)"

    def __init__(
        self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None, resource: Optional[Resource] = None
    ) -> None:
        """Stores the config over the defaults, the model storage and the resource."""
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls: type[C],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        """Creates an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[C],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> C:
        """The component with what training stored (untrained, with a warning, when the model holds nothing)."""
        if cls.stored_as is None:
            return cls.create(config, model_storage, resource, execution_context)
        try:
            with model_storage.read_from(resource) as directory:
                stored = cls.stored_kwargs(directory / cls.stored_as)
        except (ValueError, FileNotFoundError, OSError):
            logger.warning("%s: %s", cls.__name__, cls.nothing_stored)
            stored = {}
        return cls(config, model_storage, resource, **stored)

    @classmethod
    def stored_kwargs(cls, path: Path) -> Dict[str, Any]:
        """The ``__init__`` arguments read from the stored file."""
        return {}

    def store(self, write: Callable[[Path], object]) -> None:
        """Let ``write`` write the file into the model (nothing without model storage)."""
        if self._storage is None or self._resource is None or self.stored_as is None:
            return
        with self._storage.write_to(self._resource) as directory:
            write(directory / self.stored_as)


def force_intent(message: Message, name: str, confidence: float, replaced: frozenset[str] = frozenset()) -> None:
    """Set intent `name` with `confidence`, ranked first above what the classifiers thought (but `replaced`).

    The classifiers' ranking stays below it, so that logs and evaluation still show the underlying prediction.
    """
    forced = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    rest = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) not in {name, *replaced}]
    message.set(INTENT, forced, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [dict(forced)] + rest, add_to_output=True)
