"""Gateway configuration, read once from the environment (pydantic-settings: one field per variable)."""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from privacy.retention import RetentionError, retention_seconds

REPO_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_BYTES = 32
# The TLS proxy on the same machine (gateway/README.md): X-Forwarded-For is believed from it alone.
DEFAULT_FORWARDED_ALLOW_IPS = ("127.0.0.1",)
# The environment being read (Settings.from_env); plain Settings(...) reads none, so tests see only what they pass.
_ENVIRON: ContextVar[Mapping[str, str]] = ContextVar("environ", default=MappingProxyType({}))


class SettingsError(ValueError):
    """An environment variable holds a value the gateway cannot use."""


def _env(name: str, *more: str) -> Any:
    """A field read from the variable ``name`` (or ``more``), still settable by its own name."""
    return AliasChoices(name, *more)


def _items(raw: object) -> list[str]:
    """The comma-separated entries of a variable, blanks dropped; other values (already typed) as they are."""
    if isinstance(raw, str):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return list(raw) if isinstance(raw, (list, tuple, set, frozenset)) else [raw]  # type: ignore[list-item]


def _problem(error: Any) -> str:
    """One validation error as the variable's name and pydantic's words, or our own message that names it."""
    name, message = ".".join(map(str, error["loc"])).upper(), error["msg"].removeprefix("Value error, ")
    return message if not name or message.startswith(name) else f"{name}: {message}"


Csv = Annotated[tuple[str, ...], NoDecode]
CsvSet = Annotated[frozenset[str], NoDecode]
Positive = Annotated[int, Field(ge=1)]
PositiveFloat = Annotated[float, Field(gt=0)]


