"""`make eval-nlu`: compare NLU pipelines on the held-out set, k-fold CV, out-of-domain sets; write docs/nlu.md."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from tools.nlu_lab import report, score
from tools.nlu_lab.data import (
    OUT_OF_SCOPE_INTENT,
    Prediction,
    contrast_items,
    load_examples,
    load_training_data,
    normalized_text,
    ood_items,
    stratified_folds,
    write_training_data,
)
from tools.nlu_lab.models import MAIN, REPO_ROOT, PipelineSpec, resolve, run_step
from tools.nlu_lab.score import GATE_OFF, REJECTED, Operating, final_intent

COMMITTED_FALLBACK = 0.7  # FallbackClassifier threshold of config.yml before issue 9


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--data", default="data/nlu", help="training data (file or dir)")
    add("--heldout", default="tests/nlu/heldout.yml", help="held-out test set, never trained on")
    add("--folds", type=int, default=5, help="k for k-fold CV of this pipeline (0 = skip CV)")
    add("--seed", type=int, default=42)
    add("--quick", action="store_true", help="only this pipeline, held-out only, no doc update")
    add("--pipelines", default="sudachi,tutorial_ginza,sklearn_tfidf")
    add("--work-dir", default="var/nlu_eval")
    add("--doc", default="docs/nlu.md", help="Markdown file to update ('' = none)")
    add("--ood", default="tests/nlu/out_of_domain.yml", help="out-of-domain test set ('' = skip)")
    add("--contrast", default="tests/nlu/contrast.yml", help="in-scope lookalike test set")
    add("--validation", default="tests/nlu/validation_independent.yml", help="split the OOD thresholds are chosen on")
    add("--reuse", action="store_true", help="reuse models already trained in --work-dir")
    add("--model", help="evaluate this trained model (`make train`'s) as this pipeline instead of training one")
    return parser.parse_args(argv)


def _predictions(result: Dict[str, Any]) -> List[Prediction]:
    """Takes the parses out of a step's result."""
    return [Prediction.from_json(p) for p in result.pop("predictions")]


def cross_validate(spec: PipelineSpec, train_data: str, folds: int, seed: int, work_dir: Path) -> Dict[str, Any]:
    """Stratified k-fold CV on the training data; pooled out-of-fold predictions.

    Each fold trains and parses in one process: no memory is reported for folds, so a second start only costs time.
    """
    pooled: List[Prediction] = []
    per_fold: List[Dict[str, float]] = []
    for k, (train_part, test_part) in enumerate(stratified_folds(load_training_data(train_data), folds, seed)):
        where = work_dir / f"fold{k}"
        data = str(write_training_data(train_part, where / "train.yml"))
        test = str(write_training_data(test_part, where / "test.yml"))
        run = run_step("train-evaluate", spec, where, "run", data=data, test=test, out=str(where / "run"), seed=seed)
        predictions = _predictions(run)
        fold = score.intent_metrics(predictions)
        per_fold.append({k: fold[k] for k in ("accuracy", "macro_f1")} | {"train_seconds": run["train_seconds"]})
        pooled.extend(predictions)
    return {"folds": folds, "per_fold": per_fold, "summary": score.summarize(pooled), "predictions": pooled}


