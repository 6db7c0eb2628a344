"""The issue's checks (PASS/MISS) and the report: a Markdown table for people, JSON for tools."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.loadtest.rss import Drift, RssSample
from tools.loadtest.stats import Summary

# Issue 11's targets.
IDLE_P50_RATIO_MAX = 1.3
RESIDENTS_P95_MAX_MS = 150.0
SCALED_THROUGHPUT_RATIO_MIN = 1.0
ISSUE_RESIDENTS = 40
ISSUE_THINK_S = 2.0
SOAK_RSS_DRIFT_MAX = 0.05
# Above this 1-minute load average at start, other work on the machine distorts every figure.
BUSY_LOAD_AVERAGE = 0.5


@dataclass(frozen=True)
class Check:
    """One of the issue's targets: the measured value against its limit."""

    name: str
    value: float | None
    limit: float
    at_most: bool  # True: value <= limit passes; False: value >= limit passes
    note: str = ""

    @property
    def status(self) -> str:
        """PASS, MISS, or N/A when a figure it needs was not measured."""
        if self.value is None:
            return "N/A"
        ok = self.value <= self.limit if self.at_most else self.value >= self.limit
        return "PASS" if ok else "MISS"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """The quotient numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return round(numerator / denominator, 3)


Results = Mapping[str, Mapping[str, Summary]]


def _get(results: Results, target: str, mode: str) -> Summary | None:
    return results.get(target, {}).get(mode)


def _p50(summary: Summary | None) -> float | None:
    return summary.p50_ms if summary is not None else None


def _throughput(summary: Summary | None) -> float | None:
    return summary.turns_per_s if summary is not None else None


def evaluate_checks(results: Results) -> list[Check]:
    """The issue's ratios and limits from the run's summaries (results[target][mode])."""
    checks = []
    run_idle, stock_idle = _get(results, "run", "idle"), _get(results, "stock", "idle")
    checks.append(
        Check(
            "make run idle p50 / stock idle p50",
            ratio(_p50(run_idle), _p50(stock_idle)),
            IDLE_P50_RATIO_MAX,
            at_most=True,
        )
    )
    scaled_sat, stock_sat = _get(results, "scaled", "saturation"), _get(results, "stock", "saturation")
    checks.append(
        Check(
            "run-scaled saturated turns/s / stock saturated turns/s",
            ratio(_throughput(scaled_sat), _throughput(stock_sat)),
            SCALED_THROUGHPUT_RATIO_MIN,
            at_most=False,
            note=_saturation_note(scaled_sat, stock_sat),
        )
    )
    for target in ("scaled", "run"):
        summary = _get(results, target, "residents")
        checks.append(
            Check(
                f"{target} residents p95 (ms)",
                summary.p95_ms if summary else None,
                RESIDENTS_P95_MAX_MS,
                at_most=True,
                note=_residents_note(summary),
            )
        )
    return checks


def _saturation_note(scaled: Summary | None, stock: Summary | None) -> str:
    if scaled and stock and scaled.params.get("residents") != stock.params.get("residents"):
        return "different concurrency for the two targets"
    if scaled and scaled.errors:
        return f"{scaled.errors} errors in the scaled run"
    return ""


def _residents_note(summary: Summary | None) -> str:
    if summary is None:
        return ""
    residents, think = summary.params.get("residents"), summary.params.get("think_s")
    notes = []
    if residents != ISSUE_RESIDENTS or think != ISSUE_THINK_S:
        notes.append(f"measured at {residents:g} residents / {think:g} s think, not the issue's 40 / 2 s")
    if summary.errors:
        notes.append(f"{summary.errors} errors")
    return "; ".join(notes)


@dataclass
class TargetResult:
    """What happened to one target: measured modes, or why it was not measured; RSS snapshots; notes."""

    name: str
    status: str = "ok"  # ok, not available, failed
    reason: str = ""
    modes: dict[str, Summary] = field(default_factory=dict)
    rss: dict[str, RssSample] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class SoakResult:
    """The soak: its load's summary, every RSS sample, and each process's drift after the warm-up."""

    target: str
    summary: Summary | None
    samples: list[RssSample]
    drifts: list[Drift]
    warmup_s: float
    status: str = "ok"
    reason: str = ""

    def check(self) -> Check:
        """PASS when every process's RSS stayed within 5 % after warm-up and no turn failed (warm-up included)."""
        if self.summary is None or not self.drifts:
            return Check("soak: RSS within 5 % and 0 errors", None, 0, at_most=True, note=self.reason)
        worst = max(self.drifts, key=lambda d: d.max_change)
        errors = self.summary.errors + self.summary.warmup_errors
        over = [d.name for d in self.drifts if d.max_change > SOAK_RSS_DRIFT_MAX or not d.present_at_end]
        # One number for PASS/MISS: drift beyond the limit or any error makes it exceed 0.
        bad = len(over) + errors
        note = f"largest drift {worst.name} {worst.max_change:.1%}; errors {errors}"
        if over:
            note += f"; over 5 % or gone: {', '.join(over)}"
        return Check("soak: processes over 5 % RSS drift + errors", float(bad), 0, at_most=True, note=note)


