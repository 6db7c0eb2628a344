"""Faults of the scaled layout (make run-scaled) against real processes: 2 Rasa replicas, 2 action servers, the
gateway, a private PostgreSQL and a private Redis.

Every test ends with the same two checks on the shared tracker store in PostgreSQL: no conversation lost (its
earlier turns are stored and the next message continues it) and no turn answered twice (each resident message is
stored once, with the bot's answer to it). The tests share one layout and run in file order: the destructive ones
(the whole layout restarted, a replica killed) come last.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from replies.catalogue import apology
from testkit.services import port_open
from tests.scaled.stack import (
    APP_ROLE,
    FOREIGN_SECRETS,
    LINE_SECRETS,
    UNAVAILABLE_TEXT,
    UNKNOWN_SESSION_TEXT,
    Reply,
    ScaledStack,
    assert_only_own_secrets,
    group_processes,
    listening_pid,
    process_environ,
    request_json,
)

APOLOGY = apology("unavailable")  # what a resident reads when nothing else could be produced

# Every secret the layout's environment holds (tests/scaled/stack.py plants the dummy ones).
LAYOUT_SECRETS = (
    "RASA_AUTH_TOKEN",
    "GATEWAY_SECRET",
    "STAFF_TOKEN",
    "PGPASSWORD",
    "REDIS_URL",
    *LINE_SECRETS,
    *FOREIGN_SECRETS,
)

# A resident who forgot the PIN, typing, and what the bot asks next (tests/golden/, domain.yml).
FORGOT = "暗証番号を忘れました"
SELF = "本人です"
CITY = "三鷹市です"
SIGNATURE = "署名用です"
YES = "はい"
ASKS_APPLICANT = "窓口で手続きをするのはどなたですか"
ASKS_CITY = "お住まいの市を選んでください"
ASKS_PIN_TYPE = "どの暗証番号ですか"
ASKS_OTHER_PIN = "利用者証明用電子証明書の暗証番号（数字4桁）はわかりますか"
CHECKLIST = "【三鷹市】暗証番号の再設定（本人が手続きする場合）"
MITAKA_PHONE = "0422-29-9191"
# Seconds a turn's ticket lives in Rasa's lock store (the launcher's default, set by the stack fixture too).
TICKET_LOCK_LIFETIME = 10.0
SCRIPT = [(FORGOT, ASKS_APPLICANT), (SELF, ASKS_CITY), (CITY, ASKS_PIN_TYPE), (SIGNATURE, ASKS_OTHER_PIN)]
# Messages answered whatever the dialogue state, none with a number (nothing is redacted from them).
ANY_TIME = [
    "こんにちは",
    "ありがとうございます",
    "暗証番号って何回まちがえるとロックされるんですか",
    "土曜日も窓口は開いていますか",
    "担当の方と電話で話したいです",
    "暗証番号は何種類ありますか",
]


def answered(reply: Reply, expected: str) -> None:
    """The bot's real answer (not the apology), with the words the resident reads."""
    assert reply.status == 200, (reply.status, reply.body)
    assert not reply.is_fallback, reply.text[:200]
    assert expected in reply.text, (expected, reply.text[:300])


def assert_fallback(reply: Reply) -> None:
    """The polite apology with the city's number, never an error page."""
    assert reply.status == 200, (reply.status, reply.body)
    assert reply.text.startswith(APOLOGY), reply.text[:200]
    assert "電話" in reply.text


def assert_turns_once(stack: ScaledStack, sender: str, expected: Sequence[str]) -> None:
    """The stored conversation holds exactly these resident messages, in order, each answered by the bot."""
    turns = stack.turns(sender)
    assert [text for text, _ in turns] == list(expected)
    for text, bot in turns:
        assert bot, f"{text!r} is stored without the bot's answer"


