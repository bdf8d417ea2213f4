"""Seeded units: today's 168 HCMC units, their predecessors, and idempotent seeding."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from smartcity.core.db import Database
from smartcity.places.models import LegacyWard, Ward, WardSuccession
from smartcity.places.service import places


def test_168_units_113_wards_54_communes_1_special_zone(database: Database) -> None:
    with database.session() as session:
        wards = session.scalars(select(Ward)).all()
        assert len(wards) == 168
        assert Counter(w.division_type for w in wards) == {"phường": 113, "xã": 54, "đặc khu": 1}
        assert {w.province_code for w in wards} == {79}
        # Former HCMC area: GSO codes from 26734 up (domain-vn.md §2.2).
        assert sum(1 for w in wards if w.code >= 26734) == 102


def test_names_are_clean_and_search_keys_accent_free(database: Database) -> None:
    with database.session() as session:
        wards = session.scalars(select(Ward)).all()
        assert all("  " not in w.name for w in wards)
        assert all(w.search_key.isascii() and w.search_key == w.search_key.lower() for w in wards)
        rach_dua = session.scalars(select(Ward).where(Ward.search_key == "phuong rach dua")).one()
        assert (rach_dua.name, rach_dua.short_name) == ("Phường Rạch Dừa", "Rạch Dừa")


def test_legacy_units_of_the_three_merged_provinces(database: Database) -> None:
    with database.session() as session:
        by_province = dict(
            session.execute(
                select(LegacyWard.province_code, func.count()).group_by(LegacyWard.province_code)
            ).all()
        )
        assert by_province == {79: 273, 74: 91, 77: 77}
        successions = session.scalar(select(func.count()).select_from(WardSuccession))
        assert successions is not None
        assert successions >= 441
        orphans = set(
            session.scalars(
                select(LegacyWard.code).where(
                    ~LegacyWard.code.in_(select(WardSuccession.legacy_code))
                )
            )
        )
        # vietnam-provinces 2026.9 has no conversion entry for these seven old wards of
        # Bình Thạnh, Phú Nhuận, Quận 11 and Quận 6; every other old ward has a successor.
        assert orphans <= {26935, 26959, 27067, 27217, 27223, 27361, 27379}


def test_seeding_again_is_a_no_op(database: Database) -> None:
    with database.session() as session:
        assert places.load_reference_units(session) is False
    with database.session() as session:
        # Forced: re-reads the package, keeps the rows (and any boundaries) in place.
        before = session.get(Ward, 26743)
        assert before is not None
        boundary = before.boundary
        assert places.load_reference_units(session, force=True) is True
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Ward)) == 168
        after = session.get(Ward, 26743)
        assert after is not None
        assert after.boundary == boundary
