"""Residents played through the real gateway (web chat and LINE), and what the staff console must then show.

Shared by tests/e2e/test_staff_console.py (make run's layout, SQLite) and tests/scaled/test_staff_console_scaled.py
(make run-scaled's, PostgreSQL and Redis): the same conversations must give the same figures in both.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from replies.catalogue import apology
from tests.e2e.line import FakeLineApi, LineUser, labels, texts

Messages = List[Dict[str, Any]]
# What residents typed that the bot cannot answer: markup must reach the staff page as text.
SCRIPT = "<script>alert('xss')</script>明日の天気を教えて"
HTML = '<img src=x onerror="alert(1)">ぴよぴよ<b>ふがふが</b>'
HANDOFF = "担当の方と電話で話したいです"
PIN = "4917"
# Messages the model is unsure of (two-stage fallback); tried in turn until one gets it, since a retrained model
# may place one of them after all. What each resident got is read from the replies, as the resident saw it.
UNSURE = ("カードのことで", "暗証番号", "カードの暗証番号", "パスワード", "カードの番号", "PIN", "再設定")
OUT_OF_SCOPE_MARKS = ("についてのみご案内しています", "このチャットでは暗証番号の手続きをご案内しています")
CLARIFY = apology("clarify")


def call(
    method: str, url: str, body: Optional[Any] = None, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, bytes]:
    """One request; (status, body), HTTP errors included."""
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class WebResident:
    """One web chat session through the gateway's API (CONTRACT §4)."""

    gateway_url: str
    session: str = field(default="", init=False)

    def _post(self, body: Dict[str, Any]) -> Messages:
        if not self.session:
            status, raw = call("POST", f"{self.gateway_url}/api/chat/session", {})
            assert status == 200, raw
            self.session = json.loads(raw)["session_id"]
        status, raw = call("POST", f"{self.gateway_url}/api/chat/message", {"session_id": self.session, **body})
        assert status == 200, raw
        return list(json.loads(raw)["messages"])

    def say(self, text: str) -> Messages:
        """A typed message; the bot's messages."""
        return self._post({"text": text})

    def tap(self, messages: Messages, title_part: str) -> Messages:
        """Tap the offered button whose title contains ``title_part``."""
        for message in messages:
            for button in message.get("buttons") or []:
                if title_part in button["title"]:
                    return self._post({"payload": button["payload"]})
        raise AssertionError(f"no button with {title_part!r} in {messages}")


def joined(messages: Messages) -> str:
    """The texts of the bot's messages."""
    return "\n".join(str(m.get("text", "")) for m in messages)


@dataclass
class Played:
    """What the residents did, as they saw it, and their conversations for the feedback test to go on with."""

    checklist: WebResident
    checklist_answer: Messages
    hours: LineUser
    hours_answer: Messages
    # (city or "unknown", channel, metric) once per figure; (text, city or None, reason) per unanswered message.
    figures: List[Tuple[str, str, str]] = field(default_factory=list)
    unanswered: List[Tuple[str, Optional[str], str]] = field(default_factory=list)

    def saw(self, text: str, reply: str, channel: str) -> None:
        """A message of a resident without a city and the reply: out of the domain, the fallback, or an answer."""
        self.figures.append(("unknown", channel, "conversations"))
        out_of_scope = any(mark in reply for mark in OUT_OF_SCOPE_MARKS)
        for metric, reason, got in (
            ("out_of_scope", "out_of_scope", out_of_scope),
            ("fallbacks", "fallback", CLARIFY in reply),
        ):
            if got:
                self.figures.append(("unknown", channel, metric))
                self.unanswered.append((text, None, reason))

    def count(self, by: Optional[int] = None) -> Dict[str, Dict[str, int]]:
        """Figure -> n per city (``by`` 0) or per channel (1), or in total (under "")."""
        found: Dict[str, Dict[str, int]] = {}
        for figure in self.figures:
            row = found.setdefault(figure[by] if by is not None else "", {})
            row[figure[2]] = row.get(figure[2], 0) + 1
        return found


