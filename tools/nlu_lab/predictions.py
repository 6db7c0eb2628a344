"""One parsed utterance, in a form every pipeline (Rasa or sklearn) can produce."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from tools.nlu_lab.dataset import Entity, Example

FALLBACK_INTENT = "nlu_fallback"
OUT_OF_SCOPE_INTENT = "out_of_scope"
# Where nlu_components.domain_gate puts its output in a parse result.
GATE_KEY = "domain_gate"


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

    def to_json(self) -> Dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Prediction":
        """Inverse of `to_json`."""
        values = dict(data)
        for key in ("gold_entities", "entities"):
            values[key] = tuple(Entity(**e) for e in values[key])
        return cls(**values)


def from_rasa_parse(example: Example, parsed: Mapping[str, Any], latency_ms: float) -> Prediction:
    """Builds a `Prediction` from a /model/parse style result."""
    intent = (parsed.get("intent") or {}).get("name") or FALLBACK_INTENT
    # FallbackClassifier puts nlu_fallback first and keeps the classifier's
    # ranking after it; skip it to recover what the classifier said.
    ranking: List[Mapping[str, Any]] = [
        r for r in parsed.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT
    ]
    top = ranking[0] if ranking else {"name": intent, "confidence": 0.0}
    second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
    entities = tuple(
        Entity(e["entity"], int(e["start"]), int(e["end"]), str(e.get("value"))) for e in parsed.get("entities") or []
    )
    gate: Mapping[str, Any] = parsed.get(GATE_KEY) or {}
    return Prediction(
        text=example.text,
        gold_intent=example.intent,
        gold_entities=example.entities,
        intent=intent,
        top_intent=str(top["name"]),
        top_confidence=float(top.get("confidence") or 0.0),
        second_confidence=second,
        entities=_dedupe(entities),
        latency_ms=latency_ms,
        ood_probability=_optional_float(gate.get("ood_probability")),
        intent_before_gate=gate.get("intent_before"),
        confidence_before_gate=_optional_float(gate.get("confidence_before")),
    )


def _optional_float(value: Any) -> Optional[float]:
    return None if value is None else float(value)


def _dedupe(entities: Sequence[Entity]) -> Tuple[Entity, ...]:
    """Several extractors may find the same entity; count it once."""
    seen = []
    for entity in entities:
        if entity not in seen:
            seen.append(entity)
    return tuple(seen)
