"""Settings: every key typed and described, read from ``SMARTCITY_*`` environment variables."""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The placeholder secret.  Fine on a laptop; refused in production.
DEFAULT_SECRET_KEY = "change-me-dev-only-secret"  # noqa: S105


class Environment(enum.StrEnum):
    development = "development"
    testing = "testing"
    production = "production"


def _default_data_dir() -> Path | None:
    """``../shared/data`` next to the checkout, when it exists (developers' and CI machines)."""
    candidate = Path(__file__).resolve().parents[3] / "shared" / "data"
    return candidate if candidate.is_dir() else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTCITY_", extra="ignore")

    env: Environment = Field(
        Environment.development, description="Deployment mode; production refuses default secrets."
    )
    secret_key: str = Field(
        DEFAULT_SECRET_KEY,
        min_length=16,
        description="Key for signing cookies, CSRF tokens and the audit-log chain. Keep it secret.",
    )
    var_dir: Path = Field(
        Path("var"), description="Folder for the embedded database, uploaded files and caches."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means SQLite at <var_dir>/smartcity.db. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db",
    )
    database_echo: bool = Field(False, description="Log every SQL statement (debugging only).")
    data_dir: Path | None = Field(
        default_factory=_default_data_dir,
        description="Folder with real HCMC data files (see shared/data/SOURCES.md); optional.",
    )
    osm_file: Path | None = Field(
        None, description="OSM extract the demo imports (else a downloaded one, else synthetic)."
    )
    osm_extract_url: str = Field(
        "https://download.geofabrik.de/asia/vietnam-latest.osm.pbf",
        description="Public OSM extract fetched by `smartcity data download hcmc` (.md5 beside it).",
    )
    redis_url: str = Field("", description="Redis URL for the shared event bus; empty = in-memory.")
    tile_url: str = Field(
        "",
        description="Raster base-map URL template ({z}/{x}/{y}); empty = draw our own data only.",
    )
    tile_attribution: str = Field(
        "© OpenStreetMap contributors", description="Attribution shown under the base map."
    )
    max_body_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Largest request body accepted, in bytes (413 above)."
    )
    max_upload_bytes: int = Field(
        8 * 1024 * 1024, gt=0, description="Largest single stored file (photos, attachments)."
    )
    session_days: int = Field(14, gt=0, description="Lifetime of a login session or API token.")
    login_max_failures: int = Field(
        5, gt=0, description="Failed logins for one account from one client before a lock-out."
    )
    login_lockout_seconds: int = Field(
        60, gt=0, description="First lock-out length; doubles with each further failure."
    )
    login_lockout_max_seconds: int = Field(
        15 * 60, gt=0, description="Longest lock-out, so the real user always gets back in."
    )
    idempotency_ttl_hours: int = Field(
        24, gt=0, description="How long a replayed Idempotency-Key returns the first result."
    )
    default_language: str = Field(
        "vi", pattern="^(vi|en)$", description="Language of pages by default."
    )
    traffic_city_bbox: tuple[float, float, float, float] = Field(
        (106.35, 10.35, 107.05, 11.20),
        description="Probe points outside this lon/lat box (west, south, east, north) are rejected.",
    )
    traffic_max_point_age_s: int = Field(
        3600, gt=0, description="Probe points older than this (seconds) are rejected as stale."
    )
    traffic_max_future_s: int = Field(
        60, ge=0, description="Probe points this far ahead of the server clock are rejected."
    )
    traffic_max_speed_kmh: float = Field(
        180.0, gt=0, description="A jump implying more than this speed is a teleport (rejected)."
    )
    traffic_gps_sigma_m: float = Field(25.0, gt=0, description="Map matching: GPS noise (m).")
    traffic_live_window_s: int = Field(
        600, gt=0, description="Live speeds decay with this time constant; older = not fresh."
    )
    traffic_publish_interval_s: float = Field(
        5.0, gt=0, description="How often changed live speeds are stored and published."
    )
    traffic_level_thresholds: tuple[float, float, float] = Field(
        (0.7, 0.4, 0.15),
        description="Speed / free-flow ratios at or above which a segment is free, slow, "
        "heavy (below the last: standstill). Not an official standard: tune per city.",
    )
    traffic_los_thresholds: tuple[float, float, float, float, float] = Field(
        (0.85, 0.67, 0.5, 0.4, 0.3),
        description="Ratio to free-flow speed at or above which LOS is A, B, C, D, E (else F); "
        "HCM 2010 urban-street thresholds.",
    )
    traffic_snapshot_max_bytes: int = Field(
        2 * 1024 * 1024, gt=0, description="Largest camera snapshot accepted (bytes)."
    )
    traffic_snapshot_keep_hours: int = Field(
        24, gt=0, description="Camera snapshots older than this are deleted."
    )
    traffic_background: bool = Field(
        True,
        description="Run the traffic publisher, jam detector and event handlers inside the "
        "web process (tests turn it off and start it where they need it).",
    )
    traffic_jam_min_length_m: float = Field(
        300.0,
        gt=0,
        description="A jam is a connected stretch of heavy or standstill segments "
        "at least this long (metres).",
    )
    traffic_jam_min_minutes: float = Field(
        3.0,
        ge=0,
        description="A congested stretch becomes a jam alert once observed congested "
        "this long (minutes, on the probes' clock).",
    )
    host: str = Field("127.0.0.1", description="Address `smartcity serve` listens on.")
    port: int = Field(8000, gt=0, lt=65536, description="Port `smartcity serve` listens on.")

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env is Environment.production and self.secret_key == DEFAULT_SECRET_KEY:
            raise ValueError(
                "SMARTCITY_SECRET_KEY must be set to a private value in production "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'smartcity.db').as_posix()}"

    @property
    def storage_dir(self) -> Path:
        return self.var_dir / "files"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
