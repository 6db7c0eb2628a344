from pathlib import Path

from tools.loadtest.rss import (
    ProcessInfo,
    RssSample,
    descendants,
    drift,
    kind_of,
    name_processes,
    read_process,
    rss_kib,
)


def test_processes_are_named_by_what_they_are() -> None:
    assert kind_of(["/r/.venv/bin/python", "/r/.venv/bin/rasa", "run", "actions", "--port", "5055"]) == "action server"
    assert kind_of(["/r/.venv/bin/python", "-m", "channels.cli", "run", "--model", "m.tar.gz"]) == "rasa replica"
    assert kind_of(["/r/.venv/bin/python", "/r/.venv/bin/rasa", "run", "--enable-api"]) == "rasa replica"
    assert kind_of([".venv-gateway/bin/python", "-m", "gateway"]) == "gateway"
    assert kind_of(["python", "-m", "privacy.logsink", "/tmp/s/log/rasa.log"]) == "log sink rasa.log"
    assert kind_of(["bash", "scripts/run_all.sh"]) == "shell run_all.sh"
    assert kind_of(["/r/.venv/bin/python", "-m", "launch", "scaled"]) == "launcher"


def test_replicas_are_numbered_in_pid_order() -> None:
    tree = [
        ProcessInfo(10, 1, ("bash", "scripts/run_scaled.sh")),
        ProcessInfo(12, 10, ("python", "-m", "channels.cli", "run")),
        ProcessInfo(11, 10, ("python", "-m", "channels.cli", "run")),
        ProcessInfo(13, 10, ("python", "rasa", "run", "actions")),
        ProcessInfo(14, 10, ("python", "-m", "gateway")),
    ]
    names = name_processes(tree)
    assert names == {
        10: "shell run_scaled.sh",
        11: "rasa replica 1",
        12: "rasa replica 2",
        13: "action server 1",
        14: "gateway",
    }
    assert name_processes([ProcessInfo(5, 1, ("python", "rasa", "run"))], stock=True) == {5: "stock rasa"}


def test_descendants_walks_the_whole_tree_only() -> None:
    procs = [
        ProcessInfo(1, 0, ("init",)),
        ProcessInfo(10, 1, ("bash",)),
        ProcessInfo(11, 10, ("python",)),
        ProcessInfo(12, 11, ("python",)),
        ProcessInfo(20, 1, ("other",)),
    ]
    assert [p.pid for p in descendants(10, procs)] == [10, 11, 12]


def test_reads_stat_cmdline_and_vmrss_from_a_proc_tree(tmp_path: Path) -> None:
    d = tmp_path / "42"
    d.mkdir()
    # A command name with a space and a parenthesis: fields are read after the last ")".
    (d / "stat").write_text("42 (odd) name) S 7 42 42 0 -1")
    (d / "cmdline").write_bytes(b"python\0-m\0gateway\0")
    (d / "status").write_text("Name:\tpython\nVmRSS:\t  204800 kB\nThreads:\t3\n")
    assert read_process(42, tmp_path) == ProcessInfo(42, 7, ("python", "-m", "gateway"))
    assert rss_kib(42, tmp_path) == 204800
    assert read_process(43, tmp_path) is None and rss_kib(43, tmp_path) is None


def test_drift_is_measured_from_the_first_sample_after_warm_up() -> None:
    samples = [
        RssSample(0.0, {"gateway": 50.0}),  # warm-up: ignored
        RssSample(120.0, {"gateway": 100.0}),
        RssSample(130.0, {"gateway": 104.0}),
        RssSample(140.0, {"gateway": 97.0}),
    ]
    (gw,) = drift(samples, warmup_s=120.0)
    assert (gw.baseline_mib, gw.max_mib, gw.min_mib, gw.last_mib) == (100.0, 104.0, 97.0, 97.0)
    assert abs(gw.max_change - 0.04) < 1e-9
    assert gw.present_at_end
    assert drift(samples, warmup_s=999.0) == []
    (gone,) = drift([*samples, RssSample(150.0, {})], warmup_s=120.0)
    assert not gone.present_at_end
