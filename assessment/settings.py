"""Application settings, read from the environment (prefix MATURITY_) or a .env file."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assessment.resources import data_dir

Language = Literal["fi", "en"]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Settings(BaseSettings):
    """Every setting of the app; the README's settings table is checked against this class."""

    model_config = SettingsConfigDict(env_prefix="MATURITY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./maturity.db",
        description="SQLAlchemy URL of the database: SQLite (default) or "
        "postgresql+psycopg://user:password@host/dbname.",
    )
    frameworks_dir: Path = Field(
        default_factory=lambda: data_dir("frameworks"),
        description="Directory of framework files (*.yaml) offered for new rounds; "
        "defaults to the frameworks shipped with the app.",
    )
    published_frameworks_dir: Path | None = Field(
        default=Path("./published-frameworks"),
        description="Directory where administrators' published frameworks are kept (created "
        "on the first publication); a framework there replaces the shipped one of the same "
        "id for new rounds. Empty: publishing is off.",
    )
    default_language: Language = Field(
        default="fi",
        description="UI language when neither the language cookie nor the browser's "
        "Accept-Language header chooses one: fi or en.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, le=600_000,
        description="How long an SQLite write waits for a lock before failing, in milliseconds.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies and CSRF tokens; every app process behind "
        "one address needs the same key. Unset: read from (or created in) secret_key_file.",
    )
    secret_key_file: Path = Field(
        default=Path("./maturity.secret"),
        description="File holding the secret key when secret_key is unset; created with "
        "mode 600 on first start.",
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30,
        description="How long a sign-in lasts, in hours.",
    )
    demo_password: SecretStr | None = Field(
        default=None,
        description="Password of the demo users that `maturity demo` creates; unset: a random "
        "one, printed by the command.",
    )
    workshop_min_votes: int = Field(
        default=3, ge=1, le=50,
        description="A vote distribution is shown only when at least this many people voted "
        "(anonymity).",
    )
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The address participants' phones reach the app at (for example "
        "http://192.168.1.20:8000 when serving from a laptop in the client's room): the join "
        "address and QR code on the projector use it. Unset: the address the browser used.",
    )
    workshop_joins_per_address: int = Field(
        default=30, ge=1, le=10_000,
        description="How many times one client address may join one workshop within "
        "workshop_join_window_minutes; a room behind one network address shares it.",
    )
    workshop_join_window_minutes: int = Field(
        default=10, ge=1, le=24 * 60,
        description="The time window of workshop_joins_per_address, in minutes.",
    )
    live_poll_ms: int = Field(
        default=100, ge=10, le=10_000,
        description="SQLite: how often each app process asks whether anything was committed "
        "(one query per process, not per screen), in milliseconds. PostgreSQL is notified "
        "instead.",
    )
    live_keepalive_seconds: int = Field(
        default=15, ge=1, le=300,
        description="How often a live screen's stream gets a keep-alive comment while "
        "nothing changes, in seconds (proxies close idle connections).",
    )
    live_stream_seconds: int = Field(
        default=600, ge=1, le=24 * 3600,
        description="How long one stream is held before the server ends it and the browser "
        "reconnects with the last version it saw, in seconds.",
    )
    telemetry: bool = Field(
        default=False,
        description="OpenTelemetry traces, metrics and logs of every request (FastAPI's own "
        "telemetry), sent to the providers the process has configured, such as under "
        "opentelemetry-instrument. Off: no request looks for a provider.",
    )
    trusted_proxies: str | None = Field(
        default=None,
        description="Comma-separated addresses or networks (10.0.0.5, 10.0.0.0/8) of the "
        "reverse proxies in front of the app: only from these is X-Forwarded-For (the "
        "client's address, used for sign-in throttling and the audit log) and "
        "X-Forwarded-Proto believed. Unset: no proxy is trusted.",
    )
    api_requests_per_minute: int = Field(
        default=120, ge=1, le=100_000,
        description="How many requests one API token may make a minute; more get 429 "
        "with Retry-After.",
    )
    brand_name: str | None = Field(
        default=None, max_length=200,
        description="The consultancy's name on every PDF, slide deck and the projector, "
        "until an administrator sets it on the brand page.",
    )
    brand_logo: Path | None = Field(
        default=None,
        description="The consultancy's logo (PNG, JPEG or SVG, at most 1 MB), until an "
        "administrator uploads one on the brand page; checked at start-up.",
    )
    brand_primary_colour: str | None = Field(
        default=None,
        description="The brand's primary colour as #RRGGBB (headings, title slides); it must "
        "carry white text at WCAG AA (4.5:1). Unset: #1D4F91.",
    )
    brand_accent_colour: str | None = Field(
        default=None,
        description="The brand's accent colour as #RRGGBB (rules, chart series), with white "
        "text at WCAG AA. Unset: #8A3B12.",
    )
    brand_contact: str | None = Field(
        default=None, max_length=300,
        description="The contact line on covers and the last slide (for example a name, an "
        "email address and a phone number).",
    )
    brand_footer: str | None = Field(
        default=None, max_length=300,
        description="The footer text of every PDF page and slide.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of `maturity serve`."
    )


    @field_validator("published_frameworks_dir", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: str | None) -> str | None:
        for item in (value or "").split(","):
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)  # ValueError names the item
        return value

    def proxy_networks(self) -> tuple[IPNetwork, ...]:
        """The trusted proxies as networks (a single address is a network of one)."""
        return tuple(ipaddress.ip_network(item.strip(), strict=False)
                     for item in (self.trusted_proxies or "").split(",") if item.strip())


def secret_key(settings: Settings) -> str:
    """The signing key: the setting, else the key file (created on first use)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = settings.secret_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it a moment ago
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48))
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise ValueError(f"the secret key in {path} is too short (at least 32 characters)")
    return key
