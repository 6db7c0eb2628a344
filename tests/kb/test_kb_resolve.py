"""Municipality names in free text: spellings, readings, and words that only look like them."""

from __future__ import annotations

from typing import Optional

import pytest

from kb.resolve import find_mentions
from kb.store import KnowledgeBase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三鷹市に住んでいます", "mitaka"),
        ("みたかです", "mitaka"),
        ("ミタカ", "mitaka"),
        ("三鷹駅前市政窓口の時間", "mitaka"),
        ("ＭＩＴＡＫＡ", "mitaka"),
        ("千葉市", "chiba"),
        ("ちばに住んでます", "chiba"),
        ("チバシ", "chiba"),
        ("千葉県千葉市", "chiba"),
        ("多治見", "tajimi"),
        ("たじみし", "tajimi"),
        ("龍ケ崎市", "ryugasaki"),
        ("竜ヶ崎", "ryugasaki"),
        ("龍ヶ崎市です", "ryugasaki"),
        ("竜ケ崎", "ryugasaki"),
        ("りゅうがさき", "ryugasaki"),
        ("ﾘｭｳｶﾞｻｷ", "ryugasaki"),
        # look-alikes and non-matches
        ("みたかったです", None),
        ("いちばん近い窓口", None),
        ("いちばの近く", None),  # 市場の: kana before the alias
        ("うちのみたか", None),  # still kana before it
        ("千葉県柏市", None),
        ("大阪市", None),
        ("", None),
        # two cities: ambiguous
        ("三鷹から千葉に引っ越しました", None),
    ],
)
def test_resolve(kb: KnowledgeBase, text: str, expected: Optional[str]) -> None:
    assert kb.resolve_municipality(text) == expected


def test_find_all_in_order(kb: KnowledgeBase) -> None:
    aliases = {mid: kb.municipality(mid).names() for mid in kb.municipality_ids()}
    assert find_mentions("三鷹から千葉に引っ越しました", aliases) == ["mitaka", "chiba"]