def evaluate_ood(spec: PipelineSpec, run: Dict[str, Any], args: argparse.Namespace, work_dir: Path) -> Dict[str, Any]:
    """Parses the OOD, contrast and validation sets with the model of `run`; all views and the curves (issue 9)."""
    items = ood_items(args.ood)
    families = {i["text"]: i["family"] for i in items}
    contrast, readings = contrast_items(args.contrast)
    sets: Dict[str, Any] = {"ood": items, "contrast": contrast, "validation": args.validation}
    artifact = run["train"]["artifact"]
    parsed = {
        name: _predictions(
            run_step("evaluate", spec, work_dir, f"{spec.name}.{name}", args.reuse, artifact=artifact, test=test)
        )
        for name, test in sets.items()
    }
    heldout = run["predictions"]
    has_gate = any(p.ood_probability is not None for p in heldout)
    chosen = score.choose_operating_point(parsed["validation"], has_gate)
    tuned = Operating(chosen["gate"], chosen["fallback"])
    views: List[Tuple[str, Optional[Operating]]] = [("as configured", None)]
    if has_gate:
        views.append((f"gate off, fallback {COMMITTED_FALLBACK}", Operating(GATE_OFF, COMMITTED_FALLBACK)))
    views.append(
        (f"tuned on validation: gate {report.gate_label(chosen['gate'])}, fallback {chosen['fallback']}", tuned)
    )
    oos_validation = [p for p in parsed["validation"] if p.gold_intent == OUT_OF_SCOPE_INTENT]
    scored = [
        {
            "view": label,
            "ood_rejection": score.rejection(parsed["ood"], op),
            "heldout": score.heldout_scores(heldout, op),
            "contrast": score.contrast_scores(parsed["contrast"], readings, op),
            "validation_rejection": score.rejection(oos_validation, op),
            "families": score.family_rejection(parsed["ood"], families, op),
        }
        for label, op in views
    ]
    gates = [Operating(g, chosen["fallback"]) for g in (score.GATE_GRID if has_gate else ())]
    curve = [Operating(chosen["gate"], t) for t in score.THRESHOLD_GRID]
    return {
        "chosen": chosen,
        "views": scored,
        "curve": [{"fallback": op.fallback, **score.point(parsed["ood"], heldout, op)} for op in curve],
        "gate_curve": [{"gate": op.gate, **score.point(parsed["ood"], heldout, op)} for op in gates],
        "n": {k: len(v) for k, v in parsed.items()},
        # Misses at the chosen point, for reading (written to results.json only).
        "errors": {
            "ood_accepted": [
                f"{p.text} → {final_intent(p, tuned)}" for p in parsed["ood"] if final_intent(p, tuned) not in REJECTED
            ],
            "heldout_wrong": [
                f"{p.text} [{p.gold_intent}] → {final_intent(p, tuned)}"
                for p in heldout
                if not score.right_or_rejected(p, tuned)
            ],
        },
    }


def _print_summary(name: str, summary: Mapping[str, Any]) -> None:
    intent, ent, fb, lat = summary["intent"], summary["entities"], summary["fallback"], summary["latency"]
    parts = [f"{name:<28}", f"acc={intent['accuracy']:.3f}", f"macroF1={intent['macro_f1']:.3f}"]
    unseen = summary["intent_unseen"]
    if unseen["n"] < intent["n"]:
        parts.append(f"acc(unseen {unseen['n']})={unseen['accuracy']:.3f}")
    parts += [f"acc+fb={intent['accuracy_with_fallback']:.3f}", f"entF1(value)={ent['value']['f1']:.3f}"]
    parts += [f"OOS→fb={fb['oos_fallback_rate']:.2f}", f"in→fb={fb['in_scope_fallback_rate']:.3f}"]
    parts += [f"p50={lat['p50_ms']:.1f}ms", f"p95={lat['p95_ms']:.1f}ms"]
    if "train_seconds" in summary:
        parts += [f"train={summary['train_seconds']:.1f}s", f"rss={summary['serving_rss_mb']:.0f}MiB"]
    print(" ".join(parts), flush=True)


