"""Load Rasa NLU YAML into plain examples, split it into folds, write it back."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from jptext import nfkc


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


def load_training_data(path: str) -> TrainingData:
    """Loads a Rasa NLU file or directory (examples, synonyms, lookups, regexes)."""
    return load_data(str(path), language="ja")


def examples_from(training_data: TrainingData) -> List[Example]:
    """Intent examples of `training_data` as plain `Example`s."""
    return [_to_example(message) for message in training_data.intent_examples if message.get("text") is not None]


def load_examples(path: str) -> List[Example]:
    """Loads the intent examples of a Rasa NLU file or directory."""
    return examples_from(load_training_data(path))


def _to_example(message: Message) -> Example:
    entities = tuple(
        Entity(e["entity"], int(e["start"]), int(e["end"]), str(e.get("value"))) for e in message.get("entities") or []
    )
    return Example(message.get("text"), message.get("intent"), entities)


def normalized_text(text: str) -> str:
    """jptext.nfkc without spaces: how we decide that two utterances are the same."""
    return "".join(nfkc(text).split())


def stratified_folds(training_data: TrainingData, folds: int, seed: int) -> List[Tuple[TrainingData, TrainingData]]:
    """(train, test) pairs; each intent's examples are dealt round-robin to folds.

    Synonyms, lookup tables and regexes go into every training part, since
    they are configuration rather than examples.
    """
    if folds < 2:
        raise ValueError("need at least 2 folds")
    by_intent: Dict[str, List[Message]] = defaultdict(list)
    for message in training_data.intent_examples:
        by_intent[message.get("intent")].append(message)
    rng = random.Random(seed)
    assignment: List[List[Message]] = [[] for _ in range(folds)]
    # One counter across intents so that small intents do not all land in fold 0.
    position = 0
    for intent in sorted(by_intent):
        messages = list(by_intent[intent])
        rng.shuffle(messages)
        for message in messages:
            assignment[position % folds].append(message)
            position += 1
    pairs = []
    for k in range(folds):
        train = [m for i, part in enumerate(assignment) if i != k for m in part]
        test = _with_examples(training_data, assignment[k], bare=True)
        pairs.append((_with_examples(training_data, train), test))
    return pairs


def _with_examples(source: TrainingData, examples: Sequence[Message], bare: bool = False) -> TrainingData:
    if bare:
        return TrainingData(training_examples=list(examples))
    return TrainingData(
        training_examples=list(examples),
        entity_synonyms=dict(source.entity_synonyms),
        regex_features=list(source.regex_features),
        lookup_tables=list(source.lookup_tables),
    )


def write_training_data(training_data: TrainingData, path: Path) -> Path:
    """Writes `training_data` as Rasa YAML to `path` and returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(training_data.nlu_as_yaml(), encoding="utf-8")
    return path