def play(gateway_url: str, line_secret: str, line_api: FakeLineApi) -> Played:
    """Residents on the web and on LINE, each in a new conversation; what they saw is recorded."""
    a = WebResident(gateway_url)  # 三鷹市's checklist, typed (the words of tests/scaled/test_scaled_faults.py)
    for text in ("暗証番号を忘れました", "本人です", "三鷹市です", "署名用です"):
        a.say(text)
    checklist = a.say("はい")
    assert "【三鷹市】暗証番号の再設定（本人が手続きする場合）" in joined(checklist)
    d = LineUser(gateway_url, line_secret, line_api)  # hours in 千葉市 on LINE, then a person
    asked = d.say("土曜日も窓口は開いていますか")
    assert "千葉市" in labels(asked), texts(asked)
    hours = d.tap(asked, "千葉市")
    assert "千葉市" in texts(hours)
    assert "043" in texts(d.say(HANDOFF))
    played = Played(a, checklist, d, hours, [("mitaka", "web", "conversations"), ("mitaka", "web", "checklists")])
    played.figures += [("chiba", "line", m) for m in ("conversations", "answers", "handoffs")]
    played.unanswered.append((HANDOFF, "chiba", "handoff"))
    c = WebResident(gateway_url)  # a PIN: redacted, and the privacy notice is no unanswered question
    assert "入力しないでください" in joined(c.say(f"暗証番号は{PIN}です"))
    played.figures.append(("unknown", "web", "conversations"))
    for text in (SCRIPT, HTML):  # markup the bot cannot answer
        played.saw(text, joined(WebResident(gateway_url).say(text)), "web")
        assert played.unanswered[-1][0] == text, f"the bot answered {text!r}: pick a message it cannot answer"
    played.saw(
        "ごみの出し方を教えて", texts(LineUser(gateway_url, line_secret, line_api).say("ごみの出し方を教えて")), "line"
    )
    for text in UNSURE:
        played.saw(text, joined(WebResident(gateway_url).say(text)), "web")
        if played.unanswered[-1] == (text, None, "fallback"):
            break
    else:
        raise AssertionError(f"none of {UNSURE} got the fallback any more: add a message the model is unsure of")
    return played


def staff_get(console_url: str, token: str, path: str) -> Tuple[int, bytes]:
    """GET from the console with the staff's Bearer token."""
    return call("GET", f"{console_url}{path}", headers={"Authorization": f"Bearer {token}"})


def figures_of(row: Dict[str, int]) -> Dict[str, int]:
    """The non-zero figures of a summary row."""
    return {metric: n for metric, n in row.items() if n and metric != "date"}


def check_console(console_url: str, token: str, played: Played, sender_ids: List[str]) -> None:
    """The console shows exactly what the residents of ``play`` did, in the API and on the page."""
    for path in ("/staff/api/summary", "/staff/api/unanswered", "/staff/api/sources", "/staff/api/daily.csv"):
        status, body = call("GET", f"{console_url}{path}")
        assert status == 401 and json.loads(body) == {"error": "unauthorized"}, path
    status, raw = staff_get(console_url, token, "/staff/api/summary?days=7")
    summary = json.loads(raw)
    totals = played.count()[""]
    assert status == 200 and figures_of(summary["totals"]) == totals, (summary["totals"], totals)
    assert {city: figures_of(f) for city, f in summary["by_city"].items()} == played.count(0), summary["by_city"]
    assert {channel: figures_of(f) for channel, f in summary["by_channel"].items()} == played.count(1), summary[
        "by_channel"
    ]
    assert [figures_of(day) for day in summary["by_day"] if figures_of(day)] == [totals]
    items = json.loads(staff_get(console_url, token, "/staff/api/unanswered?days=7")[1])["items"]
    assert [(item["text"], item["city"], item["reason"]) for item in items] == played.unanswered[::-1]
    assert all(item["count"] == 1 for item in items)
    status, page_raw = staff_get(console_url, token, "/staff/?days=7")
    page = page_raw.decode()
    assert status == 200 and "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;明日の天気を教えて" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;ぴよぴよ&lt;b&gt;ふがふが&lt;/b&gt;" in page
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert f"<dt>会話</dt><dd>{totals['conversations']}</dd>" in page
    assert f"<dt>対象外</dt><dd>{totals['out_of_scope']}</dd>" in page
    everything = page + raw.decode() + json.dumps(items, ensure_ascii=False)
    assert PIN not in everything
    assert sender_ids and not [sender for sender in sender_ids if sender in everything], "no sender id is ever shown"


