"""Gateway configuration, read once from the environment (``Settings.from_env``: one field per variable)."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from privacy.retention import RetentionError, retention_seconds

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_BYTES = 32
# The TLS proxy on the same machine (gateway/README.md): X-Forwarded-For is believed from it alone.
DEFAULT_FORWARDED_ALLOW_IPS = ("127.0.0.1",)


class SettingsError(ValueError):
    """An environment variable holds a value the gateway cannot use."""


def _var(variable: str, default: Any) -> Any:
    """A field read from ``variable`` (lower-cased, as ``from_env`` passes it), still settable by its own name."""
    return Field(default, validation_alias=variable.lower())


def _problem(error: Any) -> str:
    """One validation error as the variable's name and pydantic's words, or our own message that names it."""
    name, message = ".".join(map(str, error["loc"])).upper(), error["msg"].removeprefix("Value error, ")
    return message if not name or message.startswith(name) else f"{name}: {message}"


def _csv(variable: str, like: str, clean: Callable[[str], str], valid: Callable[[str], bool], default: Any = ()) -> Any:
    """A comma-separated variable: entries cleaned, blanks and repeats dropped, each checked; none gives ``default``."""

    def parse(raw: Any) -> Any:
        entries = raw.split(",") if isinstance(raw, str) else raw
        items = [clean(item.strip()) for item in entries if item.strip()]
        for item in items:
            if not valid(item):
                raise ValueError(f"{variable} entries must be {like}, got {item!r}")
        return list(dict.fromkeys(items)) or default

    return BeforeValidator(parse)


def _is_base_url(url: str) -> bool:
    """Whether ``url`` is a scheme and an authority only (an origin, a Rasa server); no wildcard."""
    return "*" not in url and url.startswith(("https://", "http://")) and url.count("/") == 2


def _is_network(item: str) -> bool:
    """Whether ``item`` is an IP address or network (CIDR), or the ``*`` that FORWARDED_ALLOW_ANY must confirm."""
    try:
        return item == "*" or bool(ipaddress.ip_network(item))
    except ValueError:
        return False


def _secret(raw: object) -> object:
    """GATEWAY_SECRET as bytes, refused when too short to key the pseudonyms and signatures."""
    secret = raw.encode("utf-8") if isinstance(raw, str) else raw
    if isinstance(secret, bytes) and len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"GATEWAY_SECRET must be at least {MIN_SECRET_BYTES} bytes (got {len(secret)}); generate one with "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return secret


# A wildcard would let any site drive conversations; the allowlist must name exact origins.
_ORIGINS = _csv(
    "ALLOWED_ORIGINS", "exact origins like https://www.city.example.jp", lambda o: o.rstrip("/").lower(), _is_base_url
)
# Exact names only: a wildcard or a URL here would let a forged Host header pass as the gateway itself.
_HOSTS = _csv(
    "ALLOWED_HOSTS",
    "host names like chat.city.example.jp",
    lambda host: host.lower().rstrip("."),
    lambda host: not any(c in host for c in "*/@ "),
    frozenset({"localhost"}),
)
_PROXIES = _csv(
    "FORWARDED_ALLOW_IPS",
    "IP addresses or networks (CIDR, e.g. 10.0.0.0/24) of the TLS proxy",
    str,
    _is_network,
    DEFAULT_FORWARDED_ALLOW_IPS,
)
Url = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]
Positive = Annotated[int, Field(ge=1)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Settings(BaseModel):
    """Everything the gateway reads from its environment; secrets never have defaults baked in."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    host: str = _var("GATEWAY_HOST", "0.0.0.0")
    port: Annotated[int, Field(ge=0)] = _var("GATEWAY_PORT", 8080)
    rasa_url: Url = "http://127.0.0.1:5005"
    # Several replicas (RASA_URLS); empty means the one rasa_url.
    rasa_urls: Annotated[
        tuple[str, ...],
        _csv("RASA_URLS", "base URLs like http://127.0.0.1:5005", lambda u: u.rstrip("/"), _is_base_url),
    ] = ()
    rasa_health_interval_seconds: PositiveFloat = 2.0
    # sqlite: one gateway process (make run); redis: gateways sharing one Redis behave as one (make run-scaled).
    gateway_state: Annotated[Literal["sqlite", "redis"], BeforeValidator(lambda v: str(v).strip().lower())] = "sqlite"
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", repr=False)
    redis_key_prefix: str = "pinbot:gw:"
    redis_timeout_seconds: PositiveFloat = 0.5
    rasa_timeout_seconds: PositiveFloat = 5.0
    rasa_auth_token: str | None = Field(default=None, repr=False)
    # RETENTION_DAYS, read by privacy.retention (the rule Rasa and the scripts share).
    retention_seconds: float = 7 * 24 * 3600.0
    allowed_origins: Annotated[frozenset[str], _ORIGINS] = frozenset()
    # IP addresses are always accepted (see gateway.security); names only when listed.
    allowed_hosts: Annotated[frozenset[str], _HOSTS] = frozenset({"localhost"})
    gateway_secret: Annotated[bytes, BeforeValidator(_secret)] = Field(
        default_factory=lambda: secrets.token_bytes(MIN_SECRET_BYTES), repr=False
    )
    state_dir: Path = REPO_ROOT / "var"
    db_path: str = _var("GATEWAY_DB_PATH", "")
    knowledge_dir: Path = _var("KB_DIR", REPO_ROOT / "knowledge")
    default_municipality: str | None = None
    session_ttl_seconds: Positive = 24 * 3600
    session_max_age_seconds: Positive = 24 * 3600
    max_text_chars: Positive = 500
    max_body_bytes: Positive = 8 * 1024
    rate_limit_session_per_minute: Positive = 20
    rate_limit_ip_per_minute: Positive = 60
    rate_limit_sessions_per_ip_per_minute: Positive = 10
    rate_limit_bad_signatures_per_minute: Positive = 10
    # An IPv6 client's /56 and /48 allow this many times the per-address (/64) limits.
    rate_limit_ipv6_56_factor: Positive = 4
    rate_limit_ipv6_48_factor: Positive = 16
    max_turns_in_flight: Positive = 32
    max_turns_per_client: Positive = 16
    max_turns_per_conversation: Positive = 8
    header_timeout_seconds: PositiveFloat = _var("GATEWAY_HEADER_TIMEOUT_SECONDS", 10.0)
    body_timeout_seconds: PositiveFloat = _var("GATEWAY_BODY_TIMEOUT_SECONDS", 10.0)
    keepalive_timeout_seconds: Positive = _var("GATEWAY_KEEPALIVE_SECONDS", 5)
    max_connections: Positive = _var("GATEWAY_MAX_CONNECTIONS", 1000)
    forwarded_allow_any: bool = False
    forwarded_allow_ips: Annotated[tuple[str, ...], _PROXIES] = DEFAULT_FORWARDED_ALLOW_IPS
    line_channel_secret: str | None = Field(default=None, repr=False)
    line_channel_access_token: str | None = Field(default=None, repr=False)
    line_api_base: Url = "https://api.line.me"
    line_push_fallback: bool = False
    line_loading_after_seconds: PositiveFloat = 1.0
    line_max_body_bytes: Positive = 1024 * 1024
    background_concurrency: Positive = 8

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping such as ``os.environ``; SettingsError names what is wrong."""
        try:
            # Variables match fields case-insensitively; blank ones count as unset.
            values: dict[str, Any] = {name.lower(): value for name, value in env.items() if value.strip()}
            return cls(**{**values, "retention_seconds": retention_seconds(env)})
        except RetentionError as exc:
            raise SettingsError(str(exc)) from exc
        except ValidationError as exc:
            # Field names and pydantic's words only: an input value (a secret, a URL with a password) is never echoed.
            raise SettingsError("; ".join(map(_problem, exc.errors()))) from None

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        for item in self.forwarded_allow_ips:
            # Every client would choose the address its rate limits and turn caps count against.
            if (item == "*" or ipaddress.ip_network(item).prefixlen == 0) and not self.forwarded_allow_any:
                raise ValueError(
                    f"FORWARDED_ALLOW_IPS={item} would believe X-Forwarded-For from any client, so anyone could choose "
                    "the address their rate limits count against; set it to the TLS proxy's address, or set "
                    "FORWARDED_ALLOW_ANY=1 if nothing but the proxy can reach the gateway's port"
                )
        if self.rate_limit_ipv6_48_factor < self.rate_limit_ipv6_56_factor:
            raise ValueError(
                f"RATE_LIMIT_IPV6_48_FACTOR ({self.rate_limit_ipv6_48_factor}) must be at least "
                f"RATE_LIMIT_IPV6_56_FACTOR ({self.rate_limit_ipv6_56_factor}): a /48 holds 256 /56s"
            )
        return self

    @property
    def database(self) -> str:
        """The SQLite file of ``GATEWAY_STATE=sqlite``: GATEWAY_DB_PATH, or gateway.sqlite3 in STATE_DIR."""
        return self.db_path or str(self.state_dir / "gateway.sqlite3")

    @property
    def secret_is_ephemeral(self) -> bool:
        """Whether GATEWAY_SECRET was unset, so a random per-process key is used."""
        return "gateway_secret" not in self.model_fields_set

    @property
    def replica_urls(self) -> tuple[str, ...]:
        """The Rasa servers to spread turns over: RASA_URLS, or else the single RASA_URL."""
        return self.rasa_urls or (self.rasa_url,)

    @property
    def line_enabled(self) -> bool:
        """Whether both LINE credentials are configured."""
        return bool(self.line_channel_secret and self.line_channel_access_token)