def conversation(stack: ScaledStack, steps: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """A new web session taken through ``steps`` (message, expected words); returns (session id, sender id)."""
    session = stack.new_session()
    for text, expected in steps:
        answered(stack.say(session, text), expected)
    return session, stack.sender_of(session)


# ---- the layout itself ----


def test_the_layout_is_what_the_readme_says(stack: ScaledStack) -> None:
    """Two replicas on consecutive ports, replica i on action server i mod 2, each process with only its own secrets
    (log sinks included), logins that are not superusers, and the tracker database created by Rasa's store (it did
    not exist before the start)."""
    assert stack.database_exists()
    assert f"PostgreSQL database '{stack.database}' at 127.0.0.1:{stack.pg.port}: created" in stack.stdout_lines
    planted = {k: v for k, v in stack.env().items() if k in LAYOUT_SECRETS}
    # What the launcher derives from REDIS_URL for Rasa's lock store.
    planted["REDIS_PASSWORD"] = stack.redis_server.password
    for i, port in enumerate(stack.rasa_ports):
        env = process_environ(listening_pid(port))
        assert env["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{stack.action_ports[i % 2]}/webhook"
        assert_only_own_secrets("rasa", env, planted)
        assert env["PGPORT"] == str(stack.pg.port) and env["REDIS_PORT"] == str(stack.redis_server.port)
        assert env["PGUSER"] == APP_ROLE and env["REDIS_USERNAME"] == stack.redis_server.username
        assert env["REDIS_PASSWORD"] == stack.redis_server.password
    for port in stack.action_ports:
        assert_only_own_secrets("actions", process_environ(listening_pid(port)), planted)
    gateway = process_environ(listening_pid(stack.gateway_port))
    assert_only_own_secrets("gateway", gateway, planted)
    assert gateway["RASA_URLS"] == ",".join(f"http://127.0.0.1:{p}" for p in stack.rasa_ports)
    assert gateway["GATEWAY_STATE"] == "redis" and gateway["REDIS_URL"] == stack.redis_server.url
    assert_only_own_secrets("console", process_environ(listening_pid(stack.staff_port)), planted)
    assert stack.process is not None
    sinks = [pid for pid, command in group_processes(stack.process.pid) if "privacy.logsink" in command]
    assert len(sinks) == len(stack.all_ports()), "one log sink per server"
    for pid in sinks:
        assert_only_own_secrets("logsink", process_environ(pid), planted)
    assert stack.healthz() == 200
    # Rasa's API stays locked on every replica.
    status, _, _ = request_json("GET", f"http://127.0.0.1:{stack.rasa_ports[1]}/conversations/x/tracker")
    assert status == 401


def test_any_replica_continues_any_conversation(stack: ScaledStack) -> None:
    """The tracker is shared: turns of one conversation alternate between the replicas and the form goes on."""
    sender = f"scaled-{uuid.uuid4().hex}"
    replies = [stack.rest(i % 2, sender, text) for i, (text, _) in enumerate(SCRIPT)]
    for reply, (_, expected) in zip(replies, SCRIPT, strict=True):
        assert expected in "\n".join(m.get("text", "") for m in reply)
    text = "\n".join(m.get("text", "") for m in stack.rest(0, sender, YES))
    assert CHECKLIST in text and MITAKA_PHONE in text
    assert_turns_once(stack, sender, [t for t, _ in SCRIPT] + [YES])


# ---- concurrent turns of one conversation (Rasa issue #9213) ----


def _concurrently(calls: Sequence[tuple[int, str]], send: Callable[[int, str], List[str]]) -> List["Timed"]:
    """Send every (target, text) at the same instant from its own thread."""
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[int, str]) -> Timed:
        barrier.wait()
        started = time.monotonic()
        messages = send(*call)
        return Timed(call[1], messages, started, time.monotonic())

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


@dataclass
class Timed:
    """A message, the bot texts that answered it and when the answer came back."""

    text: str
    bot: List[str]
    started: float
    ended: float


def _assert_serial(stack: ScaledStack, sender: str, results: List[Timed]) -> None:
    """All applied once, one turn at a time: the store's order is the order the answers came back, and each stored
    turn holds exactly the answer its resident got."""
    for result in results:
        assert result.bot and not any(APOLOGY in t for t in result.bot), (result.text, result.bot)
    turns = stack.turns(sender)
    by_answer = sorted(results, key=lambda r: r.ended)
    assert [text for text, _ in turns] == [r.text for r in by_answer]
    for (text, bot), result in zip(turns, by_answer, strict=True):
        assert bot == result.bot, f"{text!r}: stored {bot!r}, answered {result.bot!r}"


def test_concurrent_messages_of_one_session_through_the_gateway(stack: ScaledStack) -> None:
    """Five messages sent at once to one session: Rasa's lock store (in Redis) lets one through at a time."""
    session = stack.new_session()
    sender = stack.sender_of(session)

    def send(_target: int, text: str) -> List[str]:
        reply = stack.say(session, text)
        assert reply.status == 200, (reply.status, reply.body)
        return reply.texts

    results = _concurrently([(0, text) for text in ANY_TIME[:5]], send)
    _assert_serial(stack, sender, results)
    answered(stack.say(session, FORGOT), ASKS_APPLICANT)
    assert stack.user_texts(sender)[-1] == FORGOT and len(stack.user_texts(sender)) == 6


def test_concurrent_messages_of_one_sender_on_two_replicas(stack: ScaledStack) -> None:
    """The lock store itself: six messages of one sender at once, alternately to replica 0 and 1, bypassing the
    gateway. Each replica takes a ticket in Redis; the turns run one after the other, none lost or doubled."""
    for _ in range(2):
        sender = f"scaled-{uuid.uuid4().hex}"

        def send(replica: int, text: str, sender: str = sender) -> List[str]:
            return [m.get("text", "") for m in stack.rest(replica, sender, text)]

        results = _concurrently([(i % 2, text) for i, text in enumerate(ANY_TIME)], send)
        _assert_serial(stack, sender, results)


# ---- PostgreSQL restarted ----


def test_postgres_restart(stack: ScaledStack) -> None:
    """While PostgreSQL is down every turn gets the apology, quickly; once it is back, the replicas reconnect by
    themselves and the conversations go on from their last stored turn."""
    session, sender = conversation(stack, [(FORGOT, ASKS_APPLICANT)])
    stack.pg.stop("fast")
    try:
        assert not stack.pg.running
        during = [stack.say(session, SELF), stack.say(session, SELF)]
        newcomer = stack.new_session()  # sessions live in Redis: still issued
        during.append(stack.say(newcomer, FORGOT))
        direct = [stack.rest(i, f"scaled-{uuid.uuid4().hex}", FORGOT) for i in range(2)]
    finally:
        stack.pg.start()
    for reply in during:
        assert_fallback(reply)
        assert reply.ended - reply.started < 10, "a turn must not hang while the database is down"
    for messages in direct:
        assert messages and messages[0]["text"].startswith(APOLOGY)
    assert stack.healthz() == 200
    # No restart of the layout: the very next turns are answered (pooled connections are checked before use).
    answered(stack.say(session, SELF), ASKS_CITY)
    answered(stack.say(session, CITY), ASKS_PIN_TYPE)
    for i in range(2):
        sender_i = f"scaled-{uuid.uuid4().hex}"
        assert ASKS_APPLICANT in stack.rest(i, sender_i, FORGOT)[0]["text"]
    answered(stack.say(newcomer, FORGOT), ASKS_APPLICANT)
    # The turns during the outage were never stored; the others once each.
    assert_turns_once(stack, sender, [FORGOT, SELF, CITY])
    assert_turns_once(stack, stack.sender_of(newcomer), [FORGOT])


# ---- Redis restarted ----


def test_redis_restart(stack: ScaledStack) -> None:
    """Redis down: the web API answers a polite 503 at once (nothing reaches Rasa), Rasa's own turns get the
    apology; Redis back: sessions it kept (its last snapshot) continue, a session it lost is a polite 404."""
    session, sender = conversation(stack, [(FORGOT, ASKS_APPLICANT)])
    client = stack.redis_client()
    try:
        client.save()  # a Redis with persistence: what it held at its last snapshot survives the restart
    finally:
        client.close()
    lost = stack.new_session()  # issued after the snapshot: gone with the restart
    stack.redis_server.kill()
    try:
        during = [stack.say(session, SELF), stack.say(lost, FORGOT)]
        status, body, headers = request_json("POST", f"{stack.gateway_url}/api/chat/session", {})
        lock_down_sender = f"scaled-{uuid.uuid4().hex}"
        direct = stack.rest(0, lock_down_sender, FORGOT)
        health = stack.healthz()
    finally:
        stack.redis_server.start()
    for reply in during:
        assert reply.status == 503, (reply.status, reply.body)
        assert reply.body["error"] == "unavailable" and UNAVAILABLE_TEXT in reply.body["message"]
        assert reply.headers.get("retry-after") == "5"
        assert reply.ended - reply.started < 5, "no hang while Redis is down"
    assert status == 503 and body["error"] == "unavailable"
    # Rasa without its lock store: the apology, and the turn is not stored.
    assert direct and direct[0]["text"].startswith(APOLOGY)
    assert stack.user_texts(lock_down_sender) == []
    assert health == 200, "/healthz is about Rasa, which is up"
    # Back: the connection pools reconnect by themselves, no restart of the layout.
    deadline = time.monotonic() + 15
    reply = stack.say(session, SELF)
    while reply.status == 503 and time.monotonic() < deadline:
        time.sleep(0.5)
        reply = stack.say(session, SELF)
    answered(reply, ASKS_CITY)
    answered(stack.say(session, CITY), ASKS_PIN_TYPE)
    gone = stack.say(lost, FORGOT)
    assert gone.status == 404 and gone.body["error"] == "unknown_session"
    assert UNKNOWN_SESSION_TEXT in gone.body["message"]
    conversation(stack, [(FORGOT, ASKS_APPLICANT), (SELF, ASKS_CITY)])
    for i in range(2):
        assert ASKS_APPLICANT in stack.rest(i, f"scaled-{uuid.uuid4().hex}", FORGOT)[0]["text"]
    assert_turns_once(stack, sender, [FORGOT, SELF, CITY])


# ---- the whole layout restarted ----


def test_whole_layout_restart(stack: ScaledStack) -> None:
    """SIGTERM stops every process and frees every port; started again with the same settings, each conversation
    continues where it was (a form half-filled before the restart is finished after it)."""
    half, half_sender = conversation(stack, [(FORGOT, ASKS_APPLICANT), (SELF, ASKS_CITY)])
    started, started_sender = conversation(stack, [(FORGOT, ASKS_APPLICANT)])
    pgid = stack.process.pid if stack.process else 0
    leftovers = stack.stop()
    assert leftovers == [], f"processes left after SIGTERM: {leftovers}"
    assert ScaledStack.group_members(pgid) == []
    assert [port for port in stack.all_ports() if port_open(port)] == []
    stack.start()
    assert f"PostgreSQL database '{stack.database}' at 127.0.0.1:{stack.pg.port}: existing" in stack.stdout_lines
    answered(stack.say(half, CITY), ASKS_PIN_TYPE)
    answered(stack.say(half, SIGNATURE), ASKS_OTHER_PIN)
    final = stack.say(half, YES)
    answered(final, CHECKLIST)
    assert MITAKA_PHONE in final.text
    answered(stack.say(started, SELF), ASKS_CITY)
    assert_turns_once(stack, half_sender, [FORGOT, SELF, CITY, SIGNATURE, YES])
    assert_turns_once(stack, started_sender, [FORGOT, SELF])


# ---- a replica killed under load ----


@dataclass
class Resident:
    """One resident of the load: a session, every attempt with its timing, and what the bot last asked."""

    session: str
    sender: str = ""
    sent: List[tuple[str, Reply]] = field(default_factory=list)
    error: Optional[BaseException] = None


def _resident(stack: ScaledStack, resident: Resident, stop_at: Dict[str, float]) -> None:
    """The script, one step after the other; a turn that got the apology is typed again, as a resident would."""
    rng = random.Random(resident.session)
    try:
        for text, expected in SCRIPT:
            for _attempt in range(4):
                time.sleep(rng.uniform(0.0, 0.4))
                reply = stack.say(resident.session, text)
                resident.sent.append((text, reply))
                assert reply.status == 200, (reply.status, reply.body)
                if not reply.is_fallback:
                    assert expected in reply.text, (text, expected, reply.text[:200])
                    break
            else:
                raise AssertionError(f"{text!r} never answered")
        stop_at[resident.session] = time.monotonic()
    except BaseException as error:  # noqa: BLE001 - reported by the test thread
        resident.error = error


def test_kill_one_replica_under_load(stack: ScaledStack) -> None:
    """kill -9 one Rasa replica while residents talk: the turns in flight on it get the apology; every later turn
    of the other conversations is answered by the other replica at once, the hit conversations go on once the dead
    replica's lock ticket expired, and every conversation is stored once per turn."""
    residents = [Resident(stack.new_session()) for _ in range(8)]
    for resident in residents:
        resident.sender = stack.sender_of(resident.session)
    finished: Dict[str, float] = {}
    threads = [threading.Thread(target=_resident, args=(stack, r, finished)) for r in residents]
    for thread in threads:
        thread.start()
    # Kill once the residents are in full swing (several turns answered, most still to come).
    deadline = time.monotonic() + 120
    while sum(len(r.sent) for r in residents) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    victim = listening_pid(stack.rasa_ports[1])
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    # Until the kernel has torn the process down, its listening socket still accepts connections: a turn sent in
    # that moment reaches the dying replica, which never answers it. Such a turn was in flight too.
    while port_open(stack.rasa_ports[1]) and time.monotonic() < killed_at + 10:
        time.sleep(0.001)
    dead_at = time.monotonic()
    for thread in threads:
        thread.join(300)
    for resident in residents:
        assert resident.error is None, resident.error
    attempts = [reply for r in residents for _, reply in r.sent]
    in_flight = [reply for reply in attempts if reply.started <= dead_at and reply.ended >= killed_at]
    for reply in attempts:
        if reply.is_fallback:
            assert_fallback(reply)
    # A resident whose turn the dead replica had: that turn got the apology. Their next turns wait behind the dead
    # replica's ticket in Rasa's lock store until it expires (TICKET_LOCK_LIFETIME), and one of them may still get
    # the apology if that wait outlasts the gateway's timeout (test_lock_after_a_crash.py). Nobody else may see
    # an apology after the kill.
    hit = {r.session for r in residents if any(reply.is_fallback and reply in in_flight for _, reply in r.sent)}
    for resident in residents:
        for text, reply in resident.sent:
            if not reply.is_fallback or reply in in_flight:
                continue
            assert resident.session in hit, f"{text!r} started after the kill by an unaffected resident got the apology"
            assert reply.started < killed_at + TICKET_LOCK_LIFETIME, f"{text!r}: apology after the dead ticket expired"
    assert len([a for a in attempts if a.started > killed_at]) >= len(residents), "the load went on after the kill"
    # The layout keeps serving with one replica and says which one died.
    assert stack.process is not None and stack.process.poll() is None
    assert stack.healthz() == 200
    deadline = time.monotonic() + 10
    while f"Rasa replica 1 (127.0.0.1:{stack.rasa_ports[1]}) exited" not in stack.stderr_text():
        assert time.monotonic() < deadline, stack.stderr_text()[-2000:]
        time.sleep(0.2)
    for resident in residents:
        # The conversation goes on to the answer.
        final = stack.say(resident.session, YES)
        answered(final, CHECKLIST)
        # Stored once per answered turn; an apologised turn killed in flight may or may not have been stored
        # (the replica may have died before or after saving it), but never twice.
        sent = [(text, reply.is_fallback) for text, reply in resident.sent] + [(YES, False)]
        stored = stack.turns(resident.sender)
        assert all(bot for _, bot in stored), stored
        assert _stored_as_sent(sent, [text for text, _ in stored]), (sent, stored)


def _stored_as_sent(sent: Sequence[tuple[str, bool]], stored: Sequence[str]) -> bool:
    """Whether ``stored`` is ``sent`` with some apologised messages left out (they may have died before being
    saved), and nothing else: no answered turn missing, none stored twice, nothing nobody sent."""
    if not sent:
        return not stored
    (text, apologised), rest = sent[0], sent[1:]
    if stored and stored[0] == text and _stored_as_sent(rest, stored[1:]):
        return True
    return apologised and _stored_as_sent(rest, stored)


def test_the_stored_turns_check_can_fail() -> None:
    sent = [(FORGOT, False), (SELF, True), (SELF, False)]
    assert _stored_as_sent(sent, [FORGOT, SELF]) and _stored_as_sent(sent, [FORGOT, SELF, SELF])
    assert not _stored_as_sent(sent, [FORGOT])  # an answered turn lost
    assert not _stored_as_sent(sent, [FORGOT, SELF, SELF, SELF])  # a turn stored twice
    assert not _stored_as_sent([(FORGOT, False), (SELF, False)], [SELF, FORGOT])  # out of order
