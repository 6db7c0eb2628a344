"""Unit tests of the gateway's pure parts: text guard, LINE conversion, signature, limiter, store, settings."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from pathlib import Path

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

from gateway.line.convert import (
    MAX_TEXT,
    postback_data,
    to_line,
    truncate,
    utf16_len,
)
from gateway.line.handler import pseudonym
from gateway.logconfig import describe_exception
from gateway.rasa import BotButton, BotMessage, parse_rasa_reply
from gateway.settings import REPO_ROOT, Settings, SettingsError
from gateway.state import Limiter, Limiters, looks_like_session_id
from gateway.textguard import guard_typed_text
from gateway.turns import log_id
from kb.directory import MunicipalityDirectory
from privacy import redact
from privacy.commands import payload_key
from replies.catalogue import catalogue
from replies.contact import fallback_message
from tests.gateway.line_events import compute_signature


@pytest.mark.parametrize(
    "raw,expected,redacted",
    [
        ("暗証番号を忘れました", "暗証番号を忘れました", False),
        ("/greet", "／greet", False),
        (" \t/restart\n", "／restart", False),
        ("\u2060/greet", "／greet", False),
        ("／greet", "／greet", False),
        ("暗証番号は1234です", "暗証番号は［暗証番号］です", True),
        ("/暗証番号は1234", "／暗証番号は［暗証番号］", True),
        # Issue 20: slash look-alikes and blanks that strip() keeps in front of the slash.
        ("∕greet", "／greet", False),
        ("\u0301/greet", "／greet", False),
        ("\u3164 /greet", "／greet", False),
        # Issue 20: the second pass (Rasa's REST channel) used to find more and return NFKC text, ／ becoming /.
        (
            '／inform{"municipality":"どこでも","applicant_type":"self"}\n123456789012と0000',
            '／inform{"municipality":"どこでも","applicant_type":"self"}\n［個人番号］と［暗証番号］',
            True,
        ),
        ("たしか4917", "たしか［暗証番号］", True),
    ],
)
def test_guard_typed_text(raw: str, expected: str, redacted: bool) -> None:
    """Typed text is redacted and never starts with a command slash, and a second redaction changes nothing."""
    guarded = guard_typed_text(raw)
    assert guarded.text == expected
    assert guarded.changed is redacted
    assert redact(guarded.text).text == guarded.text


def test_signature_matches_line_algorithm() -> None:
    """The SDK's parser (what the webhook uses) accepts LINE's base64 HMAC-SHA256 and refuses every mismatch."""
    body = b'{"destination":"U0","events":[]}'
    expected = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    assert compute_signature("secret", body) == expected
    parser = WebhookParser("secret")
    assert parser.parse(body.decode(), expected) == []
    for secret, raw, signature in [
        ("secret", body, ""),
        ("secret", body + b" ", expected),
        ("other", body, expected),
        ("secret", body, expected[:-2]),
    ]:
        with pytest.raises(InvalidSignatureError):
            WebhookParser(secret).parse(raw.decode(), signature)


def test_line_conversion_splits_and_merges_within_limits() -> None:
    """Long and many texts become at most 5 messages of at most 5,000 characters."""
    long_text = "\n".join("あ" * 99 for _ in range(120))  # ~12,000 characters
    out = to_line([BotMessage(text=long_text)])
    assert len(out) == 3 and all(utf16_len(m.text) <= MAX_TEXT for m in out)
    assert "".join(m.text for m in out).count("あ") == 99 * 120
    many = to_line([BotMessage(text=f"文{i}") for i in range(9)])
    assert len(many) == 1 and all(f"文{i}" in many[0].text for i in range(9))
    no_line_breaks = to_line([BotMessage(text="い" * 30_000)] + [BotMessage(text="う")] * 3)
    assert len(no_line_breaks) <= 5 and all(utf16_len(m.text) <= MAX_TEXT for m in no_line_breaks)
    assert no_line_breaks[-1].text.endswith("（長いため一部を省略しました）")


def test_line_quick_replies() -> None:
    """Buttons become ≤13 deduplicated quick replies with ≤20-character labels, on the last message."""
    buttons = [BotButton(title="本人", payload="/a"), BotButton(title="本人", payload="/a")]
    buttons += [
        BotButton(title="とても長いタイトルの選択肢です、二十文字を超えます", payload=f"/b{i}") for i in range(14)
    ]
    out = to_line([BotMessage(text="質問", buttons=buttons[:8]), BotMessage(text="続き", buttons=buttons[8:])])
    assert [m.quick_reply for m in out[:-1]] == [None]
    assert out[-1].quick_reply is not None
    choices = [item.action for item in out[-1].quick_reply.items]
    assert len(choices) == 13 and choices[0].label == "本人"
    assert all(utf16_len(c.label) <= 20 for c in choices) and choices[1].label.endswith("…")
    assert choices[1].display_text == buttons[2].title
    assert "ほかのご用件" in out[-1].text


def test_feedback_buttons_as_line_quick_replies() -> None:
    """Issue 23: an answer's own buttons, then 👍/👎, then the form's next question (an answer given mid-form) fit in
    LINE's 13 quick replies with whole labels and payloads; so do 👎's reasons."""
    feedback = catalogue().feedback
    own = [
        BotButton(title=title, payload=f"/own{i}") for i, title in enumerate(["窓口の詳しい案内", "手続きの流れと注意"])
    ]
    ratings = [
        BotButton(title=title, payload=f'/feedback{{"rating":"{value}"}}') for value, title in feedback.ratings.items()
    ]
    cities = [
        BotButton(title=city, payload=f"/city{i}")
        for i, city in enumerate(["三鷹市", "千葉市", "多治見市", "龍ケ崎市"])
    ]
    reasons = [
        BotButton(title=title, payload=f'/feedback_reason{{"reason":"{value}"}}')
        for value, title in feedback.reasons.items()
    ]
    for turn, offered in [
        (
            [BotMessage(text="答え", buttons=own + ratings), BotMessage(text="どちらの市", buttons=cities)],
            own + ratings + cities,
        ),
        ([BotMessage(text="理由", buttons=reasons)], reasons),
    ]:
        out = to_line(turn)
        assert out[-1].quick_reply is not None and "ほかのご用件" not in out[-1].text
        actions = [item.action for item in out[-1].quick_reply.items]
        assert [(a.label, a.data, a.display_text) for a in actions] == [(b.title, b.payload, b.title) for b in offered]
    assert [title[0] for title in feedback.ratings.values()] == ["👍", "👎"]  # CONTRACT §4


def test_postback_data_round_trip() -> None:
    """Short payloads travel as is, long ones as their key (Rasa's channel maps it back to an offered payload:
    tests/channels/test_command_guard.py); a key survives redaction on its way."""
    short, long_payload = '/inform{"municipality":"mitaka"}', "/x" + "y" * 400
    assert postback_data(short) == short
    assert len(postback_data(long_payload)) <= 300 and postback_data(long_payload) == payload_key(long_payload)
    assert redact(postback_data(long_payload)).text == postback_data(long_payload)
    assert postback_data(long_payload) != postback_data(long_payload + "z")
    # A payload that itself looks like a key is keyed, so it cannot impersonate another one.
    sneaky = payload_key(long_payload)
    assert postback_data(sneaky) != sneaky


def test_truncate_counts_utf16_units() -> None:
    """Emoji count twice, as LINE counts them."""
    assert truncate("😀" * 15, 20) == "😀" * 9 + "…"
    assert utf16_len(truncate("😀" * 15, 20)) <= 20


def test_parse_rasa_reply_keeps_only_text_and_buttons() -> None:
    """Images, custom payloads, URL buttons and junk are dropped."""
    data = [
        {
            "recipient_id": "x",
            "text": "こんにちは",
            "buttons": [{"title": "本人", "payload": "/a"}, {"title": "url", "url": "https://x"}],
        },
        {"recipient_id": "x", "image": "https://example/x.png"},
        {"recipient_id": "x", "custom": {"a": 1}},
        "junk",
        {"text": 5},
    ]
    assert parse_rasa_reply(data) == [BotMessage(text="こんにちは", buttons=[BotButton(title="本人", payload="/a")])]
    assert parse_rasa_reply({"text": "not a list"}) == []


def test_limiter_memory_is_bounded() -> None:
    """A flood of distinct keys cannot grow the in-process limiter without bound: expired windows are dropped."""

    async def flood() -> int:
        limiters = Limiters(Settings())
        limiter = Limiter(limiters._strategy, "flood", 1, window=1)
        for i in range(1000):
            assert await limiter.allow(f"k{i}") and not await limiter.allow(f"k{i}")
        await asyncio.sleep(1.5)
        await limiter.allow("later")  # the storage sweeps expired windows in the background after an event
        await asyncio.sleep(1.5)
        storage = limiters._strategy.storage
        return len(storage.events) + len(storage.storage)  # type: ignore[attr-defined]

    assert asyncio.run(flood()) <= 100


def test_ids() -> None:
    """Session ids have 256 bits; pseudonyms are keyed and hide the raw id."""
    assert looks_like_session_id(secrets.token_urlsafe(32))
    assert not looks_like_session_id("a" * 42) and not looks_like_session_id(None)
    a, b = pseudonym(b"k", "line-user", "U1"), pseudonym(b"k2", "line-user", "U1")
    assert a != b and "U1" not in a and a == pseudonym(b"k", "line-user", "U1")
    assert len(log_id(b"k", "x")) == 12


def test_settings_from_env() -> None:
    """Environment parsing, defaults and secrets kept out of repr."""
    settings = Settings.from_env(
        {
            "GATEWAY_PORT": "9000",
            "RASA_URL": "http://127.0.0.1:5005/",
            "ALLOWED_ORIGINS": "https://www.city.mitaka.lg.jp, https://www.city.chiba.jp/",
            "GATEWAY_SECRET": "s3cret-s3cret-s3cret-s3cret-s3cret",
            "LINE_PUSH_FALLBACK": "true",
            "ALLOWED_HOSTS": "Chat.City.Example.jp, [::1]",
            "MAX_TURNS_IN_FLIGHT": "4",
            "RATE_LIMIT_BAD_SIGNATURES_PER_MINUTE": "3",
        }
    )
    assert settings.port == 9000 and settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.allowed_origins == {"https://www.city.mitaka.lg.jp", "https://www.city.chiba.jp"}
    assert settings.gateway_secret == b"s3cret-s3cret-s3cret-s3cret-s3cret" and not settings.secret_is_ephemeral
    assert settings.line_push_fallback and not settings.line_enabled
    assert "s3cret" not in repr(settings)
    assert settings.allowed_hosts == {"chat.city.example.jp", "[::1]"}
    assert settings.max_turns_in_flight == 4 and settings.rate_limit_bad_signatures_per_minute == 3
    ephemeral = Settings.from_env({})
    assert ephemeral.secret_is_ephemeral and len(ephemeral.gateway_secret) == 32
    assert ephemeral.host == "0.0.0.0" and ephemeral.port == 8080 and ephemeral.allowed_origins == frozenset()
    assert ephemeral.allowed_hosts == {"localhost"}
    assert ephemeral.gateway_state == "sqlite" and ephemeral.replica_urls == ("http://127.0.0.1:5005",)


def test_scaled_settings_from_env() -> None:
    """RASA_URLS, GATEWAY_STATE and the Redis settings; the Redis URL (it may hold a password) stays out of repr."""
    settings = Settings.from_env(
        {
            "RASA_URLS": "http://127.0.0.1:5005,http://127.0.0.1:5006",
            "RASA_HEALTH_INTERVAL_SECONDS": "0.5",
            "GATEWAY_STATE": "Redis",
            "REDIS_URL": "redis://:hunter2@10.0.0.5:6379/2",
            "REDIS_KEY_PREFIX": "city-a:",
            "REDIS_TIMEOUT_SECONDS": "0.25",
        }
    )
    assert settings.replica_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")
    assert settings.rasa_health_interval_seconds == 0.5 and settings.gateway_state == "redis"
    assert settings.redis_url == "redis://:hunter2@10.0.0.5:6379/2" and "hunter2" not in repr(settings)
    assert settings.redis_key_prefix == "city-a:" and settings.redis_timeout_seconds == 0.25
    defaults = Settings.from_env({"GATEWAY_STATE": "redis"})
    assert defaults.redis_url == "redis://127.0.0.1:6379/0" and defaults.redis_key_prefix == "pinbot:gw:"


@pytest.mark.parametrize(
    "env",
    [
        {"ALLOWED_ORIGINS": "*"},
        {"ALLOWED_ORIGINS": "https://*.example.jp"},
        {"ALLOWED_ORIGINS": "example.jp"},
        {"ALLOWED_ORIGINS": "https://example.jp/page"},
        {"GATEWAY_PORT": "http"},
        {"RASA_TIMEOUT_SECONDS": "0"},
        {"ALLOWED_HOSTS": "*.example.jp"},
        {"ALLOWED_HOSTS": "https://chat.example.jp"},
        {"MAX_TURNS_IN_FLIGHT": "0"},
        {"RASA_URLS": "127.0.0.1:5005"},
        {"RASA_URLS": "http://127.0.0.1:5005/webhooks/rest"},
        {"GATEWAY_STATE": "postgres"},
        {"REDIS_TIMEOUT_SECONDS": "0"},
        {"RASA_HEALTH_INTERVAL_SECONDS": "-1"},
        {"MAX_TURNS_PER_CLIENT": "0"},
        {"MAX_TURNS_PER_CONVERSATION": "x"},
        {"GATEWAY_HEADER_TIMEOUT_SECONDS": "0"},
        {"GATEWAY_BODY_TIMEOUT_SECONDS": "-5"},
        {"GATEWAY_KEEPALIVE_SECONDS": "0.5"},
        {"GATEWAY_MAX_CONNECTIONS": "0"},
        {"FORWARDED_ALLOW_IPS": "*"},
        {"FORWARDED_ALLOW_IPS": "127.0.0.1, *"},
        {"FORWARDED_ALLOW_IPS": "0.0.0.0/0"},
        {"FORWARDED_ALLOW_IPS": "::/0"},
        {"FORWARDED_ALLOW_IPS": "proxy.city.example.jp"},
        {"FORWARDED_ALLOW_IPS": "10.0.0.0/33"},
        {"FORWARDED_ALLOW_IPS": "10.0.0.1/8"},
        {"FORWARDED_ALLOW_IPS": "10.0.0.1;10.0.0.2"},
        {"RATE_LIMIT_IPV6_56_FACTOR": "0"},
        {"SESSION_MAX_AGE_SECONDS": "0"},
        {"RATE_LIMIT_IPV6_56_FACTOR": "8", "RATE_LIMIT_IPV6_48_FACTOR": "4"},
    ],
)
def test_settings_reject_bad_values(env: dict[str, str]) -> None:
    """Wildcard or malformed origins and bad numbers are refused at startup."""
    with pytest.raises(SettingsError):
        Settings.from_env(env)


def test_issue_20_settings_from_env() -> None:
    """The capacity, transport and session-lifetime settings: their defaults and their variables."""
    defaults = Settings.from_env({})
    assert (defaults.max_turns_per_conversation, defaults.max_turns_per_client) == (8, 16)
    assert (defaults.header_timeout_seconds, defaults.body_timeout_seconds) == (10.0, 10.0)
    assert (defaults.keepalive_timeout_seconds, defaults.max_connections) == (5, 1000)
    assert (defaults.rate_limit_ipv6_56_factor, defaults.rate_limit_ipv6_48_factor) == (4, 16)
    assert defaults.session_max_age_seconds == 86400
    settings = Settings.from_env(
        {
            "MAX_TURNS_PER_CONVERSATION": "2",
            "MAX_TURNS_PER_CLIENT": "3",
            "GATEWAY_HEADER_TIMEOUT_SECONDS": "2.5",
            "GATEWAY_BODY_TIMEOUT_SECONDS": "4",
            "GATEWAY_KEEPALIVE_SECONDS": "7",
            "GATEWAY_MAX_CONNECTIONS": "50",
            "RATE_LIMIT_IPV6_56_FACTOR": "2",
            "RATE_LIMIT_IPV6_48_FACTOR": "2",
            "SESSION_MAX_AGE_SECONDS": "3600",
        }
    )
    assert (settings.max_turns_per_conversation, settings.max_turns_per_client) == (2, 3)
    assert (settings.header_timeout_seconds, settings.body_timeout_seconds) == (2.5, 4.0)
    assert (settings.keepalive_timeout_seconds, settings.max_connections) == (7, 50)
    assert (settings.rate_limit_ipv6_56_factor, settings.rate_limit_ipv6_48_factor) == (2, 2)
    assert settings.session_max_age_seconds == 3600


def test_forwarded_allow_ips() -> None:
    """The proxies believed for X-Forwarded-For: IPs and networks; "everyone" only with the explicit opt-in."""
    assert Settings.from_env({}).forwarded_allow_ips == ("127.0.0.1",)
    assert Settings.from_env({"FORWARDED_ALLOW_IPS": " "}).forwarded_allow_ips == ("127.0.0.1",)
    listed = Settings.from_env({"FORWARDED_ALLOW_IPS": "10.0.0.5, 192.168.10.0/24,::1"})
    assert listed.forwarded_allow_ips == ("10.0.0.5", "192.168.10.0/24", "::1")
    with pytest.raises(SettingsError, match="FORWARDED_ALLOW_ANY=1"):
        Settings.from_env({"FORWARDED_ALLOW_IPS": "*"})
    opted_in = Settings.from_env({"FORWARDED_ALLOW_IPS": "*", "FORWARDED_ALLOW_ANY": "1"})
    assert opted_in.forwarded_allow_ips == ("*",)
    with pytest.raises(SettingsError, match="IP addresses or networks"):
        Settings.from_env({"FORWARDED_ALLOW_IPS": "proxy.local", "FORWARDED_ALLOW_ANY": "1"})


def test_municipality_directory_tolerates_broken_files(tmp_path: Path) -> None:
    """Malformed KB files are left out or degrade to the generic contact line; nothing raises."""
    folder = tmp_path / "municipalities"
    folder.mkdir()
    (folder / "mitaka.yml").write_text("id: mitaka\nname: 三鷹市\ncontact: [not, a, mapping]\n", encoding="utf-8")
    (folder / "chiba.yml").write_text("::: not yaml :::\n  - [", encoding="utf-8")
    (folder / "tajimi.yml").write_text(
        "id: tajimi\nname: 多治見市\ncontact:\n  phones: ['0572-22-1111']\n", encoding="utf-8"
    )
    (folder / "osaka.yml").write_text("id: not_osaka\nname: 大阪市\n", encoding="utf-8")
    directory = MunicipalityDirectory(tmp_path)
    assert directory.resolve("三鷹市") == "mitaka" and directory.resolve("千葉市") is None
    assert directory.resolve("大阪市") is None and directory.resolve("") is None
    assert fallback_message("mitaka", directory).endswith("お問い合わせ：三鷹市（ページに電話番号の記載がありません）")
    assert fallback_message("tajimi", directory).endswith("お問い合わせ：多治見市 電話 0572-22-1111")
    assert "多治見市 電話 0572-22-1111" in fallback_message(None, directory)
    empty = MunicipalityDirectory(tmp_path / "nowhere")
    assert fallback_message(None, empty).endswith("お住まいの市役所の担当窓口へお問い合わせください。")


def test_against_the_project_knowledge_base() -> None:
    """The real KB: every city resolves by id, name and alias, and its fallback gives all its phones and no other city."""
    directory = MunicipalityDirectory(REPO_ROOT / "knowledge")
    cities = directory.all()
    assert cities, "no city files under knowledge/municipalities"
    for city in cities:
        assert directory.resolve(city.name) == city.id and directory.resolve(city.id) == city.id
        assert all(directory.resolve(alias) == city.id for alias in city.aliases)
        text = fallback_message(city.id, directory)
        assert city.name in text
        assert all(phone.number in text for phone in city.contact.phones)
        others = [phone.number for other in cities if other.id != city.id for phone in other.contact.phones]
        assert not any(number in text for number in others)
    listing = fallback_message(None, directory)
    assert all(phone.number in listing for city in cities for phone in city.contact.phones)


def test_exceptions_are_logged_without_their_message() -> None:
    """A validation error quoting a LINE id is logged by type and stack only."""
    user_id = "U" + "4af4980629" * 3 + "ab"
    try:
        raise ValueError(f"to={user_id} is invalid")
    except ValueError as exc:
        described = describe_exception(exc)
    assert described.startswith("builtins.ValueError") and "test_units.py" in described
    assert user_id not in described


def test_widget_starters_come_from_the_catalogue() -> None:
    """widget.js as served names the catalogue's starters (replies/catalogue.yml), not a copy of its own."""
    from gateway.pages import STARTERS_SLOT, STATIC_DIR, _read

    assert STARTERS_SLOT in (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    served = _read("widget.js")
    assert 'var STARTERS = ["暗証番号を忘れた", "ロックされた", "暗証番号を変更したい", "代理人の手続き"];' in served
