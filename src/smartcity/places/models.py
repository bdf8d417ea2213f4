"""Tables owned by places: today's wards, pre-2025 wards and who succeeded whom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.clock import utcnow
from smartcity.core.db import Base


class Ward(Base):
    """A commune-level unit after the 1 July 2025 reform (phường, xã or đặc khu)."""

    __tablename__ = "wards"

    #: GSO/NSO code, e.g. 26743 (Phường Bến Thành).
    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    #: The name without its division prefix ("Bến Thành").
    short_name: Mapped[str] = mapped_column(String(100))
    #: ASCII slug from the package ("phuong_ben_thanh").
    codename: Mapped[str] = mapped_column(String(100))
    division_type: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[int]
    #: Accent-free lower-case name for LIKE search ("phuong ben thanh").
    search_key: Mapped[str] = mapped_column(String(100), index=True)
    #: GeoJSON geometry (Polygon or MultiPolygon, WGS84); null until boundaries are attached.
    boundary: Mapped[str | None] = mapped_column(Text)
    min_lon: Mapped[float | None]
    min_lat: Mapped[float | None]
    max_lon: Mapped[float | None]
    max_lat: Mapped[float | None]
    centroid_lon: Mapped[float | None]
    centroid_lat: Mapped[float | None]
    area_km2: Mapped[float | None]
    #: Where the boundary came from (file name or the --source given to the import).
    boundary_source: Mapped[str | None] = mapped_column(String(200))


class LegacyWard(Base):
    """A commune-level unit as it was before the reform, with its district and province."""

    __tablename__ = "legacy_wards"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    division_type: Mapped[str] = mapped_column(String(20))
    #: "phuong ben nghe" and "ben nghe" (see ``places.names.parse_unit``).
    search_key: Mapped[str] = mapped_column(String(100), index=True)
    short_key: Mapped[str] = mapped_column(String(100), index=True)
    district_code: Mapped[int] = mapped_column(index=True)
    district_name: Mapped[str] = mapped_column(String(100))
    district_key: Mapped[str] = mapped_column(String(100))
    district_short_key: Mapped[str] = mapped_column(String(100))
    province_code: Mapped[int]
    province_name: Mapped[str] = mapped_column(String(100))


class WardSuccession(Base):
    """Old ward → new ward; an old ward split between several new ones is ``partly`` merged."""

    __tablename__ = "ward_successions"

    legacy_code: Mapped[int] = mapped_column(
        ForeignKey("legacy_wards.code", ondelete="CASCADE"), primary_key=True
    )
    new_code: Mapped[int] = mapped_column(
        ForeignKey("wards.code", ondelete="CASCADE"), primary_key=True, index=True
    )
    partly: Mapped[bool] = mapped_column(default=False)


class PlaceDataset(Base):
    """Fingerprint of a loaded data set, so seeding and boundary caches know when to redo work.

    ``reference``: the package version the unit tables were seeded from; ``boundaries``:
    changes on every boundary write (caches key on it); ``bundled-boundaries``: hash of the
    data-dir files attached automatically.
    """

    __tablename__ = "place_datasets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
