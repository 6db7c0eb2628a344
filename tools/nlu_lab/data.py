"""Labelled utterances and predictions: Rasa NLU YAML in, folds and test sets out, parse results as `Prediction`s."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import yaml

from jptext import nfkc

if TYPE_CHECKING:  # Rasa is imported lazily: loading it is slow and the scoring needs none of it
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
SHARE_SENSITIVE_INTENT = "share_sensitive"
AMBIGUOUS_INTENT = "ambiguous_password"
# Gold label given to the ambiguous contrast items (their readings are kept aside).
AMBIGUOUS_GOLD = "__ambiguous__"
# Where nlu_components.domain_gate puts its output in a parse result.
GATE_KEY = "domain_gate"


@dataclass(frozen=True)
class Entity:
    """One entity annotation or prediction (value is the canonical id)."""

    entity: str
    start: int
    end: int
    value: str


@dataclass(frozen=True)
class Example:
    """One labelled utterance."""

    text: str
    intent: str
    entities: Tuple[Entity, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Prediction:
    """Gold labels next to what a pipeline said about one utterance."""

    text: str
    gold_intent: str
    gold_entities: Tuple[Entity, ...]
    # Final intent, as /model/parse returns it (may be nlu_fallback).
    intent: str
    # The classifiers' best guess with FallbackClassifier undone; used for the
    # accuracy that all pipelines are compared on.
    top_intent: str
    top_confidence: float
    second_confidence: float
    entities: Tuple[Entity, ...]
    latency_ms: float
    # Domain gate (nlu_components.domain_gate), when the pipeline has one:
    # P(out of domain) and what the classifiers said before any override.
    ood_probability: Optional[float] = None
    intent_before_gate: Optional[str] = None
    confidence_before_gate: Optional[float] = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Prediction":
        """Inverse of `dataclasses.asdict`."""
        values = dict(data)
        for key in ("gold_entities", "entities"):
            values[key] = tuple(Entity(**e) for e in values[key])
        return cls(**values)


def _entities(items: Any) -> Tuple[Entity, ...]:
    return tuple(Entity(e["entity"], int(e["start"]), int(e["end"]), str(e.get("value"))) for e in items or [])


def load_training_data(path: str) -> "TrainingData":
    """Loads a Rasa NLU file or directory (examples, synonyms, lookups, regexes)."""
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(path, language="ja")


def examples_from(training_data: "TrainingData") -> List[Example]:
    """Intent examples of `training_data` as plain `Example`s."""
    return [
        Example(m.get("text"), m.get("intent"), _entities(m.get("entities")))
        for m in training_data.intent_examples
        if m.get("text") is not None
    ]


def load_examples(source: Union[str, Sequence[Mapping[str, str]]]) -> List[Example]:
    """The intent examples of a Rasa NLU file or directory, or of a list of {text, intent} (the OOD sets)."""
    if isinstance(source, str):
        return examples_from(load_training_data(source))
    return [Example(i["text"], i["intent"]) for i in source]


def normalized_text(text: str) -> str:
    """jptext.nfkc without spaces: how we decide that two utterances are the same."""
    return "".join(nfkc(text).split())


def stratified_folds(
    training_data: "TrainingData", folds: int, seed: int
) -> List[Tuple["TrainingData", "TrainingData"]]:
    """(train, test) pairs; each intent's examples, shuffled, are dealt round-robin to folds.

    Synonyms, lookup tables and regexes go into every training part, since
    they are configuration rather than examples.
    """
    from rasa.shared.nlu.training_data.training_data import TrainingData

    if folds < 2:
        raise ValueError("need at least 2 folds")
    rng = random.Random(seed)
    dealt: List[Message] = []
    # One deal across intents (not one per intent) so that small intents do not all land in fold 0.
    for intent in sorted({m.get("intent") for m in training_data.intent_examples}):
        messages = [m for m in training_data.intent_examples if m.get("intent") == intent]
        rng.shuffle(messages)
        dealt += messages
    parts = [dealt[k::folds] for k in range(folds)]
    d = training_data

    def training_part(k: int) -> TrainingData:  # every fold but k, and all of the configuration
        examples = [m for i in range(folds) if i != k for m in parts[i]]
        return TrainingData(examples, dict(d.entity_synonyms), list(d.regex_features), list(d.lookup_tables))

    return [(training_part(k), TrainingData(parts[k])) for k in range(folds)]


def write_training_data(training_data: "TrainingData", path: Path) -> Path:
    """Writes `training_data` as Rasa YAML to `path` and returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(training_data.nlu_as_yaml(), encoding="utf-8")
    return path


def from_rasa_parse(example: Example, parsed: Mapping[str, Any], latency_ms: float) -> Prediction:
    """Builds a `Prediction` from a /model/parse style result."""
    intent = (parsed.get("intent") or {}).get("name") or FALLBACK_INTENT
    # FallbackClassifier puts nlu_fallback first and keeps the classifier's
    # ranking after it; skip it to recover what the classifier said.
    ranking = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    top = ranking[0] if ranking else {"name": intent, "confidence": 0.0}
    gate: Mapping[str, Any] = parsed.get(GATE_KEY) or {}
    # Several extractors may find the same entity; count it once.
    entities = tuple(dict.fromkeys(_entities(parsed.get("entities"))))
    return Prediction(
        text=example.text,
        gold_intent=example.intent,
        gold_entities=example.entities,
        intent=intent,
        top_intent=str(top["name"]),
        top_confidence=float(top.get("confidence") or 0.0),
        second_confidence=float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0,
        entities=entities,
        latency_ms=latency_ms,
        ood_probability=_optional_float(gate.get("ood_probability")),
        intent_before_gate=gate.get("intent_before"),
        confidence_before_gate=_optional_float(gate.get("confidence_before")),
    )


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def ood_items(path: str) -> List[Dict[str, str]]:
    """The out-of-domain set (tests/nlu/out_of_domain.yml) as [{text, intent: out_of_scope, family}]."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [
        {"text": text, "intent": OUT_OF_SCOPE_INTENT, "family": family}
        for family, texts in data["families"].items()
        for text in texts
    ]


def contrast_items(path: str) -> Tuple[List[Dict[str, str]], Dict[str, List[str]]]:
    """In-scope lookalikes [{text, intent}] and the ambiguous items' readings by text."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    examples = [{"text": e["text"], "intent": e["intent"]} for e in data.get("examples") or []]
    readings = {a["text"]: list(a["could_be"]) for a in data.get("ambiguous") or []}
    examples += [{"text": text, "intent": AMBIGUOUS_GOLD} for text in readings]
    return examples, readings
