"""Score one trained pipeline on the issue-9 sets and render the comparison (docs/nlu.md, "Out of domain")."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from tools.nlu_lab import ood, report
from tools.nlu_lab.ood import GATE_OFF, Operating
from tools.nlu_lab.pipelines import PipelineSpec
from tools.nlu_lab.predictions import Prediction
from tools.nlu_lab.runner import evaluate_once, run_worker

COMMITTED_FALLBACK = 0.7  # FallbackClassifier threshold of config.yml before issue 9


def evaluate(
    spec: PipelineSpec, run: Dict[str, Any], args: argparse.Namespace, work_dir: Path, tag: str
) -> Dict[str, Any]:
    """Parses the OOD, contrast and validation sets with the model of `run`; all views and the curve."""
    artifact = run["train"]["artifact"]
    items = ood.ood_items(args.ood)
    families = {i["text"]: i["family"] for i in items}
    contrast, readings = ood.contrast_items(args.contrast)
    sets = {
        "ood": str(ood.write_json_set(items, work_dir / "sets" / "ood.json")),
        "contrast": str(ood.write_json_set(contrast, work_dir / "sets" / "contrast.json")),
        "validation": args.validation,
    }
    parsed: Dict[str, List[Prediction]] = {}
    for name, path in sets.items():
        if args.reuse:
            result = evaluate_once(spec, work_dir, f"{tag}.{name}", artifact, path)
        else:
            result = run_worker("evaluate", spec, work_dir, f"{tag}.{name}", artifact=artifact, test=path)
        parsed[name] = [Prediction.from_json(p) for p in result["predictions"]]
    heldout = run["predictions"]
    has_gate = any(p.ood_probability is not None for p in heldout)
    chosen = ood.choose_operating_point(parsed["validation"], has_gate)
    views: List[Tuple[str, Optional[Operating]]] = [("as configured", None)]
    if has_gate:
        views.append((f"gate off, fallback {COMMITTED_FALLBACK}", Operating(GATE_OFF, COMMITTED_FALLBACK)))
    views.append(
        (
            f"tuned on validation: gate {_gate(chosen['gate'])}, fallback {chosen['fallback']}",
            Operating(chosen["gate"], chosen["fallback"]),
        )
    )
    scored = []
    for label, op in views:
        scored.append(
            {
                "view": label,
                "ood_rejection": ood.rejection(parsed["ood"], op),
                "heldout": ood.heldout_scores(heldout, op),
                "contrast": ood.contrast_scores(parsed["contrast"], readings, op),
                "validation_rejection": ood.rejection(
                    [p for p in parsed["validation"] if p.gold_intent == ood.OUT_OF_SCOPE_INTENT], op
                ),
                "families": ood.family_rejection(parsed["ood"], families, op),
            }
        )
    return {
        "chosen": chosen,
        "views": scored,
        "curve": ood.curve(parsed["ood"], heldout, chosen["gate"]),
        "gate_curve": [
            {
                "gate": g,
                "rejection": ood.rejection(parsed["ood"], Operating(g, chosen["fallback"])),
                "in_scope_recall": ood.in_scope_recall(heldout, Operating(g, chosen["fallback"])),
            }
            for g in (ood.GATE_GRID if has_gate else ())
        ],
        "n": {k: len(v) for k, v in parsed.items()},
        "errors": _errors(parsed, heldout, Operating(chosen["gate"], chosen["fallback"])),
    }


def _gate(value: float) -> str:
    return "off" if value >= GATE_OFF else str(value)


def _errors(
    parsed: Mapping[str, List[Prediction]], heldout: Sequence[Prediction], op: Operating
) -> Dict[str, List[str]]:
    """Misses at the chosen point, for reading (written to results.json only)."""
    return {
        "ood_accepted": [
            f"{p.text} → {ood.final_intent(p, op)}"
            for p in parsed["ood"]
            if ood.final_intent(p, op) not in ood.REJECTED
        ],
        "heldout_wrong": [
            f"{p.text} [{p.gold_intent}] → {ood.final_intent(p, op)}"
            for p in heldout
            if ood.final_intent(p, op) != p.gold_intent
            and not (p.gold_intent == ood.OUT_OF_SCOPE_INTENT and ood.final_intent(p, op) in ood.REJECTED)
        ],
    }


def summary_lines(row: Mapping[str, Any]) -> List[str]:
    """One console line per view."""
    lines = []
    for v in row["ood"]["views"]:
        h, c = v["heldout"], v["contrast"]
        lines.append(
            f"{v['view']}: OOD rejection={v['ood_rejection']:.3f} held-out acc={h['accuracy']:.3f} "
            f"macroF1={h['macro_f1']:.3f} acc+fb={h['accuracy_with_fallback']:.3f} "
            f"in-scope recall={h['in_scope_recall']:.3f} contrast={c['accuracy']:.3f} "
            f"ambiguous handled={c['ambiguous_handled']:.2f} val. rejection={v['validation_rejection']:.3f}"
        )
    return lines


def jsonable(result: Mapping[str, Any]) -> Dict[str, Any]:
    """The result as stored in results.json."""
    return dict(result)


def markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """Comparison table, per-family rejection and the threshold curves."""
    out = [
        "| pipeline | thresholds | OOD rejection | held-out acc. | macro-F1 | acc. incl. rejection | in-scope recall "
        "| contrast acc. | ambiguous handled (asked) | validation rejection | train s | parse p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        s = row["summary"]
        for v in row["ood"]["views"]:
            h, c = v["heldout"], v["contrast"]
            out.append(
                f"| {row['label']} | {v['view']} | {v['ood_rejection']:.3f} | {h['accuracy']:.3f} | {h['macro_f1']:.3f} "
                f"| {h['accuracy_with_fallback']:.3f} | {h['in_scope_recall']:.3f} | {c['accuracy']:.3f} "
                f"| {c['ambiguous_handled']:.2f} ({c['ambiguous_asked']:.2f}) | {v['validation_rejection']:.3f} "
                f"| {report.measured(s.get('train_seconds', 0.0))} | {s['latency']['p50_ms']:.1f} |"
            )
    families = sorted({f for row in rows for v in row["ood"]["views"] for f in v["families"]})
    out += ["", "Rejection per family at each pipeline's validation-tuned point:", ""]
    out.append("| pipeline | " + " | ".join(families) + " |")
    out.append("|---|" + "---|" * len(families))
    for row in rows:
        tuned = row["ood"]["views"][-1]["families"]
        out.append(f"| {row['label']} | " + " | ".join(f"{tuned.get(f, 0.0):.3f}" for f in families) + " |")
    for row in rows:
        chosen = row["ood"]["chosen"]
        out += [
            "",
            f"Threshold curve of {row['label']} (gate {_gate(chosen['gate'])}): OOD rejection on the test set "
            "against in-scope recall on the held-out set, by FallbackClassifier threshold:",
            "",
            "| fallback threshold | " + " | ".join(f"{p['fallback']:.2f}" for p in row["ood"]["curve"]) + " |",
            "|---|" + "---|" * len(row["ood"]["curve"]),
            "| OOD rejection | " + " | ".join(f"{p['rejection']:.3f}" for p in row["ood"]["curve"]) + " |",
            "| in-scope recall | " + " | ".join(f"{p['in_scope_recall']:.3f}" for p in row["ood"]["curve"]) + " |",
        ]
        if row["ood"]["gate_curve"]:
            gc = row["ood"]["gate_curve"]
            out += [
                "",
                f"By gate threshold (fallback {chosen['fallback']}):",
                "",
                "| gate threshold | " + " | ".join(_gate(p["gate"]) for p in gc) + " |",
                "|---|" + "---|" * len(gc),
                "| OOD rejection | " + " | ".join(f"{p['rejection']:.3f}" for p in gc) + " |",
                "| in-scope recall | " + " | ".join(f"{p['in_scope_recall']:.3f}" for p in gc) + " |",
            ]
    return "\n".join(out)
