"""Gateway configuration, read once from the environment."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from privacy.retention import RetentionError, retention_seconds

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_BYTES = 32
# IP addresses are always accepted (see gateway.hosts); names only when listed.
DEFAULT_ALLOWED_HOSTS = frozenset({"localhost"})
# sqlite: one gateway process (make run); redis: gateways sharing one Redis behave as one (make run-scaled).
STATE_BACKENDS = frozenset({"sqlite", "redis"})
# The TLS proxy on the same machine (gateway/README.md): X-Forwarded-For is believed from it alone.
DEFAULT_FORWARDED_ALLOW_IPS = ("127.0.0.1",)


class SettingsError(ValueError):
    """An environment variable holds a value the gateway cannot use."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be > 0, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _origins(raw: str) -> frozenset[str]:
    origins = set()
    for item in raw.split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        # A wildcard would let any site drive conversations; the allowlist must name exact origins.
        if "*" in origin or not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
            raise SettingsError(
                f"ALLOWED_ORIGINS entries must be exact origins like https://www.city.example.jp, got {item!r}"
            )
        origins.add(origin.lower())
    return frozenset(origins)


def _hosts(raw: str) -> frozenset[str]:
    hosts = set()
    for item in raw.split(","):
        host = item.strip().lower().rstrip(".")
        if not host:
            continue
        # Exact names only: a wildcard or a URL here would let a forged Host header pass as the gateway itself.
        if "*" in host or "/" in host or "@" in host or " " in host:
            raise SettingsError(f"ALLOWED_HOSTS entries must be host names like chat.city.example.jp, got {item!r}")
        hosts.add(host)
    return frozenset(hosts)


def _urls(raw: str) -> tuple[str, ...]:
    urls = []
    for item in raw.split(","):
        url = item.strip().rstrip("/")
        if not url:
            continue
        if not url.startswith(("http://", "https://")) or url.count("/") != 2:
            raise SettingsError(f"RASA_URLS entries must be base URLs like http://127.0.0.1:5005, got {item!r}")
        if url not in urls:
            urls.append(url)
    return tuple(urls)


def _forwarded_allow_ips(raw: str, allow_any: bool) -> tuple[str, ...]:
    """The proxies whose X-Forwarded-For is believed: IP addresses or networks; "trust everyone" only on opt-in."""
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    if not items:
        return DEFAULT_FORWARDED_ALLOW_IPS
    for item in items:
        try:
            # Every client would choose the address its rate limits and turn caps count against.
            everyone = item == "*" or ipaddress.ip_network(item).prefixlen == 0
        except ValueError as exc:
            raise SettingsError(
                "FORWARDED_ALLOW_IPS entries must be IP addresses or networks (CIDR, e.g. 10.0.0.0/24) of the TLS "
                f"proxy, got {item!r}"
            ) from exc
        if everyone and not allow_any:
            raise SettingsError(
                f"FORWARDED_ALLOW_IPS={item} would believe X-Forwarded-For from any client, so anyone could choose the "
                "address their rate limits count against; set it to the TLS proxy's address, or set "
                "FORWARDED_ALLOW_ANY=1 if nothing but the proxy can reach the gateway's port"
            )
    return items


def _state_backend(raw: str) -> str:
    value = raw.strip().lower() or "sqlite"
    if value not in STATE_BACKENDS:
        raise SettingsError(f"GATEWAY_STATE must be one of {', '.join(sorted(STATE_BACKENDS))}, got {raw!r}")
    return value


def _secret(raw: str) -> bytes:
    secret = raw.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"GATEWAY_SECRET must be at least {MIN_SECRET_BYTES} bytes (got {len(secret)}); generate one with "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return secret


