"""Application settings, read from the environment (prefix MATURITY_) or a .env file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from assessment.resources import data_dir

Language = Literal["fi", "en"]


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
    default_language: Language = Field(
        default="fi",
        description="UI language when neither the language cookie nor the browser's "
        "Accept-Language header chooses one: fi or en.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=5000, ge=0, le=600_000,
        description="How long an SQLite write waits for a lock before failing, in milliseconds.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of `maturity serve`."
    )
