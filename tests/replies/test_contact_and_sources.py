"""replies.contact: contact lines, the 出典 line, the fallback message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import pytest

from kb.models import Source
from kb.store import KnowledgeBase
from replies.contact import contact_lines, contact_text, describe_source, fallback_message, source_line
from replies.message import Button, Reply
from tests.replies.replies_expect import CITY_NAMES, CONTACT_LINE, OWN_SOURCE

APOLOGY = "申し訳ありません。ただいまお答えを用意できませんでした。少し時間をおいてもう一度お試しいただくか、お電話でお問い合わせください。"


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_contact_text(kb: KnowledgeBase, mid: str) -> None:
    assert contact_text(kb.municipality(mid)) == CONTACT_LINE[mid]


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_fallback_message_for_known_city(kb: KnowledgeBase, mid: str) -> None:
    message = fallback_message(mid, kb)
    assert message == f"{APOLOGY}\n{CONTACT_LINE[mid]}"
    for other in CITY_NAMES:
        if other != mid:
            assert CONTACT_LINE[other] not in message


@pytest.mark.parametrize("mid", [None, "yokohama", ""])
def test_fallback_message_for_unknown_city_lists_every_city(kb: KnowledgeBase, mid: Optional[str]) -> None:
    message = fallback_message(mid, kb)
    assert message.startswith(APOLOGY + "\n")
    for city in CITY_NAMES:
        assert CONTACT_LINE[city] in message
    assert len(message.splitlines()) == 1 + len(CITY_NAMES)


def test_fallback_message_loads_the_default_kb(kb: KnowledgeBase) -> None:
    assert fallback_message("chiba") == f"{APOLOGY}\n{CONTACT_LINE['chiba']}"


class BrokenKB:
    """A knowledge base whose every query fails."""

    def municipality_ids(self) -> List[str]:
        raise RuntimeError("knowledge base is broken")

    def municipality(self, mid: str):
        raise RuntimeError("knowledge base is broken")


@pytest.mark.parametrize("mid", ["mitaka", None])
def test_fallback_message_when_the_kb_fails(mid: Optional[str]) -> None:
    message = fallback_message(mid, BrokenKB())
    assert message == f"{APOLOGY}\nお住まいの市役所の担当窓口へお問い合わせください。"


def test_fallback_message_when_the_kb_cannot_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import replies.contact as contact_module

    def fail() -> KnowledgeBase:
        raise RuntimeError("cannot read knowledge/")

    monkeypatch.setattr(contact_module, "default_directory", fail)
    assert fallback_message("tajimi") == f"{APOLOGY}\nお住まいの市役所の担当窓口へお問い合わせください。"


def test_fallback_message_reads_the_city_files_even_when_the_full_kb_is_invalid(tmp_path: Path) -> None:
    """A schema error elsewhere in a city file must not cost the resident the phone number."""
    from kb.directory import MunicipalityDirectory

    (tmp_path / "municipalities").mkdir()
    (tmp_path / "municipalities" / "mitaka.yml").write_text(
        "id: mitaka\nname: 三鷹市\noffices: not-a-list\ncontact:\n  department: 市民課\n"
        "  phones:\n    - number: 0422-29-9191\n",
        encoding="utf-8",
    )
    message = fallback_message("三鷹市", MunicipalityDirectory(tmp_path))
    assert message == f"{APOLOGY}\nお問い合わせ：三鷹市 市民課 電話 0422-29-9191"


def test_contact_lines(kb: KnowledgeBase) -> None:
    assert contact_lines(kb, "mitaka") == [CONTACT_LINE["mitaka"]]
    assert sorted(contact_lines(kb, None)) == sorted(CONTACT_LINE.values())
    assert sorted(contact_lines(kb, "yokohama")) == sorted(CONTACT_LINE.values())


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_describe_own_source(kb: KnowledgeBase, mid: str) -> None:
    assert describe_source(kb.source(mid)) == OWN_SOURCE[mid]


def _source(sid: str, title: Optional[str], publisher: Optional[str], updated: Optional[dt.date]) -> Source:
    return Source(
        id=sid, seed_id="999", file="x.txt", title=title, publisher=publisher, municipality=None, updated=updated
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        (_source("a", "題名", "某市", dt.date(2024, 1, 5)), "某市「題名」（2024年1月5日更新）"),
        (_source("b", None, "某市 某課", dt.date(2023, 12, 31)), "某市 某課のページ（2023年12月31日更新）"),
        (_source("c", "題名", None, None), "解説記事「題名」（更新日の記載なし）"),
        (_source("d", None, None, None), "解説記事のページ（更新日の記載なし）"),
    ],
)
def test_describe_source_shapes(source: Source, expected: str) -> None:
    assert describe_source(source) == expected


def test_source_line_names_each_page_once_in_order(kb: KnowledgeBase) -> None:
    line = source_line([kb.source("mitaka"), kb.source("explainer"), kb.source("mitaka"), kb.source("tajimi")])
    assert line == f"出典：{OWN_SOURCE['mitaka']}、一般の解説ブログのページ（更新日の記載なし）、{OWN_SOURCE['tajimi']}"


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_source_line_of_one_city(kb: KnowledgeBase, mid: str) -> None:
    assert source_line([kb.source(mid)]) == f"出典：{OWN_SOURCE[mid]}"


def test_source_line_of_nothing() -> None:
    assert source_line([]) == "出典："


@pytest.mark.parametrize(
    "reply, kwargs",
    [
        (Reply("こんにちは"), {"text": "こんにちは"}),
        (
            Reply("どちら?", [Button("三鷹市", "/office_hours"), Button("千葉市", "/x")]),
            {
                "text": "どちら?",
                "buttons": [{"title": "三鷹市", "payload": "/office_hours"}, {"title": "千葉市", "payload": "/x"}],
            },
        ),
    ],
)
def test_reply_as_dispatcher_kwargs(reply: Reply, kwargs: dict) -> None:
    assert reply.as_kwargs() == kwargs
