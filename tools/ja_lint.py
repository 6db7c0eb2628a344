"""Lint the Japanese residents read: the rendered answers under tests/golden/ (`make lint-ja`, part of `make lint`).

Rules (each finding is `path:line:col: rule: message 「excerpt」`; exit status 1 when there is one):

- doubled-name: the same name twice in a row, with or without a space (「千葉市 千葉市マイナンバーコールセンター」).
- doubled-punctuation: 「。。」「、、」「。、」「、。」.
- keigo: known-wrong honorifics: ご/お＋stem＋してください・していただく (「ご注意してください」: 「ご注意ください」),
  ご/お＋a resident's act＋できる (「ご利用できます」: 「ご利用いただけます」; the city's 「お答えできません」 is right),
  ご/お＋stem＋される, and the double honorific ＋られる (「おっしゃられる」「お越しになられる」).
- ranuki: ら抜き言葉 (「来れる」「見れます」: 「来られる」「見られます」).
- run-on: a sentence-final form (ます・です・ません・ました・でした・ください) followed by more text with no 「。」,
  bracket or conjunctive particle between (「…ではありませんお間違えのないよう」).
- missing-period: a sentence line (one ending in a predicate, also before a closing parenthetical) without 「。」;
  list items (・ - 1.), headings (【…】 ■…) and button lines are not sentences.
- kanji-run: more than KANJI_RUN_MAX kanji in a row, unless the run is the city's own wording: it appears in
  knowledge/ (text copied verbatim from the cities' pages, e.g. 暗証番号初期化申請照会書兼回答書, 16 kanji).

The golden file format is tools/render_answers.py's: `#` header lines (the resident's input is not checked),
`--- 吹き出しN（…字）` then the bubble's text, `[ボタン] title → payload`, `=== このターン …`, `## ボタン「…」`.
Only bubble text and button titles are checked. Standard library only, no morphology: the rules are patterns over
characters, tuned on this project's text so that they raise no false alarm on it. textlint with the Japanese
presets was measured instead: 375 npm packages (134 MB), 15 s on the golden files, 2,259 findings that were nearly
all false alarms on list items and the cities' quoted wording, and no rule for keigo, doubled names or run-ons.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
KNOWLEDGE = REPO / "knowledge"

KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆"
KATAKANA = "\u30a1-\u30faー"
HIRAGANA = "\u3041-\u3096"
# The bot's own wording (replies/ templates) has runs of at most 6 kanji today (携帯電話会社, 公的個人認証); longer
# runs in the golden text are all the cities' official terms (up to 16: 暗証番号初期化申請照会書兼回答書), which
# the knowledge allowlist passes. 7 or more outside it is a compound the bot built: split it with の or kana.
KANJI_RUN_MAX = 6

_KANJI_RUN = re.compile(f"[{KANJI}]+")

# A name: starts and ends with kanji, katakana or an ASCII letter/digit, may hold kana in between (お問い合わせ先
# is not a name, 龍ケ崎市 is). Starting or ending on hiragana would pair 「の市の市役所」.
_NAME_EDGE = f"{KANJI}{KATAKANA}A-Za-zＡ-Ｚａ-ｚ0-9０-９"
_DOUBLED = re.compile(f"(?P<w>[{_NAME_EDGE}][{_NAME_EDGE}{HIRAGANA}]{{0,18}}?[{_NAME_EDGE}])[ 　]?(?P=w)")
_HAS_KANJI_OR_KATAKANA = re.compile(f"[{KANJI}{KATAKANA}]")
_DOUBLED_PUNCTUATION = re.compile("[。、]{2}")

# The stem after ご is a Sino-Japanese noun (注意, 利用); after お a kanji with okurigana (越し, 問い合わせ), never
# a particle (を, が, は, ...), so 「お金をおろしてください」 is not read as お＋金をおろ＋して.
_OKURIGANA = "".join(chr(c) for c in range(0x3041, 0x3097) if chr(c) not in "をがはでとのへもやにねよ")
_STEM = f"(?:[ご御][{KANJI}]{{1,6}}|お[{KANJI}](?:[{KANJI}]|[{_OKURIGANA}]){{0,6}}?)"
# ご/お〜できる is wrong only when the resident acts (「ご利用できます」); the city's own humble acts are right
# (「お答えできません」「ご案内できません」). Character patterns cannot see the subject, so: the acts residents do.
_RESIDENT_ACTS = (
    "[ご御](?:利用|使用|参加|応募|申込|入場|乗車|購入|来庁|来場|持参|記入|提出|予約|相談|申請|確認|提示|覧)"
    "|お(?:申し込み|申込み|受け取り|受取り|求め|持ち|越し|使い|買い|預け|問い合わせ|問合せ|手続き|届け出)"
)
KEIGO: List[Tuple[re.Pattern[str], str]] = [
    (
        re.compile(f"{_STEM}して(?:ください|下さい|くださ|いただ|頂)"),
        "「ご/お〜してください」「ご/お〜していただく」は誤った敬語です（「ご注意ください」「注意してください」）",
    ),
    (
        re.compile(f"(?:{_RESIDENT_ACTS})(?:でき|出来)(?:る|ます|ません|ない|な|た)"),
        "住民の行為に「ご/お〜できる」は誤った敬語です（「ご利用いただけます」「利用できます」）",
    ),
    (
        re.compile(f"{_STEM}され(?:る|ます|ました|て|な|た|[、。])"),
        "「ご/お〜される」は誤った敬語です（「ご利用になる」「利用される」）",
    ),
    (
        re.compile(f"(?:おっしゃ|いらっしゃ|召し上が|なさ)られ|{_STEM}になられ"),
        "二重敬語です（「おっしゃられる」→「おっしゃる」、「お越しになられる」→「お越しになる」）",
    ),
]
_RANUKI = re.compile(
    "(?:来|見|出|寝|着|居|起き|食べ|受け|決め|借り|答え|考え|変え|覚え|届け|付け|開け|続け|忘れ|入れ|調べ|始め|止め|集め|教え)"
    "れ(?:る|ます|ません|ない|なかった|た)"
)

# Sentence-final forms; longest first so that ませんでした is one match.
_FINAL = re.compile("ませんでした|ません|ました|でした|ます|です|ください|下さい")
# What may follow a sentence-final form without a 「。」: punctuation, a bracket or a conjunctive particle (ので,
# が, から; ますよう, ましたら, くださいませ). A space is no 「。」: 「できます 持ち物は」 is a run-on too.
_AFTER_FINAL = tuple("。．.！!？?、，,」』）)】］]〕〉》（(「『【［[〔〈《：:…") + ("",)
_AFTER_FINAL_WORDS = tuple("ので のに のは が から けれど けど し と か ね よ れば".split())
_AFTER_FINAL_EXTRA = {"ました": ("ら",), "でした": ("ら",), "ください": ("ませ", "ま"), "下さい": ("ませ", "ま")}

# A line ends in a predicate: then it is a sentence and takes 「。」.
_PREDICATE_END = re.compile(
    "(?:ます|です|ません|ました|でした|ください|下さい|ましょう|でしょう"
    "|である|できる|できない|ない|ある|いる|する|した|なる|なった|れる)(?:か|ね|よ)?$"
)
_TRAILING_PARENTHETICAL = re.compile(r"(?:（[^（）]*(?:（[^（）]*）[^（）]*)*）|\([^()]*\))+$")
# Not sentences: list items (・, -, －, 1.), headings (【…】, ■…).
_NOT_A_SENTENCE = re.compile(r"^[\s　]*(?:[・\-－‐○●◆◇▼▽]|[0-9０-９]+[.．、)）]|【|■)")


@dataclass(frozen=True)
class Finding:
    """One defect: where it is, which rule, what to do, and the text around it."""

    path: str
    line: int
    column: int
    rule: str
    message: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.rule}: {self.message} 「{self.excerpt}」"


def kanji_allowlist(knowledge: Path = KNOWLEDGE) -> str:
    """Every run of kanji in knowledge/*.yml, one a line: the cities' own terms, copied verbatim from their pages."""
    texts = (path.read_text("utf-8") for path in sorted(knowledge.rglob("*.yml")))
    return "\n".join(sorted({m.group() for text in texts for m in _KANJI_RUN.finditer(text)}))


def _excerpt(text: str, start: int, end: int, margin: int = 8) -> str:
    # A missing 「。」 is a point at the end of the line: show more of the sentence before it.
    return text[max(0, start - (margin if end > start else 3 * margin)) : end + margin]


Hit = Tuple[int, int, str]  # start, end, message
Rule = Callable[[str, str], Iterator[Hit]]


def doubled_name(text: str, allowed: str) -> Iterator[Hit]:
    """The same name twice in a row: 「千葉市 千葉市マイナンバーコールセンター」."""
    for m in _DOUBLED.finditer(text):
        if _HAS_KANJI_OR_KATAKANA.search(m.group("w")):
            yield m.start(), m.end(), f"「{m.group('w')}」が続けて2回あります"


def matches(patterns: Sequence[Tuple[re.Pattern[str], str]]) -> Rule:
    """A rule that reports every match of the patterns with the pattern's message ({} is the matched text)."""

    def rule(text: str, allowed: str) -> Iterator[Hit]:
        for pattern, message in patterns:
            for m in pattern.finditer(text):
                yield m.start(), m.end(), message.format(m.group())

    return rule


def run_on(text: str, allowed: str) -> Iterator[Hit]:
    """A sentence-final form with more text after it and no 「。」: 「…ではありませんお間違えのないよう」."""
    for m in _FINAL.finditer(text):
        rest = text[m.end() :].rstrip(" 　")
        if rest[:1] in _AFTER_FINAL or rest.startswith(_AFTER_FINAL_WORDS + _AFTER_FINAL_EXTRA.get(m.group(), ())):
            continue
        yield m.start(), m.end() + 1, f"「{m.group()}」の後に「。」がないまま文が続いています"


def kanji_run(text: str, allowed: str) -> Iterator[Hit]:
    """More than KANJI_RUN_MAX kanji in a row that are not a term of knowledge/."""
    for m in _KANJI_RUN.finditer(text):
        if len(m.group()) > KANJI_RUN_MAX and m.group() not in allowed:
            limit = f"（{KANJI_RUN_MAX}字まで。knowledge/ の用語は除く）"
            yield m.start(), m.end(), f"漢字が{len(m.group())}字続いています{limit}：の・かなで区切ってください"


def missing_period(text: str, allowed: str) -> Iterator[Hit]:
    """A sentence line (ending in a predicate, maybe before a parenthetical) that does not end with 「。」."""
    line = text.rstrip(" 　")
    if not line or line.endswith("。") or _NOT_A_SENTENCE.match(line):
        return
    if _PREDICATE_END.search(_TRAILING_PARENTHETICAL.sub("", line)):
        yield len(line), len(line), "文の終わりに「。」がありません"


# Rules for every checked line (bubble text and button titles), then those for bubble text only.
INLINE_RULES: List[Tuple[str, Rule]] = [
    ("doubled-name", doubled_name),
    ("doubled-punctuation", matches([(_DOUBLED_PUNCTUATION, "句読点が重なっています（{}）")])),
    ("keigo", matches(KEIGO)),
    ("ranuki", matches([(_RANUKI, "ら抜き言葉です（「来られる」「見られる」）")])),
    ("run-on", run_on),
    ("kanji-run", kanji_run),
]
SENTENCE_RULES: List[Tuple[str, Rule]] = [("missing-period", missing_period)]

_BUBBLE = re.compile(r"^--- 吹き出し\d+（\d+字）$")
_BUTTON = re.compile(r"^\[ボタン\] (?P<title>.*?) → /.*$")


def checked_lines(golden_text: str) -> Iterator[Tuple[int, str, str, int]]:
    """(line number, kind, text, column offset) of the resident-visible lines: kind "text" or "button"."""
    in_bubble = False
    for number, line in enumerate(golden_text.splitlines(), 1):
        if _BUBBLE.match(line):
            in_bubble = True
        elif line.startswith("=== このターン") or line.startswith("## ボタン「") or line.startswith("#"):
            in_bubble = False
        elif button := _BUTTON.match(line):
            yield number, "button", button.group("title"), button.start("title")
        elif in_bubble:
            yield number, "text", line, 0


def lint_text(golden_text: str, path: str = "<text>", allowed: str = "") -> List[Finding]:
    """Every finding in one golden file's text; `allowed` is kanji_allowlist()'s text."""
    return [
        Finding(path, number, offset + start + 1, name, message, _excerpt(line, start, end))
        for number, kind, line, offset in checked_lines(golden_text)
        for name, rule in INLINE_RULES + (SENTENCE_RULES if kind == "text" else [])
        for start, end, message in rule(line, allowed)
    ]


def summary(findings: Sequence[Finding]) -> List[str]:
    """Counts per rule: occurrences and distinct excerpts (one defect repeats across cases)."""
    per_rule = Counter(f.rule for f in findings)
    distinct = Counter(rule for rule, _ in {(f.rule, f.excerpt) for f in findings})
    return [f"{rule}: {count} ({distinct[rule]} distinct)" for rule, count in sorted(per_rule.items())]


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Lint the golden files (or the given paths); print findings and a per-rule count; 1 if any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="*", type=Path, default=[GOLDEN], help="golden files or folders")
    parser.add_argument("--knowledge", type=Path, default=KNOWLEDGE, help="folder whose kanji terms are allowed")
    args = parser.parse_args(argv)
    allowed = kanji_allowlist(args.knowledge)
    files = [file for path in args.paths for file in (sorted(path.rglob("*.txt")) if path.is_dir() else [path])]
    findings: List[Finding] = []
    for path in files:
        shown = path.resolve().relative_to(Path.cwd()) if path.resolve().is_relative_to(Path.cwd()) else path
        findings += lint_text(path.read_text("utf-8"), str(shown), allowed)
    for finding in findings:
        print(finding)
    if findings:
        print(f"ja-lint: {len(findings)} findings in {len(files)} files: " + "; ".join(summary(findings)))
        return 1
    print(f"ja-lint: OK, {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
