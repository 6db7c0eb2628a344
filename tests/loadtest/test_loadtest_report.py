import json
from dataclasses import replace
from pathlib import Path

from tools.loadtest.report import (
    Check,
    Report,
    SoakResult,
    TargetResult,
    evaluate_checks,
    ratio,
    render_markdown,
    write_report,
)
from tools.loadtest.residents import Summary
from tools.loadtest.rss import Drift, RssSample


def summary(
    p50: float = 50.0, p95: float = 100.0, tps: float = 10.0, residents: float = 40, think: float = 2.0, errors: int = 0
) -> Summary:
    return Summary(
        turns=100,
        duration_s=10.0,
        turns_per_s=tps,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p95,
        errors=errors,
        error_kinds={"fallback": errors} if errors else {},
        params={"residents": residents, "think_s": think},
    )


def idle(p50: float) -> Summary:
    return replace(summary(p50=p50), params={"residents": 1.0, "think_s": 0.0, "warmup_turns": 20.0})


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def test_ratio() -> None:
    assert ratio(13.0, 10.0) == 1.3
    assert ratio(None, 10.0) is None
    assert ratio(1.0, 0.0) is None


def test_checks_pass_at_the_limits_and_miss_beyond() -> None:
    results = {
        "stock": {"idle": summary(p50=40.0), "saturation": summary(tps=20.0)},
        "run": {"idle": summary(p50=52.0), "residents": summary(p95=150.1)},
        "scaled": {"saturation": summary(tps=20.0), "residents": summary(p95=150.0)},
    }
    checks = by_name(evaluate_checks(results))
    assert checks["make run idle p50 / stock idle p50"].value == 1.3
    assert checks["make run idle p50 / stock idle p50"].status == "PASS"
    assert checks["run-scaled saturated turns/s / stock saturated turns/s"].status == "PASS"
    assert checks["scaled residents p95 (ms)"].status == "PASS"
    assert checks["run residents p95 (ms)"].status == "MISS"

    results["run"]["idle"] = summary(p50=52.1)
    results["scaled"]["saturation"] = summary(tps=19.9)
    checks = by_name(evaluate_checks(results))
    assert checks["make run idle p50 / stock idle p50"].status == "MISS"
    assert checks["run-scaled saturated turns/s / stock saturated turns/s"].status == "MISS"


def test_missing_targets_make_checks_not_applicable() -> None:
    checks = by_name(evaluate_checks({"stock": {"idle": summary()}}))
    assert {c.status for c in checks.values()} == {"N/A"}


def test_residents_check_says_when_the_load_is_not_the_issues() -> None:
    checks = by_name(evaluate_checks({"scaled": {"residents": summary(residents=4, think=0.5, errors=2)}}))
    note = checks["scaled residents p95 (ms)"].note
    assert "4 residents / 0.5 s think" in note and "2 errors" in note


def test_soak_passes_only_without_drift_and_without_errors() -> None:
    steady = [Drift("gateway", 100.0, 104.0, 99.0, 103.0), Drift("rasa replica 1", 900.0, 940.0, 900.0, 930.0)]
    assert SoakResult("scaled", summary(), [], steady, 120.0).check().status == "PASS"
    grown = [*steady, Drift("action server 1", 200.0, 211.0, 200.0, 211.0)]
    check = SoakResult("scaled", summary(), [], grown, 120.0).check()
    assert check.status == "MISS" and "action server 1" in check.note
    assert SoakResult("scaled", summary(errors=1), [], steady, 120.0).check().status == "MISS"
    died = [*steady, Drift("rasa replica 2", 900.0, 900.0, 900.0, 900.0, present_at_end=False)]
    assert SoakResult("scaled", summary(), [], died, 120.0).check().status == "MISS"
    assert SoakResult("scaled", None, [], [], 120.0, "not available", "no script").check().status == "N/A"


def make_report(load: float) -> Report:
    report = Report("2026-01-01T00:00:00+09:00", "3.6.21", 2, (load, 0.1, 0.1), {"quick": True})
    report.targets.append(
        TargetResult(
            "stock",
            modes={"idle": idle(40.0)},
            rss={"after_warmup": RssSample(0.0, {"stock rasa": 1000.0}), "end": RssSample(0.0, {"stock rasa": 1001.5})},
        )
    )
    report.targets.append(TargetResult("run", modes={"idle": idle(60.0)}))
    report.targets.append(TargetResult("scaled", status="not available", reason="not available: no run_scaled.sh"))
    return report


def test_markdown_has_rows_checks_rss_and_the_load_warning() -> None:
    text = render_markdown(make_report(0.9))
    assert "WARNING: the 1-minute load average at start was 0.90" in text
    assert "| stock | idle | 1 resident, no think time | 100 | 10.00 | 40.0 | 100.0 | 100.0 | 0 |" in text
    assert "| make run idle p50 / stock idle p50 | 1.5 | ≤ 1.3 | **MISS** |" in text
    assert "| scaled | – | **not available**: no run_scaled.sh |" in text
    assert "| stock | stock rasa | 1000.0 | 1001.5 |" in text
    assert "WARNING" not in render_markdown(make_report(0.3))


def test_json_report_carries_checks_with_status(tmp_path: Path) -> None:
    md_path, json_path = write_report(make_report(0.2), tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert md_path.read_text(encoding="utf-8").startswith("# Load test report")
    assert data["busy_machine"] is False
    assert data["targets"][0]["modes"]["idle"]["p50_ms"] == 40.0
    statuses = {c["name"]: c["status"] for c in data["checks"]}
    assert statuses["make run idle p50 / stock idle p50"] == "MISS"
