"""The words residents read: every answer rendered through the real actions equals its committed golden file.

Re-render with `make answers` after a deliberate change and review the diff (scripts/render_answers.py).
"""

from __future__ import annotations

import pytest

from scripts.render_answers import GOLDEN, Rendered, diff, length_table, render_all

TURN_LIMIT = 700
CHECKLIST_LIMIT = 300


@pytest.fixture(scope="module")
def rendered() -> dict[str, Rendered]:
    """Every golden rendering (runs the action classes once for the module)."""
    return render_all()


def test_renderings_match_the_committed_files(rendered: dict[str, Rendered]) -> None:
    problems = diff(rendered, GOLDEN)
    assert not problems, "answers changed (run `make answers` and review):\n" + "\n".join(problems)[:20000]


def test_every_turn_is_short(rendered: dict[str, Rendered]) -> None:
    """One bot turn ≤ 700 characters; a case answer's first bubble (the checklist) ≤ 300."""
    long_turns = [
        (path, sum(len(m.get("text") or "") for m in turn))
        for path, result in rendered.items()
        for turn in result.turns
        if sum(len(m.get("text") or "") for m in turn) > TURN_LIMIT
    ]
    assert long_turns == []
    long_checklists = [
        path
        for path, result in rendered.items()
        if path.startswith("case/") and len(result.turns[0][0].get("text") or "") > CHECKLIST_LIMIT
    ]
    assert long_checklists == []
    assert "| mitaka |" in length_table(rendered)


def test_no_random_variations_and_no_typos_reach_residents(rendered: dict[str, Rendered]) -> None:
    """No answer is one of several random variations; the pages' typos never reach a resident."""
    for path, result in rendered.items():
        assert "無作為に選ばれる" not in result.text, path
        assert "利用者証明書用電子証明書" not in result.text and "任意代理人のとなる" not in result.text, path


def test_status_never_claims_open_or_closed_where_the_page_is_silent(rendered: dict[str, Rendered]) -> None:
    """龍ケ崎市 市民窓口ステーション has no weekdays on its page; 千葉市's 3月下旬の休日 have no dates."""
    for path, result in rendered.items():
        for block in result.text.split("■")[1:]:
            if block.startswith("市民窓口ステーション"):
                assert "いま受付中です" not in block and "受付時間外" not in block, path
            if block.startswith("各区役所市民総合窓口課") and ("03-22" in path or "march_late" in path):
                assert "受付時間外" not in block and "お答えできません" in block, path
