"""The issue's checks (PASS/MISS) and the report: a Markdown table for people, JSON for tools."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.loadtest.residents import Summary
from tools.loadtest.rss import Drift, RssSample

# Issue 11's targets.
IDLE_P50_RATIO_MAX = 1.3
RESIDENTS_P95_MAX_MS = 150.0
SATURATED_RATIO_MIN = 1.0
ISSUE_RESIDENTS, ISSUE_THINK_S = 40, 2.0
SOAK_RSS_DRIFT_MAX = 0.05
BUSY_LOAD_AVERAGE = 0.5  # above this 1-minute load average at start, other work distorts every figure


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
        return "PASS" if (self.value <= self.limit if self.at_most else self.value >= self.limit) else "MISS"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """The quotient numerator / denominator, or None when either is missing or the denominator is 0."""
    return None if numerator is None or not denominator else round(numerator / denominator, 3)


def evaluate_checks(results: Mapping[str, Mapping[str, Summary]]) -> list[Check]:
    """The issue's ratios and limits from the run's summaries (results[target][mode])."""
    stock, run, scaled = ({} if (r := results.get(t)) is None else r for t in ("stock", "run", "scaled"))
    idle = ratio(*(getattr(t.get("idle"), "p50_ms", None) for t in (run, stock)))
    saturated = ratio(*(getattr(t.get("saturation"), "turns_per_s", None) for t in (scaled, stock)))
    scaled_sat, stock_sat, note = scaled.get("saturation"), stock.get("saturation"), ""
    if scaled_sat and stock_sat and scaled_sat.params.get("residents") != stock_sat.params.get("residents"):
        note = "different concurrency for the two targets"
    elif scaled_sat and scaled_sat.errors:
        note = f"{scaled_sat.errors} errors in the scaled run"
    checks = [
        Check("make run idle p50 / stock idle p50", idle, IDLE_P50_RATIO_MAX, at_most=True),
        Check("run-scaled saturated turns/s / stock saturated turns/s", saturated, SATURATED_RATIO_MIN, False, note),
    ]
    for target, modes in (("scaled", scaled), ("run", run)):
        notes, s = [], modes.get("residents")
        if s and (s.params.get("residents") != ISSUE_RESIDENTS or s.params.get("think_s") != ISSUE_THINK_S):
            load = f"{s.params['residents']:g} residents / {s.params['think_s']:g} s think"
            notes.append(f"measured at {load}, not the issue's 40 / 2 s")
        notes += [f"{s.errors} errors"] if s and s.errors else []
        value = s.p95_ms if s else None
        checks.append(Check(f"{target} residents p95 (ms)", value, RESIDENTS_P95_MAX_MS, True, "; ".join(notes)))
    return checks


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
        note = f"largest drift {worst.name} {worst.max_change:.1%}; errors {errors}"
        note += f"; over 5 % or gone: {', '.join(over)}" if over else ""
        # One number for PASS/MISS: drift beyond the limit or any error makes it exceed 0.
        return Check("soak: processes over 5 % RSS drift + errors", float(len(over) + errors), 0, True, note)


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
        measured = {t.name: t.modes for t in self.targets if t.modes}
        return (evaluate_checks(measured) if measured else []) + ([self.soak.check()] if self.soak else [])


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _errors(s: Summary) -> str:
    return f"{s.errors} ({', '.join(f'{k} {v}' for k, v in s.error_kinds.items())})" if s.errors else "0"


def _params(s: Summary) -> str:
    p = s.params
    if "warmup_turns" in p:
        return "1 resident, no think time"
    if p.get("think_s"):
        return f"{p.get('residents', 0):g} residents, {p['think_s']:g} s think"
    return f"{p.get('residents', 0):g} clients, no think time"


def figures(s: Summary) -> str:
    """A summary's latency percentiles and errors in one line."""
    return f"p50 {_ms(s.p50_ms)} ms, p95 {_ms(s.p95_ms)} ms, p99 {_ms(s.p99_ms)} ms, errors {_errors(s)}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def _table(title: str, header: str, align: str, rows: Sequence[Sequence[object]]) -> list[str]:
    """A Markdown table under a heading (nothing when there is no row): the header's cells are split on ``|``."""
    lines = [header, align, *("| " + " | ".join(map(str, row)) + " |" for row in rows)]
    return ["", f"## {title}", "", *lines] if rows else []


