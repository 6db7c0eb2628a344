"""KnowledgeAction: when composing the answer fails, the resident still gets an apology and a phone number."""

from __future__ import annotations

import pytest

import actions.answers
import actions.context
import actions.fallback
import replies.contact
from actions.answers import (
    ActionAnswerCase,
    ActionAnswerContact,
    ActionAnswerIdentityDocuments,
    ActionAnswerOfficeHours,
    ActionAnswerOutOfScope,
)
from actions.fallback import ActionDefaultFallback
from tests.actions.action_expect import CITY_NAMES, CONTACT_LINE, FALLBACK_APOLOGY, FALLBACK_NO_KB


def boom(*args, **kwargs):
    raise RuntimeError("knowledge base query failed")


CASE_SLOTS = {"procedure": "pin_reset", "applicant_type": "self"}


@pytest.mark.parametrize("mid", list(CITY_NAMES))
def test_case_answer_failure_gives_the_citys_phone(make_tracker, run, monkeypatch, mid: str) -> None:
    monkeypatch.setattr(actions.answers, "case_replies", boom)
    events, messages = run(ActionAnswerCase(), make_tracker(slots={**CASE_SLOTS, "municipality": mid}))
    assert events == []
    assert [m["text"] for m in messages] == [f"{FALLBACK_APOLOGY}\n{CONTACT_LINE[mid]}"]


@pytest.mark.parametrize(
    "action, module",
    [
        (ActionAnswerCase(), actions.answers),
        (ActionAnswerOfficeHours(), actions.answers),
        (ActionAnswerIdentityDocuments(), actions.answers),
        (ActionAnswerContact(), actions.answers),
        (ActionAnswerOutOfScope(), actions.answers),
    ],
)
def test_every_knowledge_action_degrades_to_the_fallback(make_tracker, run, monkeypatch, action, module) -> None:
    """The action's KB handle raises: no events (no half-done SlotSet / rewind), one fallback message."""
    monkeypatch.setattr(module, "get_kb", boom)
    tracker = make_tracker(
        slots={**CASE_SLOTS, "municipality": "chiba"}, text="土曜日もやってる?", intent="office_hours"
    )
    events, messages = run(action, tracker)
    assert events == []
    assert [m["text"] for m in messages] == [f"{FALLBACK_APOLOGY}\n{CONTACT_LINE['chiba']}"]
    assert "043-400-3147" in messages[0]["text"]


def test_default_fallback_failure_still_gives_the_phone(make_tracker, run, monkeypatch) -> None:
    monkeypatch.setattr(actions.fallback, "get_kb", boom)
    _, messages = run(ActionDefaultFallback(), make_tracker(slots={"municipality": "mitaka"}, text="？？？"))
    assert [m["text"] for m in messages] == [f"{FALLBACK_APOLOGY}\n{CONTACT_LINE['mitaka']}"]


def test_failure_with_city_from_env(make_tracker, run, monkeypatch) -> None:
    monkeypatch.setenv("DEFAULT_MUNICIPALITY", "tajimi")
    monkeypatch.setattr(actions.answers, "case_replies", boom)
    _, messages = run(ActionAnswerCase(), make_tracker(slots=CASE_SLOTS))
    assert [m["text"] for m in messages] == [f"{FALLBACK_APOLOGY}\n{CONTACT_LINE['tajimi']}"]
    assert "0572-23-5542" in messages[0]["text"]


def test_failure_without_city_lists_every_city(make_tracker, run, monkeypatch) -> None:
    monkeypatch.setattr(actions.answers, "get_kb", boom)
    events, messages = run(ActionAnswerContact(), make_tracker())
    assert events == []
    assert len(messages) == 1
    assert messages[0]["text"].startswith(FALLBACK_APOLOGY + "\n")
    for mid in CITY_NAMES:
        assert CONTACT_LINE[mid] in messages[0]["text"]


@pytest.mark.parametrize("slots", [{}, {"municipality": "mitaka"}], ids=["no-city", "city-slot-set"])
def test_knowledge_base_unavailable_still_answers(make_tracker, run, monkeypatch, slots) -> None:
    """Not even the city files can be read: the action must not crash.

    It cannot look up a phone number then, so it gives the generic 「お住まいの市役所…」 line.
    """
    monkeypatch.setattr(actions.context, "get_kb", boom)
    monkeypatch.setattr(actions.answers, "get_kb", boom)
    monkeypatch.setattr(replies.contact, "default_directory", boom)
    events, messages = run(ActionAnswerContact(), make_tracker(slots=slots))
    assert events == []
    assert [m["text"] for m in messages] == [FALLBACK_NO_KB]
