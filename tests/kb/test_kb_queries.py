"""The query API the action server uses: ids, None vs not-covered, unknown ids, caching."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from kb.errors import UnknownIdError
from kb.store import KnowledgeBase, load_kb


def test_ids_and_names(kb: KnowledgeBase) -> None:
    assert kb.municipality_ids() == ["chiba", "mitaka", "ryugasaki", "tajimi"]
    assert [kb.municipality(m).name for m in kb.municipality_ids()] == ["千葉市", "三鷹市", "龍ケ崎市", "多治見市"]


def test_three_kinds_of_answer(kb: KnowledgeBase) -> None:
    covered = kb.requirements("mitaka", "pin_reset", "self")
    partial = kb.requirements("tajimi", "pin_reset", "self")
    absent = kb.requirements("chiba", "pin_change", "self")
    assert covered is not None and covered.covered and covered.documents
    assert partial is not None and not partial.covered and partial.documents == ()
    assert absent is None


def test_labels_and_source_on_answers(kb: KnowledgeBase) -> None:
    req = kb.requirements("chiba", "pin_reset", "legal_representative")
    assert req is not None
    assert (req.procedure_label, req.applicant_label) == ("暗証番号の再設定", "法定代理人")
    assert req.source.title == "マイナンバーカード（個人番号カード）の暗証番号を忘れてしまったときは"
    assert all(o.source.id == "chiba" for o in kb.offices("chiba", "pin_reset"))


@pytest.mark.parametrize(
    "call",
    [
        lambda kb: kb.municipality("osaka"),
        lambda kb: kb.requirements("osaka", "pin_reset", "self"),
        lambda kb: kb.requirements("mitaka", "pin_unlock", "self"),
        lambda kb: kb.requirements("mitaka", "pin_reset", "grandchild"),
        lambda kb: kb.offices("mitaka", "renewal"),
        lambda kb: kb.office("nowhere"),
        lambda kb: kb.source("000"),
    ],
)
def test_unknown_ids_raise(kb: KnowledgeBase, call: Callable[[KnowledgeBase], Any]) -> None:
    with pytest.raises(UnknownIdError):
        call(kb)


def test_applicants(kb: KnowledgeBase) -> None:
    procedures = {mid: kb.municipality(mid).procedures for mid in ("mitaka", "chiba")}
    assert list(procedures["mitaka"]["pin_change"].applicants) == ["self", "legal_representative", "voluntary_proxy"]
    assert "pin_change" not in procedures["chiba"]


def test_answers_are_immutable(kb: KnowledgeBase) -> None:
    req = kb.requirements("mitaka", "pin_reset", "self")
    assert req is not None
    with pytest.raises(AttributeError):
        req.documents.append(None)  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        kb.municipality("mitaka").procedures["pin_reset"] = None  # type: ignore[index]


def test_default_load_is_cached() -> None:
    assert load_kb() is load_kb()
