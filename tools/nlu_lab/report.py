"""Render evaluation results as Markdown (docs/nlu.md's blocks) and console lines; splice them into a doc."""

from __future__ import annotations

import datetime
import math
import os
import re
import shlex
import sys
from pathlib import Path
from statistics import mean, pstdev
from typing import Any, Iterable, List, Mapping, Sequence, Tuple

from tools.nlu_lab.models import cpu_model
from tools.nlu_lab.score import GATE_OFF

TARGET_ACCURACY = 0.95
TARGET_P50_MS = 15.0
TARGET_TRAIN_SECONDS = 300.0


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> List[str]:
    """A Markdown table's lines: the header, its rule, one line per row."""

    def line(cells: Iterable[Any]) -> str:
        return "|" + "|".join(f" {cell} " if cell != "" else " " for cell in cells) + "|"  # an empty cell is "| |"

    return [line(header), "|" + "---|" * len(header), *map(line, rows)]


def generated_by(module: str) -> str:
    """When, by which command and on which CPU a block was generated: timings differ by machine and run."""
    command = f"PYTHONPATH=. .venv/bin/python -m {module} " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"Generated {now:%Y-%m-%d %H:%M UTC} by `{command.strip()}` on {os.cpu_count()} CPU(s) ({cpu_model()})"


def measured(value: float, digits: int = 1) -> str:
    """A figure for a table; "—" for NaN (not measured by this run, e.g. a model evaluated with `--model`)."""
    return "—" if math.isnan(value) else f"{value:.{digits}f}"


def comparison_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """One row per pipeline: quality, training cost, latency, memory on held-out."""
    header = "pipeline|intent acc.|macro-F1|acc. on unseen (n)|acc. incl. fallback|entity F1 (value)|entity F1 (span)"
    header += "|OOS → fallback|OOS handled|in-scope → fallback|train s|parse p50 ms|parse p95 ms|serving RSS MiB"
    return "\n".join(table((header + "|train peak RSS MiB").split("|"), map(_comparison_row, rows)))


def _comparison_row(row: Mapping[str, Any]) -> List[str]:
    """One pipeline's cells of `comparison_table`."""
    s = row["summary"]
    intent, entities, fallback, latency = s["intent"], s["entities"], s["fallback"], s["latency"]
    has_entities = entities["value"]["precision"] > 0 or entities["value"]["recall"] > 0
    f1s = [f"{entities[kind]['f1']:.3f}" if has_entities else "n/a" for kind in ("value", "span")]
    return [
        row["label"], f"{intent['accuracy']:.3f}", f"{intent['macro_f1']:.3f}",
        f"{s['intent_unseen']['accuracy']:.3f} ({s['intent_unseen']['n']})", f"{intent['accuracy_with_fallback']:.3f}",
        *f1s, f"{fallback['oos_fallback_rate']:.2f}", f"{fallback['oos_handled_rate']:.2f}",
        f"{fallback['in_scope_fallback_rate']:.3f}", measured(s["train_seconds"]), f"{latency['p50_ms']:.1f}",
        f"{latency['p95_ms']:.1f}", f"{s['serving_rss_mb']:.0f}", measured(s["train_peak_rss_mb"], 0),
    ]  # fmt: skip


def cv_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """k-fold cross-validation on data/nlu, one row per pipeline."""
    header = "pipeline|folds|accuracy mean ± sd|macro-F1 mean ± sd|pooled accuracy|pooled entity F1 (value)"
    cells = []
    for row in rows:
        cv = row["cv"]
        accs, f1s = ([f[key] for f in cv["per_fold"]] for key in ("accuracy", "macro_f1"))
        spread = [f"{mean(accs):.3f} ± {pstdev(accs):.3f}", f"{mean(f1s):.3f} ± {pstdev(f1s):.3f}"]
        pooled = [f"{cv['summary']['intent']['accuracy']:.3f}", f"{cv['summary']['entities']['value']['f1']:.3f}"]
        train = f"{mean(f['train_seconds'] for f in cv['per_fold']):.1f}"
        cells.append([row["label"], cv["folds"], *spread, *pooled, train])
    return "\n".join(table([*header.split("|"), "mean train s"], cells))


def per_intent_table(summary: Mapping[str, Any]) -> str:
    """Per-intent precision/recall/F1 and the most frequent confusion."""
    confusions = summary["intent"]["confusions"]
    rows = [
        [intent, s["support"], *(f"{s[k]:.2f}" for k in ("precision", "recall", "f1"))]
        + [", ".join(f"{c['predicted']} ×{c['count']}" for c in confusions if c["gold"] == intent) or "—"]
        for intent, s in sorted(summary["intent"]["per_intent"].items())
    ]
    return "\n".join(table(["intent", "n", "precision", "recall", "F1", "mistaken for"], rows))


def wide(points: Sequence[Mapping[str, Any]], *rows: Tuple[str, str, str]) -> List[str]:
    """A table with one column per point and one row per (title, key, format), the first row its header."""
    cells = [
        [title, *(gate_label(p[key]) if fmt == "gate" else format(p[key], fmt) for p in points)]
        for title, key, fmt in rows
    ]
    return table(cells[0], cells[1:])