@dataclass(frozen=True)
class Settings:
    """Everything the gateway reads from its environment; secrets never have defaults baked in."""

    host: str = "0.0.0.0"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    # Several replicas (RASA_URLS); empty means the one rasa_url.
    rasa_urls: tuple[str, ...] = ()
    rasa_health_interval_seconds: float = 2.0
    gateway_state: str = "sqlite"
    redis_url: str = field(default="redis://127.0.0.1:6379/0", repr=False)
    redis_key_prefix: str = "pinbot:gw:"
    redis_timeout_seconds: float = 0.5
    rasa_timeout_seconds: float = 5.0
    rasa_auth_token: str | None = field(default=None, repr=False)
    retention_seconds: float = 7 * 24 * 3600.0
    allowed_origins: frozenset[str] = frozenset()
    allowed_hosts: frozenset[str] = DEFAULT_ALLOWED_HOSTS
    gateway_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    secret_is_ephemeral: bool = True
    db_path: str = str(REPO_ROOT / "var" / "gateway.sqlite3")
    knowledge_dir: Path = REPO_ROOT / "knowledge"
    default_municipality: str | None = None
    session_ttl_seconds: int = 24 * 3600
    session_max_age_seconds: int = 24 * 3600
    max_text_chars: int = 500
    max_body_bytes: int = 8 * 1024
    rate_limit_session_per_minute: int = 20
    rate_limit_ip_per_minute: int = 60
    rate_limit_sessions_per_ip_per_minute: int = 10
    rate_limit_bad_signatures_per_minute: int = 10
    # An IPv6 client's /56 and /48 allow this many times the per-address (/64) limits.
    rate_limit_ipv6_56_factor: int = 4
    rate_limit_ipv6_48_factor: int = 16
    max_turns_in_flight: int = 32
    max_turns_per_client: int = 16
    max_turns_per_conversation: int = 8
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 10.0
    keepalive_timeout_seconds: int = 5
    max_connections: int = 1000
    forwarded_allow_ips: tuple[str, ...] = DEFAULT_FORWARDED_ALLOW_IPS
    line_channel_secret: str | None = field(default=None, repr=False)
    line_channel_access_token: str | None = field(default=None, repr=False)
    line_api_base: str = "https://api.line.me"
    line_api_data_base: str = "https://api-data.line.me"
    line_push_fallback: bool = False
    line_loading_after_seconds: float = 1.0
    line_max_body_bytes: int = 1024 * 1024
    background_concurrency: int = 8

    @property
    def replica_urls(self) -> tuple[str, ...]:
        """The Rasa servers to spread turns over: RASA_URLS, or else the single RASA_URL."""
        return self.rasa_urls or (self.rasa_url,)

    @property
    def line_enabled(self) -> bool:
        """Whether both LINE credentials are configured."""
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping such as ``os.environ``."""
        raw_secret = env.get("GATEWAY_SECRET", "")
        secret = _secret(raw_secret) if raw_secret else secrets.token_bytes(MIN_SECRET_BYTES)
        default_municipality = env.get("DEFAULT_MUNICIPALITY", "").strip() or None
        try:
            retention = retention_seconds(env)
        except RetentionError as exc:
            raise SettingsError(str(exc)) from exc
        factor_56 = _int(env, "RATE_LIMIT_IPV6_56_FACTOR", 4)
        factor_48 = _int(env, "RATE_LIMIT_IPV6_48_FACTOR", 16)
        if factor_48 < factor_56:
            raise SettingsError(
                f"RATE_LIMIT_IPV6_48_FACTOR ({factor_48}) must be at least RATE_LIMIT_IPV6_56_FACTOR ({factor_56}): "
                "a /48 holds 256 /56s"
            )
        return cls(
            host=env.get("GATEWAY_HOST", "").strip() or "0.0.0.0",
            port=_int(env, "GATEWAY_PORT", 8080, minimum=0),
            rasa_url=(env.get("RASA_URL", "").strip() or "http://127.0.0.1:5005").rstrip("/"),
            rasa_urls=_urls(env.get("RASA_URLS", "")),
            rasa_health_interval_seconds=_float(env, "RASA_HEALTH_INTERVAL_SECONDS", 2.0),
            gateway_state=_state_backend(env.get("GATEWAY_STATE", "")),
            redis_url=env.get("REDIS_URL", "").strip() or "redis://127.0.0.1:6379/0",
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", "").strip() or "pinbot:gw:",
            redis_timeout_seconds=_float(env, "REDIS_TIMEOUT_SECONDS", 0.5),
            rasa_timeout_seconds=_float(env, "RASA_TIMEOUT_SECONDS", 5.0),
            rasa_auth_token=env.get("RASA_AUTH_TOKEN", "").strip() or None,
            retention_seconds=retention,
            allowed_origins=_origins(env.get("ALLOWED_ORIGINS", "")),
            allowed_hosts=_hosts(env.get("ALLOWED_HOSTS", "")) or DEFAULT_ALLOWED_HOSTS,
            gateway_secret=secret,
            secret_is_ephemeral=not raw_secret,
            db_path=env.get("GATEWAY_DB_PATH", "").strip()
            or str(Path(env.get("STATE_DIR", "").strip() or REPO_ROOT / "var") / "gateway.sqlite3"),
            knowledge_dir=Path(env.get("KB_DIR", "").strip() or REPO_ROOT / "knowledge"),
            default_municipality=default_municipality,
            session_ttl_seconds=_int(env, "SESSION_TTL_SECONDS", 24 * 3600),
            session_max_age_seconds=_int(env, "SESSION_MAX_AGE_SECONDS", 24 * 3600),
            max_text_chars=_int(env, "MAX_TEXT_CHARS", 500),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 8 * 1024),
            rate_limit_session_per_minute=_int(env, "RATE_LIMIT_SESSION_PER_MINUTE", 20),
            rate_limit_ip_per_minute=_int(env, "RATE_LIMIT_IP_PER_MINUTE", 60),
            rate_limit_sessions_per_ip_per_minute=_int(env, "RATE_LIMIT_SESSIONS_PER_IP_PER_MINUTE", 10),
            rate_limit_bad_signatures_per_minute=_int(env, "RATE_LIMIT_BAD_SIGNATURES_PER_MINUTE", 10),
            rate_limit_ipv6_56_factor=factor_56,
            rate_limit_ipv6_48_factor=factor_48,
            max_turns_in_flight=_int(env, "MAX_TURNS_IN_FLIGHT", 32),
            max_turns_per_client=_int(env, "MAX_TURNS_PER_CLIENT", 16),
            max_turns_per_conversation=_int(env, "MAX_TURNS_PER_CONVERSATION", 8),
            header_timeout_seconds=_float(env, "GATEWAY_HEADER_TIMEOUT_SECONDS", 10.0),
            body_timeout_seconds=_float(env, "GATEWAY_BODY_TIMEOUT_SECONDS", 10.0),
            keepalive_timeout_seconds=_int(env, "GATEWAY_KEEPALIVE_SECONDS", 5),
            max_connections=_int(env, "GATEWAY_MAX_CONNECTIONS", 1000),
            forwarded_allow_ips=_forwarded_allow_ips(
                env.get("FORWARDED_ALLOW_IPS", ""), _flag(env, "FORWARDED_ALLOW_ANY")
            ),
            line_channel_secret=env.get("LINE_CHANNEL_SECRET", "").strip() or None,
            line_channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN", "").strip() or None,
            line_api_base=(env.get("LINE_API_BASE", "").strip() or "https://api.line.me").rstrip("/"),
            line_api_data_base=(env.get("LINE_API_DATA_BASE", "").strip() or "https://api-data.line.me").rstrip("/"),
            line_push_fallback=_flag(env, "LINE_PUSH_FALLBACK"),
            line_loading_after_seconds=_float(env, "LINE_LOADING_AFTER_SECONDS", 1.0),
        )
