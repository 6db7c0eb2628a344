"""tools/ja_lint.py on small golden-format fixture texts: each rule catches its defect and passes this project's text."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tools.ja_lint import KNOWLEDGE, Finding, kanji_allowlist, lint_text, main


def golden(*bubble_lines: str, buttons: tuple[str, ...] = (), header: str = "# 住民の入力: こんにちは") -> str:
    """A golden file with one bubble holding the given lines (and buttons), as tools/render_answers.py writes it."""
    text = "\n".join(bubble_lines)
    lines = ["# case/fixture", header, f"--- 吹き出し1（{len(text)}字）", *bubble_lines]
    lines += [f'[ボタン] {title} → /identity_documents{{"part": "B"}}' for title in buttons]
    lines.append(f"=== このターン 1吹き出し・計{len(text)}字")
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=1)
def project_terms() -> str:
    """The real allowlist: the kanji terms of knowledge/ (read once)."""
    return kanji_allowlist(KNOWLEDGE)


def rules(*bubble_lines: str, allowed: str | None = None, buttons: tuple[str, ...] = ()) -> list[str]:
    """The rules that fire on one bubble of these lines (with the project's kanji allowlist unless given)."""
    terms = project_terms() if allowed is None else allowed
    return [f.rule for f in lint_text(golden(*bubble_lines, buttons=buttons), allowed=terms)]


@pytest.mark.parametrize(
    "line",
    [
        "お問い合わせ：千葉市 千葉市マイナンバーコールセンター 電話 043-400-3147",
        "お問い合わせ：千葉市千葉市マイナンバーコールセンター",
        "お問い合わせ：三鷹市　三鷹市役所",
        "窓口は市民窓口課 市民窓口課です。",
    ],
)
def test_doubled_name_is_caught(line: str) -> None:
    assert rules(line) == ["doubled-name"]


@pytest.mark.parametrize(
    "line",
    [
        "・本人の本人確認書類",
        "お問い合わせ：三鷹市 市民部 市民課 届出・証明係 電話 0422-29-9191",
        "お問い合わせ：多治見市 市民課住基グループ 電話 0572-23-5542（直通）、0572-22-1111（代表）",
        "お住まいの市の市役所へお問い合わせください。",
        "・土曜日・第2・第3・第4日曜日 9:00〜11:00、13:00〜16:30",
    ],
)
def test_names_that_are_not_doubled_pass(line: str) -> None:
    assert rules(line) == []


def test_doubled_punctuation_is_caught() -> None:
    assert rules("暗証番号を入力してください。。") == ["doubled-punctuation"]
    assert rules("窓口、、電話") == ["doubled-punctuation"]


@pytest.mark.parametrize(
    "line",
    [
        "不備がある場合には受付ができませんのでご注意してください。",
        "窓口をご利用してください。",
        "市役所へお越ししてください。",
        "必要事項をご記入していただきます。",
        "窓口へお問い合わせしてください。",
        "担当者がおっしゃられるとおりです。",
        "窓口にお越しになられる前にお電話ください。",
        "コンビニでもご利用できます。",
        "窓口をご利用される方は整理券をお取りください。",
    ],
)
def test_wrong_keigo_is_caught(line: str) -> None:
    assert rules(line) == ["keigo"]


@pytest.mark.parametrize(
    "line",
    [
        "ご注意ください。",
        "注意してください。",
        "お越しください。",
        "いま受付中かはお答えできません。",
        "うまくご案内できませんでした。",
        "お待ちしております。",
        "お金をおろしてください。",
        "システム停止日はお手続きができませんので、ご注意ください。",
        "ご用件を選ぶか、文章で入力してください。",
        "ご本人が全て記入し、封をした状態でご持参ください。",
        "窓口に来られるかたの本人確認ができるもの（運転免許証など）をお持ちください。",
    ],
)
def test_right_keigo_passes(line: str) -> None:
    assert rules(line) == []


def test_ranuki_is_caught_and_the_right_forms_pass() -> None:
    assert rules("土曜日も窓口に来れます。") == ["ranuki"]
    assert rules("マイナポータルで見れる情報です。") == ["ranuki"]
    assert rules("土曜日も窓口に来られます。出来ればお電話ください。ページを見れば分かります。") == []


@pytest.mark.parametrize(
    "line",
    [
        "三鷹中央防災公園・元気創造プラザではありませんお間違えのないようご注意ください。",
        "受付は17時までですお越しの前にお電話ください。",
        "窓口で再設定できます 持ち物は次のとおりです。",
        "本人確認書類をお持ちくださいコピーは不可です。",
    ],
)
def test_run_on_sentence_is_caught(line: str) -> None:
    assert rules(line) == ["run-on"]


@pytest.mark.parametrize(
    "line",
    [
        "手続きができませんので、ご注意ください。",
        "利用ができなくなりますが本人確認書類としての使用は可能です。",
        "うまくご案内できませんでした。お手数ですが、お問い合わせください。",
        "コンビニでも再設定できます（全国共通。多治見市のページより）：対応している端末で再設定できます。",
        "有効期限が近くなりましたら、申請書が送付されます。",
        "期限内に手続きくださいますようお願いします。",
        "ページにも「事前設定が必要となります」とあります。",
        "いま受付中です（本日の受付は17:30まで）。",
        "お越しの前にお問い合わせくださいね。",
    ],
)
def test_sentences_that_end_or_continue_properly_pass(line: str) -> None:
    assert rules(line) == []


def test_long_kanji_run_is_caught_unless_it_is_a_knowledge_term() -> None:
    built = "署名用電子証明書暗証番号再設定の手続きです。"  # 15 kanji glued by a template
    assert rules(built, allowed="") == ["kanji-run"]
    assert rules(built, allowed="署名用電子証明書暗証番号再設定") == []
    assert rules("携帯電話会社へお問い合わせください。", allowed="") == []  # 6 kanji: the bot's longest own run today
    assert rules("市民課窓口受付時間のご案内です。", allowed="") == ["kanji-run"]  # 8 kanji, in no city's page


def test_the_real_knowledge_allows_the_cities_official_terms() -> None:
    allowed = project_terms()
    assert "暗証番号再設定申請書" in allowed and "暗証番号初期化申請照会書兼回答書" in allowed
    assert rules("・個人番号カード暗証番号再設定申請書（窓口にてお渡しいたします）") == []
    assert rules("署名用電子証明書暗証番号再設定の手続きです。") == ["kanji-run"]


@pytest.mark.parametrize(
    "line",
    [
        "※任意代理人が手続きする場合は、手続きが1日で完了しません",
        "※毎月第3土曜日に続く日曜日は暗証番号などの手続きができません（システムメンテナンス）",
        "　※本籍地が三鷹市の場合、戸籍謄本は不要です",
        "窓口でお渡しします",
        "お問い合わせください",
        "どちらの市の情報をご案内しましょうか",
    ],
)
def test_sentence_line_without_period_is_caught(line: str) -> None:
    assert rules(line) == ["missing-period"]


@pytest.mark.parametrize(
    "line",
    [
        "・署名用電子証明書の暗証番号再設定（初期化）には、利用者証明用電子証明書の暗証番号が必要です",
        "　- 本人が15歳未満の場合は戸籍謄本※龍ケ崎市内に本籍がある場合は省略可",
        "4. 初めに申請した窓口に照会書を持参する",
        "【三鷹市】暗証番号の再設定（本人が手続きする場合）",
        "【三鷹市】暗証番号の手続きができる窓口：",
        "■各区役所市民総合窓口課",
        "窓口へ2回お越しいただきます。1回目の持ち物：",
        "窓口：三鷹市マイナンバーカードセンター（ほか5か所）",
        "※3月下旬の休日にも開設（日付はページに記載がありません）",
        "※申請者本人が15歳未満もしくは成年被後見人である場合",
        "お問い合わせ：龍ケ崎市 市民窓口課（ページに電話番号の記載がありません）",
        "官公署が発行する顔写真付き本人確認書類",
        "",
    ],
)
def test_lines_that_are_not_sentences_pass(line: str) -> None:
    assert rules(line) == []


def test_only_bubble_text_and_button_titles_are_checked() -> None:
    text = golden(
        "ご用件を選んでください。",
        buttons=("千葉市 千葉市の窓口", "窓口をご利用される方"),
        header="# 住民の入力: ご注意してください 千葉市 千葉市",
    )
    found = lint_text(text, "x.txt")
    assert [(f.rule, f.line) for f in found] == [("doubled-name", 5), ("keigo", 6)]
    # A button title is not a sentence: no missing-period for 「ご用件を選ぶ」-style titles.
    assert rules("ご用件を選んでください。", buttons=("暗証番号を変更したいです",)) == []


def test_finding_names_file_line_column_and_excerpt() -> None:
    text = golden("案内です。", "お問い合わせ：千葉市 千葉市マイナンバーコールセンター")
    (finding,) = lint_text(text, "tests/golden/case/chiba/x.txt")
    assert finding == Finding(
        "tests/golden/case/chiba/x.txt",
        5,
        8,
        "doubled-name",
        "「千葉市」が続けて2回あります",
        "お問い合わせ：千葉市 千葉市マイナンバーコー",
    )
    assert str(finding).startswith("tests/golden/case/chiba/x.txt:5:8: doubled-name: ")


def test_main_fails_on_a_defect_and_passes_clean_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    (knowledge / "city.yml").write_text("name: 千葉市\n", "utf-8")
    clean = tmp_path / "golden" / "clean.txt"
    clean.parent.mkdir()
    clean.write_text(golden("暗証番号の再設定は窓口でできます。"), "utf-8")
    assert main([str(tmp_path / "golden"), "--knowledge", str(knowledge)]) == 0
    assert "OK, 1 files" in capsys.readouterr().out

    (tmp_path / "golden" / "bad.txt").write_text(golden("ご注意してください。"), "utf-8")
    assert main([str(tmp_path / "golden"), "--knowledge", str(knowledge)]) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / 'golden' / 'bad.txt'}:4:1: keigo:" in out
    assert "1 findings in 2 files: keigo: 1 (1 distinct)" in out
