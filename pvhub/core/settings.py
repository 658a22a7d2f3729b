"""One typed settings object for pvhub, read from the environment (prefix ``PVHUB_``).

Nothing is built at import time: call :func:`get_settings` where settings are needed, so tests
and the CLI can change the environment first.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "development-only-secret-key-do-not-use-in-production"


class Settings(BaseSettings):
    """Deployment settings. Outside development a real secret key is required."""

    model_config = SettingsConfigDict(env_prefix="PVHUB_", env_file=None, extra="ignore")

    env: Literal["development", "test", "production"] = "production"
    database_url: str = "sqlite:///var/pvhub.db"
    secret_key: str | None = None
    data_dir: Path = Path("var")
    latitude: float = Field(31.23, ge=-90, le=90, description="Programme location, degrees north")
    longitude: float = Field(121.48, ge=-180, le=180, description="Programme location, degrees east")
    timezone: str = "Asia/Shanghai"
    district_name: str = "Huangpu"
    map_tile_url: str = ""
    pvgis_url: str = Field(
        "https://re.jrc.ec.europa.eu/api/tmy",
        description="PVGIS's TMY service, where the office fetches a typical year (or a mirror of it)",
    )
    map_tile_attribution: str = ""
    map_tile_crs: Literal["wgs84", "gcj02"] = "wgs84"
    session_max_age_s: int = Field(8 * 3600, gt=0)
    token_max_age_s: int = Field(8 * 3600, gt=0)
    login_max_failures_per_account: int = Field(10, gt=0, description="Failed logins per e-mail per window")
    login_max_failures_per_address: int = Field(30, gt=0, description="Failed logins per address per window")
    login_window_s: float = Field(15 * 60, gt=0, description="Login throttling window, seconds")
    default_language: Literal["zh_CN", "en"] = "zh_CN"
    max_upload_mb: float = Field(50, gt=0, description="Largest accepted upload (imports, documents), MB")
    import_job_mb: float = Field(
        1.0,
        gt=0,
        description="A register import of a larger file runs as a background job (not a dry run), MB",
    )
    freeze_heap_on_start: bool | None = Field(
        None, description="Exempt the start-up heap from garbage collection; default: except in tests"
    )
    request_slots: int = Field(
        30, ge=1, le=500, description="Requests served at once per worker process; more wait their turn"
    )
    # Tender rules (DESIGN "Tenders"); see pvhub/tendering/tenders.py
    tender_min_bid_days: float = Field(20, ge=0, description="Shortest bid period from publication, days")
    tender_extension_days: float = Field(
        3, ge=0, description="A condition change leaves at least this many days before the deadline"
    )
    tender_publicity_days: float = Field(3, ge=0, description="公示 period of proposed winners, days")
    tender_share_cap: float = Field(
        0.4, gt=0, le=1, description="Largest share of a tender's kWp per supplier"
    )
    tender_price_weight: float = Field(0.6, ge=0, le=1, description="Default weight of the price score")
    tender_price_score_exponent: float = Field(
        1.0, gt=0, description="price score = 100 × (lowest valid total / this total) ** exponent"
    )
    tender_award_time_limit_s: float = Field(10, gt=0, description="CP-SAT time limit of an award run")
    # E-mail (DESIGN "Around the flow": in-app notifications, and e-mail where SMTP is configured);
    # see pvhub/notifications/mail_outbox.py
    smtp_host: str | None = Field(
        None, description="SMTP server; unset = no e-mail, in-app notifications only"
    )
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (port 587), tls (implicit, port 465) or none (a local relay)"
    )
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = Field("pvhub@localhost", description="Sender address of notification e-mails")
    public_url: str = Field("", description="Address users reach pvhub at, for links in e-mails")
    mail_interval_s: float = Field(
        30, gt=0, description="How often the outbox looks for notifications to e-mail, seconds"
    )

    @model_validator(mode="after")
    def _require_secret_outside_development(self) -> Settings:
        # Only development may sign with the published development key; "test" deployments (CI, a
        # staging server) hold real-looking data too, so they need a real key like production.
        if self.secret_key is None:
            if self.env != "development":
                raise ValueError(
                    "PVHUB_SECRET_KEY is required (set PVHUB_ENV=development to run with a development key)"
                )
            self.secret_key = DEV_SECRET
        elif self.env != "development" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError("PVHUB_SECRET_KEY must be at least 32 characters and not the development key")
        return self

    @property
    def secret(self) -> str:
        """The secret key, always set after validation."""
        assert self.secret_key is not None
        return self.secret_key

    @property
    def freezes_heap(self) -> bool:
        """Whether the app moves its start-up heap out of the collector's reach (web/app.py).

        Off by default in tests only: there hundreds of apps start in one process, and a frozen
        heap's cyclic garbage is never reclaimed."""
        return self.env != "test" if self.freeze_heap_on_start is None else self.freeze_heap_on_start

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment on first use."""
    return Settings()
