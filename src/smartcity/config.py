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
    traffic_forecast_fit_days: int = Field(
        28,
        gt=0,
        description="The forecast's weight towards the typical profile is fitted on this many "
        "most recent days of speed pairs.",
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
    routing_car_flood_limit_cm: float = Field(
        25.0,
        gt=0,
        description="Water depth (cm) above which a road is closed to cars; domain-vn.md §6 "
        "(reported depths 10-40 cm, cars should not enter water deeper than about 25-30 cm).",
    )
    routing_motorbike_flood_limit_cm: float = Field(
        20.0,
        gt=0,
        description="Water depth (cm) above which a road is closed to motorbikes (lower than "
        "for cars: exhaust and engine intake sit low; unverified, hence configurable).",
    )
    routing_flood_speed_factor_at_limit: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Share of the normal speed kept in water just below the closure depth; "
        "speed falls linearly from 1 (dry) to this factor (at the limit).",
    )
    routing_min_speed_kmh: float = Field(
        3.0, gt=0, description="Floor for live speeds, so a stopped queue is slow, not closed."
    )
    routing_snap_radius_m: float = Field(
        500.0, gt=0, description="How far from a usable road a route's origin/destination may be."
    )
    routing_max_polygon_vertices: int = Field(
        2000, gt=3, description="Most vertices over all avoid polygons of one route request."
    )
    routing_max_polygons: int = Field(
        20, gt=0, description="Most avoid polygons in one route request."
    )
    routing_max_avoid_area_km2: float = Field(
        200.0, gt=0, description="Largest total area (km²) of a request's avoid polygons."
    )
    # --- flood (domain-vn.md §6; [U] = unverified there, hence configurable) ---
    flood_min_depth_cm: float = Field(
        10.0, gt=0, description="Depth from which a point counts as flooded (0.10 m, verified)."
    )
    flood_min_duration_min: float = Field(
        15.0,
        ge=0,
        description="Minutes at or above the flood depth before 'flooded by criterion' "
        "(shorter is 'water pooling'); unverified, see domain-vn.md §6.",
    )
    flood_dry_cm: float = Field(2.0, ge=0, description="Below this depth a point is dry.")
    flood_publish_confidence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Fused confidence a depth needs before it goes to routing and alerts.",
    )
    flood_report_fade_min: float = Field(
        90.0, gt=0, description="Minutes over which a citizen flood report fades to nothing."
    )
    flood_report_weight: float = Field(
        0.35, gt=0, le=1, description="Confidence of one unverified citizen report when fresh."
    )
    flood_sensor_stale_min: float = Field(
        30.0, gt=0, description="A sensor reading older than this no longer sets the depth."
    )
    flood_snap_radius_m: float = Field(
        150.0, gt=0, description="Hotspots and reports are projected onto segments this close."
    )
    flood_alert_depth_cm: float = Field(
        20.0, gt=0, description="Depth on a subscriber's place or route that raises an alert."
    )
    tide_alert_levels_m: tuple[float, float, float] = Field(
        (1.40, 1.50, 1.60),
        description="Phú An tide alert levels BĐ I/II/III in metres (press, consistent with "
        "Decision 05/2020/QĐ-TTg; not verified).",
    )
    tide_constituents: str = Field(
        "",
        description="Phú An tide constituents as JSON {name: [amplitude_m, phase_deg]}, plus "
        "'Z0'; empty = the shipped APPROXIMATE set (smartcity.flood.tide).",
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
    background: bool = Field(
        True,
        description="Run the background work inside the web process: traffic publisher, jam "
        "detector and push worker, the reports outbox, the flood refresh, housekeeping "
        "(tests turn it off and start what they need). With several web workers, leave it "
        "on in one only.",
    )
    flood_refresh_interval_s: float = Field(
        300.0,
        gt=0,
        description="How often reports fade, stale sensors stop counting, the tide alert is "
        "checked and the flood forecast's segment depths are published.",
    )
    flood_calibration_interval_h: float = Field(
        24.0,
        ge=0,
        description="How often each sensor-equipped flood point's rain and tide response is "
        "refitted to its own recent readings (0: never; the demo turns it off because its "
        "simulated storms run faster than real time).",
    )
    flood_calibration_days: float = Field(
        30.0, gt=0, description="Days of sensor readings each calibration fits."
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
    webpush_enabled: bool = Field(
        True, description="Send alerts as Web Push notifications to browsers that opt in."
    )
    webpush_vapid_key_path: Path | None = Field(
        None,
        description="P-256 private key (PEM) identifying this server to push services (VAPID); "
        "default <var_dir>/keys/vapid-p256.pem, generated on first use. Every web worker must "
        "use the same key: subscriptions are bound to it.",
    )
    webpush_subject: str = Field(
        "mailto:smartcity@localhost",
        pattern=r"^(mailto:|https://)\S+$",
        description="Contact push services may use about our messages (RFC 8292): mailto: or "
        "https: URL of the operator.",
    )
    webpush_endpoint_hosts: tuple[str, ...] = Field(
        (
            "fcm.googleapis.com",
            "push.services.mozilla.com",
            "notify.windows.com",
            "push.apple.com",
        ),
        description="Push services we deliver to (host or parent domain). A subscription "
        "elsewhere is refused, so the server never posts to arbitrary addresses. A loopback "
        "host listed here (a local test push service) may use plain http.",
    )
    webpush_ttl_s: int = Field(
        1800, ge=0, le=86400, description="How long a push service keeps an undelivered alert."
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
    def vapid_key_path(self) -> Path:
        return self.webpush_vapid_key_path or self.var_dir / "keys" / "vapid-p256.pem"

    @property
    def storage_dir(self) -> Path:
        return self.var_dir / "files"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
