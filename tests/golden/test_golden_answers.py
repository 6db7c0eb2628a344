"""The words residents read: every answer rendered through the real actions equals its committed golden file.

Re-render with `make answers` after a deliberate change and review the diff (tools/render_answers.py).
"""

from __future__ import annotations

from kb.store import load_kb
from tools.render_answers import GOLDEN, Rendered, diff, length_table

TURN_LIMIT = 1000
BUBBLE_LIMIT = 350
FIRST_ANSWER_BUBBLES = 3


def test_renderings_match_the_committed_files(rendered: dict[str, Rendered]) -> None:
    problems = diff(rendered, GOLDEN)
    assert not problems, "answers changed (run `make answers` and review):\n" + "\n".join(problems)[:20000]


def test_every_turn_fits_the_turn_limit(rendered: dict[str, Rendered]) -> None:
    """One bot turn ≤ 1,000 characters, behind buttons too."""
    long_turns = [
        (path, sum(len(m.get("text") or "") for m in turn))
        for path, result in rendered.items()
        for turn in result.turns
        if sum(len(m.get("text") or "") for m in turn) > TURN_LIMIT
    ]
    assert long_turns == []
    assert "| mitaka |" in length_table(rendered)


def test_first_answer_is_phone_sized(rendered: dict[str, Rendered]) -> None:
    """A case's first answer: at most three bubbles of at most 350 characters, buttons on the last one only."""
    for path, result in rendered.items():
        if not path.startswith("case/"):
            continue
        first = result.turns[0]
        assert len(first) <= FIRST_ANSWER_BUBBLES, path
        assert [len(m.get("text") or "") for m in first if len(m.get("text") or "") > BUBBLE_LIMIT] == [], path
        assert all(not m.get("buttons") for m in first[:-1]), path


def test_every_bubble_is_phone_sized(rendered: dict[str, Rendered]) -> None:
    """Every bubble of every answer, behind buttons and for direct questions too, has at most 350 characters."""
    long_bubbles = [
        (path, len(message.get("text") or ""))
        for path, result in rendered.items()
        for turn in result.turns
        for message in turn
        if len(message.get("text") or "") > BUBBLE_LIMIT
    ]
    assert long_bubbles == []


# Who a resident of 龍ケ崎市 would be told to contact: the city, its desk, 「担当窓口」, or nobody at all.
RYUGASAKI_DESKS = ("龍ケ崎市", "市民窓口課", "担当窓口", "お越しの前に")


def test_no_dead_end_where_the_page_gives_no_phone(rendered: dict[str, Rendered]) -> None:
    """龍ケ崎市's page gives no phone number: no answer tells its residents to contact the city (a bank is fine)."""
    for path, result in rendered.items():
        if result.city != "ryugasaki":
            continue
        sentences = [
            sentence
            for turn in result.turns
            for message in turn
            for sentence in (message.get("text") or "").replace("\n", "。").split("。")
            if "お問い合わせください" in sentence
        ]
        dead_ends = [s for s in sentences if s == "お問い合わせください" or any(d in s for d in RYUGASAKI_DESKS)]
        assert dead_ends == [], path


def test_no_random_variations_and_no_typos_reach_residents(rendered: dict[str, Rendered]) -> None:
    """No answer is one of several random variations; the pages' typos (national.yml page_typos) never reach a resident.

    Among them 「…ではありませんお間違えのないよう」 (a missing 。) and 「ご注意してください」 (issue 22).
    """
    typos = [typo.page for typo in load_kb().national.typos]
    assert "ご注意してください" in typos and "ではありませんお間違えのないよう" in typos
    for path, result in rendered.items():
        assert "無作為に選ばれる" not in result.text, path
        assert [typo for typo in typos if typo in result.text] == [], path


def test_no_city_name_twice_in_a_contact(rendered: dict[str, Rendered]) -> None:
    """「千葉市 千葉市マイナンバーコールセンター」 (issue 22): a desk whose name names the city is not prefixed again."""
    for path, result in rendered.items():
        for name in ("三鷹市", "千葉市", "多治見市", "龍ケ崎市"):
            assert f"{name} {name}" not in result.text, path


def test_status_never_claims_open_or_closed_where_the_page_is_silent(rendered: dict[str, Rendered]) -> None:
    """龍ケ崎市 市民窓口ステーション has no weekdays on its page; 千葉市's 3月下旬の休日 have no dates."""
    for path, result in rendered.items():
        for block in result.text.split("■")[1:]:
            if block.startswith("市民窓口ステーション"):
                assert "いま受付中です" not in block and "受付時間外" not in block, path
            if block.startswith("各区役所市民総合窓口課") and ("03-22" in path or "march_late" in path):
                assert "受付時間外" not in block and "お答えできません" in block, path