class _Environ(EnvSettingsSource):
    """The variables of the mapping given to ``Settings.from_env``; blank ones count as unset."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars({k: v for k, v in _ENVIRON.get().items() if v.strip()}, False, True, None)

    def prepare_field_value(self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool) -> Any:
        return value


class Settings(BaseSettings):
    """Everything the gateway reads from its environment; secrets never have defaults baked in."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True, hide_input_in_errors=True)

    host: str = Field(default="0.0.0.0", validation_alias=_env("host", "GATEWAY_HOST"))
    port: int = Field(default=8080, ge=0, validation_alias=_env("port", "GATEWAY_PORT"))
    rasa_url: str = "http://127.0.0.1:5005"
    # Several replicas (RASA_URLS); empty means the one rasa_url.
    rasa_urls: Csv = ()
    rasa_health_interval_seconds: PositiveFloat = 2.0
    # sqlite: one gateway process (make run); redis: gateways sharing one Redis behave as one (make run-scaled).
    gateway_state: Literal["sqlite", "redis"] = "sqlite"
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", repr=False)
    redis_key_prefix: str = "pinbot:gw:"
    redis_timeout_seconds: PositiveFloat = 0.5
    rasa_timeout_seconds: PositiveFloat = 5.0
    rasa_auth_token: str | None = Field(default=None, repr=False)
    # RETENTION_DAYS, read by privacy.retention (the rule Rasa and the scripts share).
    retention_seconds: float = 7 * 24 * 3600.0
    allowed_origins: CsvSet = frozenset()
    # IP addresses are always accepted (see gateway.security); names only when listed.
    allowed_hosts: CsvSet = frozenset({"localhost"})
    gateway_secret: bytes = Field(default_factory=lambda: secrets.token_bytes(MIN_SECRET_BYTES), repr=False)
    state_dir: Path = REPO_ROOT / "var"
    db_path: str = Field(default="", validation_alias=_env("db_path", "GATEWAY_DB_PATH"))
    knowledge_dir: Path = Field(default=REPO_ROOT / "knowledge", validation_alias=_env("knowledge_dir", "KB_DIR"))
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
    header_timeout_seconds: PositiveFloat = Field(
        default=10.0, validation_alias=_env("header_timeout_seconds", "GATEWAY_HEADER_TIMEOUT_SECONDS")
    )
    body_timeout_seconds: PositiveFloat = Field(
        default=10.0, validation_alias=_env("body_timeout_seconds", "GATEWAY_BODY_TIMEOUT_SECONDS")
    )
    keepalive_timeout_seconds: Positive = Field(
        default=5, validation_alias=_env("keepalive_timeout_seconds", "GATEWAY_KEEPALIVE_SECONDS")
    )
    max_connections: Positive = Field(default=1000, validation_alias=_env("max_connections", "GATEWAY_MAX_CONNECTIONS"))
    forwarded_allow_any: bool = False
    forwarded_allow_ips: Csv = DEFAULT_FORWARDED_ALLOW_IPS
    line_channel_secret: str | None = Field(default=None, repr=False)
    line_channel_access_token: str | None = Field(default=None, repr=False)
    line_api_base: str = "https://api.line.me"
    line_push_fallback: bool = False
    line_loading_after_seconds: PositiveFloat = 1.0
    line_max_body_bytes: Positive = 1024 * 1024
    background_concurrency: Positive = 8

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then the variables of ``from_env``'s mapping."""
        return init_settings, _Environ(settings_cls)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping such as ``os.environ``; SettingsError names what is wrong."""
        token = _ENVIRON.set(env)
        try:
            return cls(retention_seconds=retention_seconds(env))
        except RetentionError as exc:
            raise SettingsError(str(exc)) from exc
        except ValidationError as exc:
            # Field names and pydantic's words only: an input value (a secret, a URL with a password) is never echoed.
            raise SettingsError("; ".join(map(_problem, exc.errors()))) from None
        finally:
            _ENVIRON.reset(token)

    @field_validator("rasa_url", "line_api_base", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("gateway_state", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, raw: object) -> frozenset[str]:
        origins = set()
        for item in _items(raw):
            origin = item.rstrip("/")
            # A wildcard would let any site drive conversations; the allowlist must name exact origins.
            if "*" in origin or not origin.startswith(("https://", "http://")) or origin.count("/") != 2:
                raise ValueError(
                    f"ALLOWED_ORIGINS entries must be exact origins like https://www.city.example.jp, got {item!r}"
                )
            origins.add(origin.lower())
        return frozenset(origins)

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, raw: object) -> frozenset[str]:
        hosts = {item.lower().rstrip(".") for item in _items(raw)}
        for host in hosts:
            # Exact names only: a wildcard or a URL here would let a forged Host header pass as the gateway itself.
            if "*" in host or "/" in host or "@" in host or " " in host:
                raise ValueError(f"ALLOWED_HOSTS entries must be host names like chat.city.example.jp, got {host!r}")
        return frozenset(hosts) or frozenset({"localhost"})

    @field_validator("rasa_urls", mode="before")
    @classmethod
    def _urls(cls, raw: object) -> tuple[str, ...]:
        urls = [item.rstrip("/") for item in _items(raw)]
        for url in urls:
            if not url.startswith(("http://", "https://")) or url.count("/") != 2:
                raise ValueError(f"RASA_URLS entries must be base URLs like http://127.0.0.1:5005, got {url!r}")
        return tuple(dict.fromkeys(urls))

    @field_validator("gateway_secret", mode="before")
    @classmethod
    def _secret(cls, raw: object) -> object:
        secret = raw.encode("utf-8") if isinstance(raw, str) else raw
        if isinstance(secret, bytes) and len(secret) < MIN_SECRET_BYTES:
            raise ValueError(
                f"GATEWAY_SECRET must be at least {MIN_SECRET_BYTES} bytes (got {len(secret)}); generate one with "
                "python3 -c 'import secrets; print(secrets.token_hex(32))'"
            )
        return secret

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _proxies(cls, raw: object) -> tuple[str, ...]:
        """The proxies whose X-Forwarded-For is believed: IP addresses or networks (checked with the opt-in below)."""
        items = tuple(_items(raw))
        for item in items:
            try:
                if item != "*":
                    ipaddress.ip_network(item)
            except ValueError as exc:
                raise ValueError(
                    "FORWARDED_ALLOW_IPS entries must be IP addresses or networks (CIDR, e.g. 10.0.0.0/24) of the "
                    f"TLS proxy, got {item!r}"
                ) from exc
        return items or DEFAULT_FORWARDED_ALLOW_IPS

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