@dataclass
class Report:
    """Everything one harness run found."""

    started_at: str
    rasa_version: str
    nproc: int
    load_average: tuple[float, float, float]
    settings: dict[str, Any]
    targets: list[TargetResult] = field(default_factory=list)
    soak: SoakResult | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def busy_machine(self) -> bool:
        """Whether the 1-minute load average at start says other work was running."""
        return self.load_average[0] > BUSY_LOAD_AVERAGE

    def checks(self) -> list[Check]:
        """The issue's checks that this run can speak to."""
        checks = []
        measured = {t.name: t.modes for t in self.targets if t.modes}
        if measured:
            checks.extend(evaluate_checks(measured))
        if self.soak is not None:
            checks.append(self.soak.check())
        return checks


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _errors(summary: Summary) -> str:
    if not summary.errors:
        return "0"
    kinds = ", ".join(f"{k} {v}" for k, v in summary.error_kinds.items())
    return f"{summary.errors} ({kinds})"


def _params(summary: Summary) -> str:
    p = summary.params
    if "warmup_turns" in p:
        return "1 resident, no think time"
    if p.get("think_s"):
        return f"{p.get('residents', 0):g} residents, {p['think_s']:g} s think"
    return f"{p.get('residents', 0):g} clients, no think time"


def render_markdown(report: Report) -> str:
    """The report as Markdown: machine, per target & mode, checks, RSS, soak, notes."""
    lines = ["# Load test report", ""]
    la = " / ".join(f"{x:.2f}" for x in report.load_average)
    lines.append(
        f"Started {report.started_at} · Rasa {report.rasa_version} · nproc {report.nproc} · "
        f"load average at start (1/5/15 min) {la}"
    )
    lines.append("")
    if report.busy_machine:
        lines += [
            f"> **WARNING: the 1-minute load average at start was {report.load_average[0]:.2f} (> "
            f"{BUSY_LOAD_AVERAGE}). Other work was running on this {report.nproc}-core machine: every figure below "
            "is distorted. Re-run on a quiet machine before quoting them.**",
            "",
        ]
    if report.targets:
        lines += [
            "## Turns by target and mode",
            "",
            "| target | mode | load | turns | turns/s | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---:|---:|---:|---:|---:|---|",
        ]
    for target in report.targets:
        if target.status != "ok":
            reason = _first_line(target.reason).removeprefix(f"{target.status}: ")
            lines.append(f"| {target.name} | – | **{target.status}**: {reason} | | | | | | |")
            continue
        for mode, s in target.modes.items():
            lines.append(
                f"| {target.name} | {mode} | {_params(s)} | {s.turns} | {s.turns_per_s:.2f} | {_ms(s.p50_ms)} | "
                f"{_ms(s.p95_ms)} | {_ms(s.p99_ms)} | {_errors(s)} |"
            )
    checks = report.checks()
    if checks:
        lines += [
            "",
            "## Checks (issue 11)",
            "",
            "| check | measured | target | result | note |",
            "|---|---:|---|---|---|",
        ]
        for c in checks:
            value = "–" if c.value is None else f"{c.value:g}"
            limit = f"{'≤' if c.at_most else '≥'} {c.limit:g}"
            lines.append(f"| {c.name} | {value} | {limit} | **{c.status}** | {c.note} |")
    lines += _rss_lines(report)
    if report.soak is not None:
        lines += _soak_lines(report.soak)
    lines += ["", "## Notes", ""]
    for target in report.targets:
        for note in target.notes:
            lines.append(f"- {target.name}: {note}")
        if target.status != "ok" and "\n" in target.reason:
            lines.append(f"- {target.name} {target.status}: see report.json and var/loadtest/logs/")
        missed: Counter[str] = Counter()
        for s in target.modes.values():
            missed.update(s.missed_buttons)
        if missed:
            listed = ", ".join(f"「{title}」 {count}×" for title, count in sorted(missed.items()))
            lines.append(f"- {target.name}: scripted buttons the bot did not offer (typed instead): {listed}")
    lines += [f"- {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _rss_lines(report: Report) -> list[str]:
    rows = []
    for target in report.targets:
        warm = target.rss.get("after_warmup")
        end = target.rss.get("end")
        names = list(dict.fromkeys([*(warm.mib if warm else {}), *(end.mib if end else {})]))
        for name in names:
            before = warm.mib.get(name) if warm else None
            after = end.mib.get(name) if end else None
            rows.append(f"| {target.name} | {name} | {_ms(before)} | {_ms(after)} |")
    if not rows:
        return []
    return [
        "",
        "## Resident memory (VmRSS, MiB)",
        "",
        "| target | process | after warm-up | at the end |",
        "|---|---|---:|---:|",
        *rows,
    ]


def _soak_lines(soak: SoakResult) -> list[str]:
    lines = ["", f"## Soak ({soak.target})", ""]
    if soak.summary is None:
        return lines + [f"**{soak.status}**: {_first_line(soak.reason)}"]
    s = soak.summary
    lines.append(
        f"{_params(s)} for {s.duration_s:g} s after a {soak.warmup_s:g} s warm-up: {s.turns} turns, "
        f"{s.turns_per_s:.2f} turns/s, p50 {_ms(s.p50_ms)} ms, p95 {_ms(s.p95_ms)} ms, p99 {_ms(s.p99_ms)} ms, "
        f"errors {_errors(s)} (warm-up: {s.warmup_errors}); {len(soak.samples)} RSS samples."
    )
    lines += [
        "",
        "| process | after warm-up MiB | min | max | last | largest change | within 5 % |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for d in soak_drifts_sorted(soak.drifts):
        ok = "yes" if d.max_change <= SOAK_RSS_DRIFT_MAX else "**no**"
        if not d.present_at_end:
            ok = "**gone before the end**"
        lines.append(
            f"| {d.name} | {d.baseline_mib:.1f} | {d.min_mib:.1f} | {d.max_mib:.1f} | {d.last_mib:.1f} | "
            f"{d.max_change:.1%} | {ok} |"
        )
    return lines


def to_json(report: Report) -> dict[str, Any]:
    """The report as plain data (report.json), checks with their status included."""
    data = dataclasses.asdict(report)
    data["busy_machine"] = report.busy_machine
    data["checks"] = [{**dataclasses.asdict(c), "status": c.status} for c in report.checks()]
    return data


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write report.md and report.json into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, json_path = out_dir / "report.md", out_dir / "report.json"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, json_path)
    return md_path, json_path


def soak_drifts_sorted(drifts: Sequence[Drift]) -> list[Drift]:
    """Drifts, largest first (the report's reader looks at the worst process first)."""
    return sorted(drifts, key=lambda d: d.max_change, reverse=True)