def render_markdown(report: Report) -> str:
    """The report as Markdown: machine, per target & mode, checks, RSS, soak, notes."""
    la = " / ".join(f"{x:.2f}" for x in report.load_average)
    machine = f"Rasa {report.rasa_version} · nproc {report.nproc} · load average at start (1/5/15 min) {la}"
    lines = ["# Load test report", "", f"Started {report.started_at} · {machine}"]
    if report.busy_machine:
        lines += [
            "",
            f"> **WARNING: the 1-minute load average at start was {report.load_average[0]:.2f} (> {BUSY_LOAD_AVERAGE}). "
            f"Other work was running on this {report.nproc}-core machine: every figure below is distorted. Re-run on a "
            "quiet machine before quoting them.**",
        ]
    rows: list[list[object]] = []
    for t in report.targets:
        if t.status != "ok":
            why = f"**{t.status}**: {_first_line(t.reason).removeprefix(f'{t.status}: ')}"
            rows.append([t.name, "–", why + " |" * 6])
        for mode, s in t.modes.items() if t.status == "ok" else ():
            cells = [_ms(s.p50_ms), _ms(s.p95_ms), _ms(s.p99_ms), _errors(s)]
            rows.append([t.name, mode, _params(s), s.turns, f"{s.turns_per_s:.2f}", *cells])
    header = "| target | mode | load | turns | turns/s | p50 ms | p95 ms | p99 ms | errors |"
    lines += _table("Turns by target and mode", header, "|---|---|---|---:|---:|---:|---:|---:|---|", rows)
    checks = [
        [c.name, "–" if c.value is None else f"{c.value:g}", f"{'≤' if c.at_most else '≥'} {c.limit:g}"]
        + [f"**{c.status}**", c.note]
        for c in report.checks()
    ]
    header = "| check | measured | target | result | note |"
    lines += _table("Checks (issue 11)", header, "|---|---:|---|---|---|", checks)
    rss: list[list[object]] = []
    for t in report.targets:
        warm, end = (t.rss[k].mib if k in t.rss else {} for k in ("after_warmup", "end"))
        rss += [[t.name, name, _ms(warm.get(name)), _ms(end.get(name))] for name in dict.fromkeys([*warm, *end])]
    header = "| target | process | after warm-up | at the end |"
    lines += _table("Resident memory (VmRSS, MiB)", header, "|---|---|---:|---:|", rss)
    lines += _soak_lines(report.soak) if report.soak is not None else []
    lines += ["", "## Notes", ""]
    for t in report.targets:
        lines += [f"- {t.name}: {note}" for note in t.notes]
        if t.status != "ok" and "\n" in t.reason:
            lines.append(f"- {t.name} {t.status}: see report.json and var/loadtest/logs/")
        if missed := sum((Counter(s.missed_buttons) for s in t.modes.values()), Counter[str]()):
            listed = ", ".join(f"「{title}」 {count}×" for title, count in sorted(missed.items()))
            lines.append(f"- {t.name}: scripted buttons the bot did not offer (typed instead): {listed}")
    return "\n".join(lines + [f"- {note}" for note in report.notes]) + "\n"


def _soak_lines(soak: SoakResult) -> list[str]:
    lines = ["", f"## Soak ({soak.target})", ""]
    if (s := soak.summary) is None:
        return lines + [f"**{soak.status}**: {_first_line(soak.reason)}"]
    lines.append(
        f"{_params(s)} for {s.duration_s:g} s after a {soak.warmup_s:g} s warm-up: {s.turns} turns, "
        f"{s.turns_per_s:.2f} turns/s, {figures(s)} (warm-up: {s.warmup_errors}); {len(soak.samples)} RSS samples."
    )
    rows: list[list[object]] = []
    for d in sorted(soak.drifts, key=lambda d: d.max_change, reverse=True):  # the worst process first
        ok = "yes" if d.max_change <= SOAK_RSS_DRIFT_MAX else "**no**"
        mib = [f"{v:.1f}" for v in (d.baseline_mib, d.min_mib, d.max_mib, d.last_mib)]
        rows.append([d.name, *mib, f"{d.max_change:.1%}", ok if d.present_at_end else "**gone before the end**"])
    header = "| process | after warm-up MiB | min | max | last | largest change | within 5 % |"
    return lines + _table("", header, "|---|---:|---:|---:|---:|---:|---|", rows)[3:]


def write_report(report: Report, out_dir: Path) -> tuple[Path, Path]:
    """Write report.md and report.json (checks with their status) into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, json_path = out_dir / "report.md", out_dir / "report.json"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    data = {**dataclasses.asdict(report), "busy_machine": report.busy_machine}
    data["checks"] = [{**dataclasses.asdict(c), "status": c.status} for c in report.checks()]
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return md_path, json_path