def _heldout_row(spec: PipelineSpec, args: argparse.Namespace, work_dir: Path) -> Dict[str, Any]:
    """Trains `spec` (or takes `--model` as this pipeline), parses the held-out set, and the OOD sets too.

    Training and parsing run in separate processes so that the serving memory is that of a process that only
    loaded the model; `--model` has no training figures (NaN: not measured here).
    """
    tag, work_dir = spec.name, work_dir / "heldout"
    if args.model and spec.name == MAIN.name:
        trained: Dict[str, Any] = {"artifact": args.model, "train_seconds": math.nan, "train_peak_rss_mb": math.nan}
    else:
        trained = run_step(
            "train", spec, work_dir, tag, args.reuse, data=args.data, out=str(work_dir / tag), seed=args.seed
        )
    evaluated = run_step("evaluate", spec, work_dir, tag, args.reuse, artifact=trained["artifact"], test=args.heldout)
    run: Dict[str, Any] = {"train": trained, "evaluate": evaluated, "predictions": _predictions(evaluated)}
    seen = {normalized_text(e.text) for e in load_examples(args.data)}
    summary = score.summarize(run["predictions"], run, seen)
    _print_summary(f"held-out {spec.name}", summary)
    for c in summary["intent"]["confusions"][:8]:
        print(f"    {c['gold']} → {c['predicted']} ×{c['count']}")
    row = {"name": spec.name, "label": spec.label, "summary": summary, "predictions": run["predictions"]}
    if args.ood and spec.kind == "rasa":
        row["ood"] = evaluate_ood(spec, run, args, work_dir)
        for line in report.summary_lines(row):
            print("   ", line)
    return row


def _dump_predictions(name: str, predictions: Sequence[Prediction], work_dir: Path) -> None:
    """Per-utterance predictions, for reading the errors behind the numbers."""
    path = work_dir / f"predictions.{name}.jsonl"
    path.write_text("".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in predictions), encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    """Runs the comparison; returns a process exit code."""
    args = _arguments(argv)
    os.chdir(REPO_ROOT)
    work_dir = Path(args.work_dir)
    names = ["sudachi"] if args.quick else [n for n in args.pipelines.split(",") if n]
    rows: Dict[str, Dict[str, Any]] = {}
    for name in names:
        rows[name] = _heldout_row(resolve(name), args, work_dir)
        _dump_predictions(name, rows[name]["predictions"], work_dir)
    if not args.quick and args.folds >= 2:
        cv = cross_validate(MAIN, args.data, args.folds, args.seed, work_dir / "cv" / MAIN.name)
        rows.setdefault(MAIN.name, {"name": MAIN.name, "label": MAIN.label})["cv"] = cv
        _print_summary(f"{args.folds}-fold CV {MAIN.name}", cv["summary"])
        _dump_predictions(f"cv.{MAIN.name}", cv["predictions"], work_dir)

    def stored(row: Dict[str, Any]) -> Dict[str, Any]:  # results.json leaves the predictions out
        return {k: stored(v) if k == "cv" else v for k, v in row.items() if k != "predictions"}

    results: Dict[str, Any] = {"args": vars(args), "rows": {name: stored(row) for name, row in rows.items()}}
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.doc and not args.quick:
        _write_doc(Path(args.doc), args, rows, names)
    return 0


def _write_doc(doc: Path, args: argparse.Namespace, rows: Dict[str, Dict[str, Any]], names: List[str]) -> None:
    provenance = (
        f"{report.generated_by('tools.nlu_lab.eval')}, Python {platform.python_version()}. "
        f"Training examples: {len(load_examples(args.data))} (`{args.data}`); "
        f"held-out: {len(load_examples(args.heldout))} (`{args.heldout}`); seed {args.seed}."
    )
    if ood_rows := [rows[n] for n in names if "ood" in rows[n]]:
        report.splice(doc, "ood", provenance + "\n\n" + report.ood_markdown(ood_rows))
    report.splice(doc, "comparison", provenance + "\n\n" + report.comparison_table([rows[n] for n in names]))
    if (main_row := rows.get(MAIN.name)) is None:
        return
    report.splice(doc, "targets", report.targets_section(main_row, [rows[n] for n in names if n != MAIN.name]))
    report.splice(doc, "per-intent", report.per_intent_table(main_row["summary"]))
    if cv_rows := [rows[n] for n in names if "cv" in rows[n]]:
        report.splice(doc, "cv", report.cv_table(cv_rows))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
