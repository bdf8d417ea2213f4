"""Citizen reports at city scale: seed N reports (default 1 million) with bulk inserts,
then time the public list, the map box query and the ward statistics through the real app.

Anchor, measured in the same run: the same statistics computed the naive way, by a
GROUP BY over the whole reports table (what the aggregate table avoids).

Run (SQLite):      uv run python bench/reports.py
Run (PostgreSQL):  SMARTCITY_DATABASE_URL=postgresql+psycopg://… uv run python bench/reports.py
Options: --reports 1000000 --samples 60
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

_TMP = Path(tempfile.mkdtemp(prefix="smartcity-bench-reports-"))
os.environ.setdefault("SMARTCITY_VAR_DIR", str(_TMP / "var"))
os.environ.setdefault("SMARTCITY_SECRET_KEY", "bench-secret-key-not-for-production")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import case, func, insert, select, text  # noqa: E402

from smartcity.bootstrap import prepare_database  # noqa: E402
from smartcity.config import get_settings  # noqa: E402
from smartcity.core.db import Database, set_database  # noqa: E402
from smartcity.main import create_app  # noqa: E402
from smartcity.places.models import Ward  # noqa: E402
from smartcity.reports.models import Report, ReportStatus, WardStats  # noqa: E402
from smartcity.reports.service import grid_cell, period_of, reports  # noqa: E402

CATEGORIES = (
    "traffic",
    "flooding",
    "roads",
    "lighting",
    "trees",
    "rubbish",
    "encroachment",
    "noise",
    "public_services",
    "other",
)
CHUNK = 20_000
STAT_KEYS = ("received", "closed", "on_time", "late", "handling_seconds", "rated", "rating_sum")
MONTHS = 24


def _reset_postgres(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def _rows(
    count: int, wards: list[tuple[int, float, float]], agencies: dict[tuple[int, str], str]
) -> Iterator[dict[str, Any]]:
    rng = random.Random(1022)
    now = datetime.now(UTC)
    start = now - timedelta(days=30 * MONTHS)
    span = (now - start).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    for n, offset in enumerate(offsets, start=1):
        code, lon0, lat0 = rng.choice(wards)
        lon, lat = lon0 + rng.uniform(-0.004, 0.004), lat0 + rng.uniform(-0.004, 0.004)
        created = start + timedelta(seconds=offset)
        category = rng.choice(CATEGORIES)
        due = created + timedelta(days=21)
        roll = rng.random()
        age = (now - created).days
        if (age > 30 and roll < 0.9) or roll < 0.5:
            status = ReportStatus.resolved if roll < 0.85 else ReportStatus.rejected
            closed = created + timedelta(hours=rng.uniform(1, 24 * 25))
        else:
            status, closed = rng.choice((ReportStatus.received, ReportStatus.in_progress)), None
        yield {
            "id": n,
            "category_code": category,
            "status": status.value,
            "description": f"Phản ánh thử số {n}",
            "lon": lon,
            "lat": lat,
            "cell": grid_cell(lon, lat),
            "address": None,
            "ward_code": code,
            "agency_code": agencies[(code, category)],
            "anonymous": False,
            "fields": {},
            "photos": [],
            "answer_photos": [],
            "supporters": 0,
            "acknowledge_due_at": created + timedelta(days=3),
            "due_at": due,
            "info_requests": 0,
            "closed_at": closed,
            "answer": "Đã xử lý" if status is ReportStatus.resolved else None,
            "reason": "Không thuộc thẩm quyền" if status is ReportStatus.rejected else None,
            "rating": rng.randint(1, 5) if closed and rng.random() < 0.4 else None,
            "reopened": False,
            "period": period_of(created),
            "created_at": created,
            "updated_at": closed or created,
        }


def seed(database: Database, count: int) -> float:
    started = time.perf_counter()
    with database.session() as session:
        wards = [
            (code, lon, lat)
            for code, lon, lat in session.execute(
                select(Ward.code, Ward.centroid_lon, Ward.centroid_lat).where(
                    Ward.centroid_lon.is_not(None)
                )
            )
        ]
        if not wards:
            raise SystemExit("ward boundaries are needed (set SMARTCITY_DATA_DIR to shared/data)")
        agencies = {}
        for code, _, _ in wards:
            for category in CATEGORIES:
                kind = reports.category(session, category).agency_kind
                agencies[(code, category)] = reports.agency_for(
                    session, kind=kind, ward_code=code
                ).code
    stats: dict[tuple[int, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    columns = [c.name for c in Report.__table__.columns]
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if not batch:
            return
        if database.is_sqlite:
            with database.engine.begin() as connection:
                connection.execute(insert(Report), batch)
        else:
            raw = database.engine.raw_connection()
            try:
                cursor = raw.cursor()
                import json

                with cursor.copy(f"COPY reports ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in batch:
                        copy.write_row(
                            [
                                json.dumps(row[c])
                                if c in ("fields", "photos", "answer_photos")
                                else row.get(c)
                                for c in columns
                            ]
                        )
                raw.commit()
            finally:
                raw.close()
        batch.clear()

    for row in _rows(count, wards, agencies):
        for c in columns:
            row.setdefault(c, None)
        batch.append(row)
        totals = stats[(row["ward_code"], row["period"])]
        totals["received"] += 1
        if row["closed_at"] is not None:
            on_time = row["closed_at"] <= row["due_at"]
            totals["closed"] += 1
            totals["on_time" if on_time else "late"] += 1
            totals["handling_seconds"] += (row["closed_at"] - row["created_at"]).total_seconds()
            if row["rating"] is not None:
                totals["rated"] += 1
                totals["rating_sum"] += row["rating"]
        if len(batch) >= CHUNK:
            flush()
    flush()
    with database.engine.begin() as connection:
        connection.execute(
            insert(WardStats),
            [
                {"ward_code": w, "period": p, **{k: t.get(k, 0) for k in STAT_KEYS}}
                for (w, p), t in stats.items()
            ],
        )
        if not database.is_sqlite:
            connection.execute(
                text("SELECT setval('reports_id_seq', (SELECT max(id) FROM reports))")
            )
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(samples: int, call: Callable[[int], object]) -> tuple[float, float]:
    durations = []
    for n in range(samples):
        started = time.perf_counter()
        call(n)
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    return statistics.median(durations), durations[max(0, int(len(durations) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    settings = get_settings()
    database = Database(settings.effective_database_url)
    backend = database.engine.dialect.name
    if not database.is_sqlite:
        _reset_postgres(database)
    set_database(database)
    prepare_database(database)
    seconds = seed(database, args.reports)
    print(f"backend {backend}: seeded {args.reports:,} reports in {seconds:.0f} s")
    rng = random.Random(7)
    with database.session() as session:
        ward_codes = [c for (c,) in session.execute(select(Report.ward_code).distinct())]
    client = TestClient(create_app(database=database), base_url="http://127.0.0.1")

    def get(url: str, **params: object) -> None:
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text

    def small_box(_: int) -> None:
        lon, lat = rng.uniform(106.62, 106.78), rng.uniform(10.72, 10.86)
        get("/api/v1/reports/map", bbox=f"{lon},{lat},{lon + 0.02},{lat + 0.015}", limit=500)

    this_year = datetime.now(UTC).strftime("%Y")
    cases: list[tuple[str, Callable[[int], object]]] = [
        ("list: newest 20", lambda _: get("/api/v1/reports", limit=20)),
        (
            "list: ward filter",
            lambda _: get("/api/v1/reports", ward=rng.choice(ward_codes), limit=20),
        ),
        (
            "list: category + open status",
            lambda _: get(
                "/api/v1/reports", category=rng.choice(CATEGORIES), status="received", limit=20
            ),
        ),
        (
            "list: ward + category + period",
            lambda _: get(
                "/api/v1/reports",
                ward=rng.choice(ward_codes),
                category=rng.choice(CATEGORIES),
                since=f"{this_year}-01-01",
                limit=20,
            ),
        ),
        ("map: street-level box (~2 km)", small_box),
        (
            "map: whole city, open only",
            lambda _: get(
                "/api/v1/reports/map", bbox="106.3,10.3,107.6,11.5", status="received", limit=1000
            ),
        ),
        (
            "stats: all wards, 12 months",
            lambda _: get("/api/v1/reports/stats", **{"from": f"{int(this_year) - 1}-01"}),
        ),
        ("stats: one ward", lambda _: get("/api/v1/reports/stats", ward=rng.choice(ward_codes))),
    ]
    print(f"{'query':38} {'p50 ms':>8} {'p95 ms':>8}")
    results = {}
    for name, call in cases:
        call(0)  # warm-up
        p50, p95 = timed(args.samples, call)
        results[name] = p95
        print(f"{name:38} {p50:8.1f} {p95:8.1f}")

    # Anchor: the statistics by a GROUP BY over every report (no aggregate table).
    def naive_stats(_: int) -> None:
        with database.sessionmaker() as session:
            on_time = case((Report.closed_at <= Report.due_at, 1), else_=0)
            session.execute(
                select(
                    Report.ward_code, func.count(), func.sum(on_time), func.avg(Report.rating)
                ).group_by(Report.ward_code)
            ).all()

    p50, p95 = timed(max(3, args.samples // 10), naive_stats)
    print(f"{'anchor: stats by full GROUP BY':38} {p50:8.1f} {p95:8.1f}")
    ratio = p95 / results["stats: all wards, 12 months"]
    print(f"ward stats p95: aggregate table is {ratio:.0f}x faster than the full scan")
    worst = max(results.values())
    print(f"worst p95 {worst:.1f} ms — target < 200 ms: {'met' if worst < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
