"""Schema and cross-reference validation: the real KB passes, broken copies are rejected by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from kb.errors import KBValidationError
from kb.paths import repo_root
from kb.store import load_kb
from kb.validation import validate_tree

Edit = Callable[[Path, str, str], None]
CHIBA = "municipalities/chiba.yml"


def problems(root: Path) -> list[str]:
    """Validation problems of a knowledge copy."""
    return validate_tree(root).problems


def test_real_knowledge_base_is_valid() -> None:
    result = validate_tree(repo_root() / "knowledge")
    assert result.problems == []
    assert result.file_count == 6
    assert sorted(result.municipalities) == ["chiba", "mitaka", "ryugasaki", "tajimi"]


def test_bad_time_names_file_field_and_problem(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, 'nth: [2], open: "09:00"', 'nth: [2], open: "abc"')
    assert problems(kb_copy) == [
        "knowledge/municipalities/chiba.yml: offices[0].hours[1].open: "
        "'abc' does not match '^([01]?[0-9]|2[0-3]):[0-5][0-9]$'"
    ]


def test_missing_required_field(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, "    name: 各市民センター\n", "")
    assert problems(kb_copy) == ["knowledge/municipalities/chiba.yml: offices[1]: 'name' is a required property"]


def test_unknown_procedure_key(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, "procedures:\n  pin_reset:", "procedures:\n  pin_renew:")
    assert problems(kb_copy) == [
        "knowledge/municipalities/chiba.yml: procedures: Additional properties are not allowed ('pin_renew' was unexpected)"
    ]


def test_wrong_type_for_visits(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / "municipalities/ryugasaki.yml", "        visits: 2\n", "        visits: two\n")
    assert problems(kb_copy) == [
        "knowledge/municipalities/ryugasaki.yml: procedures.pin_reset.applicants.voluntary_proxy.visits: "
        "'two' is not of type 'integer'"
    ]


def test_unknown_source_id(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / "national.yml", "  source: tajimi\n  # A city page", "  source: tajimii\n  # A city page")
    assert problems(kb_copy) == [
        "knowledge/national.yml: store_reset.source: unknown source 'tajimii' (not in knowledge/sources.yml)"
    ]


def test_city_may_not_cite_another_city(kb_copy: Path, edit: Edit) -> None:
    edit(
        kb_copy / CHIBA,
        "  hours: 平日8時30分～17時15分\n  source: chiba",
        "  hours: 平日8時30分～17時15分\n  source: mitaka",
    )
    assert problems(kb_copy) == [
        "knowledge/municipalities/chiba.yml: contact.source: source 'mitaka' belongs to 'mitaka', not 'chiba'"
    ]


def test_id_must_match_file_name(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, "\nid: chiba\n", "\nid: chiba_city\n")
    assert problems(kb_copy) == [
        "knowledge/municipalities/chiba.yml: id: 'chiba_city' does not match the file name 'chiba'"
    ]


def test_procedure_office_must_exist(kb_copy: Path, edit: Edit) -> None:
    edit(
        kb_copy / CHIBA,
        "offices: [chiba_ward_offices, chiba_citizen_centers]",
        "offices: [chiba_ward_offices, chiba_kuyakusho]",
    )
    assert problems(kb_copy) == [
        "knowledge/municipalities/chiba.yml: procedures.pin_reset.offices[1]: office 'chiba_kuyakusho' is not defined under offices"
    ]


def test_reception_after_close(kb_copy: Path, edit: Edit) -> None:
    edit(
        kb_copy / "municipalities/mitaka.yml",
        'close: "19:00", reception_until: "18:30"',
        'close: "19:00", reception_until: "19:30"',
    )
    assert problems(kb_copy) == [
        "knowledge/municipalities/mitaka.yml: offices[0].hours[0].reception_until: '19:30' is not between open and close"
    ]


def test_close_before_open(kb_copy: Path, edit: Edit) -> None:
    edit(
        kb_copy / "municipalities/mitaka.yml",
        '{days: [mon, tue, wed, thu, fri], open: "08:30", close: "17:00"}',
        '{days: [mon, tue, wed, thu, fri], open: "08:30", close: "08:00"}',
    )
    assert problems(kb_copy) == [
        "knowledge/municipalities/mitaka.yml: offices[1].hours[0].close: close '08:00' is not after open '08:30'"
    ]


def test_empty_documents_need_partial_coverage(kb_copy: Path, edit: Edit) -> None:
    path = kb_copy / "municipalities/tajimi.yml"
    text = path.read_text(encoding="utf-8")
    change = "        coverage: partial\n        listed_on_page: true\n        coverage_note: *tajimi_lost_self\n"
    assert text.count(change) == 1
    path.write_text(text.replace(change, ""), encoding="utf-8")
    assert problems(kb_copy) == [
        "knowledge/municipalities/tajimi.yml: procedures.pin_change.applicants.self.documents: "
        "is empty; if the page lists no documents, set coverage: partial and a coverage_note"
    ]


def test_yaml_syntax_error_names_line(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, "name: 千葉市\n", "name: [千葉市\n")
    found = problems(kb_copy)
    assert len(found) == 1
    assert found[0].startswith("knowledge/municipalities/chiba.yml: (root): YAML syntax error at line ")


def test_impossible_date_in_sources(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / "sources.yml", 'updated: "2025-03-10"', 'updated: "2025-02-30"')
    assert problems(kb_copy) == ["knowledge/sources.yml: sources[1].updated: '2025-02-30' is not a real date"]


def test_alias_shared_by_two_cities(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / "municipalities/tajimi.yml", "aliases: [多治見市,", "aliases: [ちば, 多治見市,")
    assert problems(kb_copy) == ["knowledge/municipalities/tajimi.yml: aliases[0]: 'ちば' is also an alias of 'chiba'"]


def test_unquoted_times_and_dates_are_read_as_text(kb_copy: Path, edit: Edit) -> None:
    # YAML 1.1 would read 18:30 as the number 1110; staff should not have to quote times.
    edit(
        kb_copy / "municipalities/mitaka.yml",
        'close: "19:00", reception_until: "18:30"',
        "close: 19:00, reception_until: 18:30",
    )
    assert problems(kb_copy) == []


def test_load_kb_raises_with_the_same_messages(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, 'nth: [2], open: "09:00"', 'nth: [2], open: "abc"')
    with pytest.raises(KBValidationError) as info:
        load_kb(kb_copy)
    assert info.value.problems == problems(kb_copy)
    assert "knowledge/municipalities/chiba.yml: offices[0].hours[1].open:" in str(info.value)


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    """Run tools/kb_check.py as `make kb-check` would (a module, from the repo root)."""
    return subprocess.run(
        [sys.executable, "-m", "tools.kb_check", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=repo_root(),
    )


def test_cli_ok_on_real_kb() -> None:
    done = run_check()
    assert (done.returncode, done.stdout) == (0, "OK: 6 files\n")


def test_cli_lists_problems_and_exits_1(kb_copy: Path, edit: Edit) -> None:
    edit(kb_copy / CHIBA, 'nth: [2], open: "09:00"', 'nth: [2], open: "abc"')
    edit(kb_copy / "municipalities/tajimi.yml", "    name: 市民課の窓口\n", "")
    done = run_check(str(kb_copy))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "knowledge/municipalities/chiba.yml: offices[0].hours[1].open: 'abc' does not match '^([01]?[0-9]|2[0-3]):[0-5][0-9]$'",
        "knowledge/municipalities/tajimi.yml: offices[0]: 'name' is a required property",
    ]