# ---- the feedback (answer_key, 👍/👎 buttons: CONTRACT §4) ----

FEEDBACK_QUESTION = f"暗証番号{PIN}を忘れました"
FEEDBACK_QUESTION_SHOWN = "暗証番号［暗証番号］を忘れました"


def tap_payload(resident: WebResident, messages: Messages, payload_part: str) -> Messages:
    """Tap the offered button whose payload contains ``payload_part`` (titles are the feature's own words)."""
    for message in messages:
        for button in message.get("buttons") or []:
            if payload_part in button["payload"]:
                return resident._post({"payload": button["payload"]})
    raise AssertionError(f"no button with {payload_part!r} in its payload in {messages}")


def play_feedback(played: Played, gateway_url: str) -> None:
    """👍 on the web checklist and on LINE's hours; a third resident's checklist 👎 (missing information)."""
    played.checklist.tap(played.checklist_answer, "👍")
    played.hours.tap(played.hours_answer, "👍")
    f = WebResident(gateway_url)
    menu = f.say(FEEDBACK_QUESTION)  # the privacy notice and the menu
    messages = f.tap(f.tap(f.tap(f.tap(menu, "暗証番号を忘れた"), "本人"), "三鷹市"), "署名用")
    answer = f.tap(messages, "はい")
    assert "【三鷹市】暗証番号の再設定（本人が手続きする場合）" in joined(answer)
    tap_payload(f, f.tap(answer, "👎"), "missing_info")


def check_feedback(console_url: str, token: str) -> None:
    """The console counts the checklists, the ratings by answer and the 👎 question, redacted."""
    summary = json.loads(staff_get(console_url, token, "/staff/api/summary?days=7")[1])
    assert (summary["totals"]["checklists"], summary["totals"]["helpful"], summary["totals"]["not_helpful"]) == (
        2,
        2,
        1,
    )
    assert summary["totals"]["answers"] >= 1 and summary["by_channel"]["line"]["helpful"] == 1
    ratings = json.loads(staff_get(console_url, token, "/staff/api/ratings?days=7")[1])["items"]

    def rated(prefix: str) -> List[int]:
        """Times given, 👍, 👎 and 👎 for missing information of the answers whose key starts with ``prefix``."""
        found = [r for r in ratings if r["answer"].startswith(prefix)]
        sums = [sum(r[k] for r in found) for k in ("delivered", "helpful", "not_helpful")]
        return sums + [sum(r["reasons"]["missing_info"] for r in found)]

    assert rated("checklist|mitaka|pin_reset|self|") == [2, 1, 1, 1], ratings
    assert rated("hours|chiba|")[1] == 1
    items = json.loads(staff_get(console_url, token, "/staff/api/unanswered?days=7")[1])["items"]
    assert (FEEDBACK_QUESTION_SHOWN, "mitaka", "not_helpful") in [(i["text"], i["city"], i["reason"]) for i in items]
    page = staff_get(console_url, token, "/staff/?days=7")[1].decode()
    assert FEEDBACK_QUESTION_SHOWN in page and "<dt>👍 役に立った</dt><dd>2</dd>" in page and PIN not in page
