"""`make eval-nlu`: compare NLU pipelines on the held-out set, k-fold CV, write docs/nlu.md."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

from tools.nlu_lab import ood_report, report
from tools.nlu_lab.dataset import load_examples, normalized_text
from tools.nlu_lab.pipelines import MAIN, REPO_ROOT, PipelineSpec, resolve
from tools.nlu_lab.resources import cpu_model
from tools.nlu_lab.runner import cross_validate, summarize, train_and_evaluate
from tools.nlu_lab.thresholds import choose_thresholds, score_distributions


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default="data/nlu", help="training data (file or dir)")
    parser.add_argument("--heldout", default="tests/nlu/heldout.yml", help="held-out test set, never trained on")
    parser.add_argument("--folds", type=int, default=5, help="k for k-fold CV (0 = skip CV)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true", help="only this pipeline, held-out only, no doc update")
    parser.add_argument("--pipelines", default="sudachi,tutorial_ginza,sklearn_tfidf")
    parser.add_argument(
        "--cv-pipelines", default="sudachi", help="pipelines that also get k-fold CV (may name variant:<name>)"
    )
    parser.add_argument("--variants", default="", help="ablation configs from tools/nlu_lab/variants/ (comma list)")
    parser.add_argument("--work-dir", default="var/nlu_eval")
    parser.add_argument("--doc", default="docs/nlu.md", help="Markdown file to update ('' = none)")
    parser.add_argument("--ood", default="tests/nlu/out_of_domain.yml", help="out-of-domain test set ('' = skip)")
    parser.add_argument("--contrast", default="tests/nlu/contrast.yml", help="in-scope lookalike test set")
    parser.add_argument(
        "--validation",
        default="tests/nlu/validation_independent.yml",
        help="validation split the OOD thresholds are chosen on",
    )
    parser.add_argument("--reuse", action="store_true", help="reuse models already trained in --work-dir")
    parser.add_argument(
        "--model",
        help="evaluate this trained model (e.g. models/pinbot.tar.gz of `make train`, what is deployed) as "
        "this pipeline instead of training an NLU-only one",
    )
    parser.add_argument("--ood-block", default="ood", help="doc block that the OOD comparison rewrites")
    parser.add_argument("--ablation-block", default="ablation", help="doc block that a --variants run rewrites")
    return parser.parse_args(argv)


def _provenance(args: argparse.Namespace, n_train: int, n_heldout: int) -> str:
    command = "PYTHONPATH=. .venv/bin/python -m tools.nlu_lab.eval " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    return (
        f"Generated {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} by `{command.strip()}` "
        f"on {os.cpu_count()} CPU(s) ({cpu_model()}), Python {platform.python_version()}. "
        f"Training examples: {n_train} (`{args.data}`); held-out: {n_heldout} (`{args.heldout}`); "
        f"seed {args.seed}."
    )


def _print_summary(name: str, summary: Dict[str, Any]) -> None:
    intent, ent, fb, lat = summary["intent"], summary["entities"], summary["fallback"], summary["latency"]
    parts = [f"{name:<28}", f"acc={intent['accuracy']:.3f}", f"macroF1={intent['macro_f1']:.3f}"]
    unseen = summary["intent_unseen"]
    if unseen["n"] < intent["n"]:
        parts.append(f"acc(unseen {unseen['n']})={unseen['accuracy']:.3f}")
    parts += [
        f"acc+fb={intent['accuracy_with_fallback']:.3f}",
        f"entF1(value)={ent['value']['f1']:.3f}",
        f"OOS→fb={fb['oos_fallback_rate']:.2f}",
        f"in→fb={fb['in_scope_fallback_rate']:.3f}",
        f"p50={lat['p50_ms']:.1f}ms",
        f"p95={lat['p95_ms']:.1f}ms",
    ]
    if "train_seconds" in summary:
        parts += [f"train={summary['train_seconds']:.1f}s", f"rss={summary['serving_rss_mb']:.0f}MiB"]
    print(" ".join(parts), flush=True)


def _heldout_row(spec: PipelineSpec, args: argparse.Namespace, work_dir: Path) -> Dict[str, Any]:
    tag = spec.name.replace(":", "_")
    artifact = args.model if args.model and spec.name == MAIN.name else None
    run = train_and_evaluate(
        spec, args.data, args.heldout, work_dir / "heldout", tag, args.seed, reuse=args.reuse, artifact=artifact
    )
    seen = {normalized_text(e.text) for e in load_examples(args.data)}
    summary = summarize(run["predictions"], run, seen)
    _print_summary(f"held-out {spec.name}", summary)
    for c in summary["intent"]["confusions"][:8]:
        print(f"    {c['gold']} → {c['predicted']} ×{c['count']}")
    row = {"name": spec.name, "label": spec.label, "summary": summary, "predictions": run["predictions"]}
    if args.ood and spec.kind == "rasa":
        row["ood"] = ood_report.evaluate(spec, run, args, work_dir / "heldout", tag)
        for line in ood_report.summary_lines(row):
            print("   ", line)
    return row


def main(argv: Sequence[str]) -> int:
    """Runs the comparison; returns a process exit code."""
    args = _arguments(argv)
    os.chdir(REPO_ROOT)
    work_dir = Path(args.work_dir)
    names = ["sudachi"] if args.quick else [n for n in args.pipelines.split(",") if n]
    variants = [f"variant:{v}" for v in args.variants.split(",") if v]
    cv_names = [] if args.quick or args.folds < 2 else [n for n in args.cv_pipelines.split(",") if n]

    rows = {}
    for name in names + variants:
        rows[name] = _heldout_row(resolve(name), args, work_dir)
        _dump_predictions({name: rows[name]}, work_dir)
    for name in cv_names:
        spec = resolve(name)
        rows.setdefault(name, {"name": name, "label": spec.label})
        rows[name]["cv"] = cross_validate(
            spec, args.data, args.folds, args.seed, work_dir / "cv" / name.replace(":", "_")
        )
        _print_summary(f"{args.folds}-fold CV {name}", rows[name]["cv"]["summary"])
        _dump_predictions({f"cv.{name}": {"predictions": rows[name]["cv"]["predictions"]}}, work_dir)

    results: Dict[str, Any] = {"args": vars(args), "rows": {}}
    for name, row in rows.items():
        results["rows"][name] = {k: v for k, v in row.items() if k not in ("predictions", "ood")}
        if "ood" in row:
            results["rows"][name]["ood"] = ood_report.jsonable(row["ood"])
        if "cv" in row:
            results["rows"][name]["cv"] = {k: v for k, v in row["cv"].items() if k != "predictions"}
    main_row = rows.get(MAIN.name)
    if main_row and "cv" in main_row:
        results["thresholds"] = choose_thresholds(main_row["cv"]["predictions"])
        results["cv_distributions"] = score_distributions(main_row["cv"]["predictions"])
        results["heldout_distributions"] = score_distributions(main_row["predictions"])
        print(
            f"fallback thresholds from CV: threshold={results['thresholds']['threshold']} "
            f"ambiguity={results['thresholds']['ambiguity_threshold']}"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.doc and not args.quick:
        _write_doc(Path(args.doc), args, rows, names, variants, results)
    return 0


def _dump_predictions(rows: Dict[str, Any], work_dir: Path) -> None:
    """Per-utterance predictions, for reading the errors behind the numbers."""
    for name, row in rows.items():
        if "predictions" in row:
            path = work_dir / f"predictions.{name.replace(':', '_')}.jsonl"
            path.write_text(
                "".join(json.dumps(p.to_json(), ensure_ascii=False) + "\n" for p in row["predictions"]),
                encoding="utf-8",
            )


def _write_doc(
    doc: Path,
    args: argparse.Namespace,
    rows: Dict[str, Any],
    names: List[str],
    variants: List[str],
    results: Dict[str, Any],
) -> None:
    provenance = _provenance(args, len(load_examples(args.data)), len(load_examples(args.heldout)))
    ood_rows = [rows[n] for n in names + variants if "ood" in rows[n]]
    if ood_rows:
        report.splice(doc, args.ood_block, provenance + "\n\n" + ood_report.markdown(ood_rows))
    if variants:
        ablation = [rows[v] for v in variants]
        content = report.comparison_table(ablation)
        cv_rows = [rows[v] for v in variants if "cv" in rows[v]]
        if cv_rows:
            content += "\n\n" + report.cv_table(cv_rows)
        report.splice(doc, args.ablation_block, provenance + "\n\n" + content)
        return
    compared = [rows[n] for n in names]
    report.splice(doc, "comparison", provenance + "\n\n" + report.comparison_table(compared))
    main_row = rows.get(MAIN.name)
    if main_row is None:
        return
    baselines = [rows[n] for n in names if n != MAIN.name]
    report.splice(doc, "targets", report.targets_section(main_row, baselines))
    report.splice(doc, "per-intent", report.per_intent_table(main_row["summary"]))
    cv_rows = [rows[n] for n in names if "cv" in rows[n]]
    if cv_rows:
        report.splice(doc, "cv", report.cv_table(cv_rows))
    if "thresholds" in results:
        report.splice(
            doc,
            "thresholds",
            report.thresholds_section(
                results["thresholds"], results["cv_distributions"], results["heldout_distributions"]
            ),
        )