def targets_section(main: Mapping[str, Any], baselines: Sequence[Mapping[str, Any]]) -> str:
    """Issue 3 targets against the measured figures, each marked met / missed."""
    s = main["summary"]
    acc, p50 = s["intent"]["accuracy"], s["latency"]["p50_ms"]
    best = max((b["summary"]["intent"]["accuracy"] for b in baselines), default=0.0)
    checks = [
        (f"held-out intent accuracy ≥ {TARGET_ACCURACY}", f"{acc:.3f}", acc >= TARGET_ACCURACY),
        ("better than both baselines", f"{acc:.3f} vs best baseline {best:.3f}", acc > best),
        (f"parse p50 ≤ {TARGET_P50_MS:.0f} ms", f"{p50:.1f} ms", p50 <= TARGET_P50_MS),
    ]
    if not math.isnan(s["train_seconds"]):  # a model evaluated with `--model` was not trained by this run
        seconds = s["train_seconds"]
        checks.append((f"training ≤ {TARGET_TRAIN_SECONDS:.0f} s", f"{seconds:.1f} s", seconds <= TARGET_TRAIN_SECONDS))
    return "\n".join(table(["target", "measured", ""], [(name, value, verdict(ok)) for name, value, ok in checks]))


def verdict(ok: bool) -> str:
    """A target's cell: met or missed."""
    return "met" if ok else "**missed**"


def gate_label(value: float) -> str:
    """A gate threshold as the tables write it ("off" for a gate that never fires)."""
    return "off" if value >= GATE_OFF else str(value)


# The figures of an OOD view, as (console name, format); the Markdown table has them in the same order.
VIEW_FIGURES = (
    ("OOD rejection", lambda v: f"{v['ood_rejection']:.3f}"),
    ("held-out acc", lambda v: f"{v['heldout']['accuracy']:.3f}"),
    ("macroF1", lambda v: f"{v['heldout']['macro_f1']:.3f}"),
    ("acc+fb", lambda v: f"{v['heldout']['accuracy_with_fallback']:.3f}"),
    ("in-scope recall", lambda v: f"{v['heldout']['in_scope_recall']:.3f}"),
    ("contrast", lambda v: f"{v['contrast']['accuracy']:.3f}"),
    ("ambiguous handled", lambda v: f"{v['contrast']['ambiguous_handled']:.2f}"),
    ("val. rejection", lambda v: f"{v['validation_rejection']:.3f}"),
)


def summary_lines(row: Mapping[str, Any]) -> List[str]:
    """One console line per view."""
    return [f"{v['view']}: " + " ".join(f"{n}={f(v)}" for n, f in VIEW_FIGURES) for v in row["ood"]["views"]]


CURVE_ROWS = (("OOD rejection", "rejection", ".3f"), ("in-scope recall", "in_scope_recall", ".3f"))


def ood_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """Comparison table, per-family rejection and the threshold curves."""
    header = "pipeline|thresholds|OOD rejection|held-out acc.|macro-F1|acc. incl. rejection|in-scope recall"
    header += "|contrast acc.|ambiguous handled (asked)|validation rejection|train s|parse p50 ms"
    views = []
    for row in rows:
        s = row["summary"]
        for v in row["ood"]["views"]:
            figures = [f(v) for _, f in VIEW_FIGURES]
            figures[6] += f" ({v['contrast']['ambiguous_asked']:.2f})"
            cost = [measured(s.get("train_seconds", 0.0)), f"{s['latency']['p50_ms']:.1f}"]
            views.append([row["label"], v["view"], *figures, *cost])
    out = table(header.split("|"), views)
    families = sorted({f for row in rows for v in row["ood"]["views"] for f in v["families"]})
    out += ["", "Rejection per family at each pipeline's validation-tuned point:", ""]
    tuned = [(row["label"], row["ood"]["views"][-1]["families"]) for row in rows]
    out += table(["pipeline", *families], ([label, *(f"{t.get(f, 0.0):.3f}" for f in families)] for label, t in tuned))
    for row in rows:
        chosen = row["ood"]["chosen"]
        out += [
            "",
            f"Threshold curve of {row['label']} (gate {gate_label(chosen['gate'])}): OOD rejection on the test set "
            "against in-scope recall on the held-out set, by FallbackClassifier threshold:",
            "",
        ]
        out += wide(row["ood"]["curve"], ("fallback threshold", "fallback", ".2f"), *CURVE_ROWS)
        if row["ood"]["gate_curve"]:
            out += ["", f"By gate threshold (fallback {chosen['fallback']}):", ""]
            out += wide(row["ood"]["gate_curve"], ("gate threshold", "gate", "gate"), *CURVE_ROWS)
    return "\n".join(out)


def splice(doc: Path, block: str, content: str) -> None:
    """Replaces the text between `<!-- BEGIN block -->` and `<!-- END block -->` in `doc`."""
    begin, end = f"<!-- BEGIN {block} -->", f"<!-- END {block} -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    replacement = f"{begin}\n{content.strip()}\n{end}"
    text, found = re.subn(re.escape(begin) + r".*?" + re.escape(end), lambda _: replacement, text, flags=re.DOTALL)
    doc.write_text(text if found else text.rstrip("\n") + f"\n\n{replacement}\n", encoding="utf-8")
