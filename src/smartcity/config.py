"""Settings: every key typed and described, read from ``SMARTCITY_*`` environment variables."""

from __future__ import annotations

import enum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The placeholder secret.  Fine on a laptop; refused in production.
DEFAULT_SECRET_KEY = "change-me-dev-only-secret"  # noqa: S105


#: The placeholder bank-webhook secret; refused in production like the secret key.
DEFAULT_WEBHOOK_SECRET = "change-me-bank-webhook-secret"  # noqa: S105


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
    dossier_code_pattern: str = Field(
        "{unit}-{yymmdd}-{seq:04d}",
        description="Dossier code template; fields: unit (competent unit code), yymmdd "
        "(receipt date, Vietnam time), seq (per unit and day). Unverified convention, so configurable.",
    )
    dossier_fee_wait_stops_clock: bool = Field(
        True,
        description="Whether waiting for the citizen's fee payment (status 6) pauses the legal "
        "deadline, like a supplement request does (domain-vn §1.4.7, unverified).",
    )
    payment_bank_bin: str = Field(
        "970415", pattern=r"^\d{6}$", description="NAPAS BIN of the bank that collects fees."
    )
    payment_account: str = Field(
        "113000000079", pattern=r"^[0-9A-Za-z]{1,19}$", description="Collecting account number."
    )
    payment_webhook_secret: str = Field(
        DEFAULT_WEBHOOK_SECRET,
        min_length=16,
        description="Shared secret of the bank's payment notifications (HMAC-SHA256).",
    )
    payment_webhook_tolerance_seconds: int = Field(
        300, gt=0, description="How far a notification's timestamp may be from our clock."
    )
    eresult_key_path: Path | None = Field(
        None,
        description="Ed25519 private key (PEM) that signs e-results; default "
        "<var_dir>/keys/eresult-ed25519.pem, generated on first use.",
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
        if (
            self.env is Environment.production
            and self.payment_webhook_secret == DEFAULT_WEBHOOK_SECRET
        ):
            raise ValueError(
                "SMARTCITY_PAYMENT_WEBHOOK_SECRET must be set to the secret agreed with the bank "
                "in production."
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'smartcity.db').as_posix()}"

    @property
    def signing_key_path(self) -> Path:
        return self.eresult_key_path or self.var_dir / "keys" / "eresult-ed25519.pem"

    @property
    def storage_dir(self) -> Path:
        return self.var_dir / "files"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
