"""Decision 766 index over N seeded dossiers, and the officer queue's latency.

Seeds N dossiers (default 1,000,000) spread over two years and the 176 competent units
(168 wards + 8 city departments), with the per-(unit, day) counters the service keeps in
the same transaction as each transition, into a fresh migrated database; then times

* the 766 index for the whole city, per unit, for the year so far and for last month
  (sum of counter rows + one GROUP BY over the dossiers still open at the period end);
* the officer queue (open dossiers of one unit, nearest deadline first, 50 rows).

Seeding writes rows in bulk (it does not go through the HTTP API: a million requests would
take hours); the counters are computed the way the service increments them.

Run:
  uv run python bench/dossiers.py                          # SQLite in a temp dir
  uv run python bench/dossiers.py --url postgresql+psycopg://postgres@127.0.0.1:55432/bench
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("SMARTCITY_VAR_DIR", tempfile.mkdtemp(prefix="bench-dossiers-"))

from sqlalchemy import insert, select, text

from smartcity.bootstrap import prepare_database
from smartcity.core.clock import VN_TZ
from smartcity.core.db import Database
from smartcity.dossiers import repository
from smartcity.dossiers.models import DailyUnitStats, Dossier, Procedure, ProcedureVersion
from smartcity.dossiers.service import dossiers
from smartcity.dossiers.units import CITY_AGENCIES
from smartcity.places.models import Ward

BATCH = 20_000


def _reset_postgres(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def seed(database: Database, count: int, rng: random.Random) -> float:
    with database.session() as session:
        wards = [str(code) for code in session.scalars(select(Ward.code))]
        versions = session.execute(
            select(
                ProcedureVersion.id,
                ProcedureVersion.procedure_id,
                Procedure.level,
                Procedure.agency_code,
                ProcedureVersion.fee_vnd,
            ).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        ).all()
    units_city = list(CITY_AGENCIES)
    now = datetime.now(UTC)
    start = now - timedelta(days=730)
    span = (now - start).total_seconds()
    stats: dict[tuple[str, date], defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    started = time.perf_counter()
    rows: list[dict[str, object]] = []
    for number in range(count):
        version_id, procedure_id, level, agency, fee = versions[rng.randrange(len(versions))]
        unit = rng.choice(wards) if level == "ward" else (agency or rng.choice(units_city))
        submitted = start + timedelta(seconds=rng.random() * span)
        received = submitted + timedelta(hours=rng.random() * 8)
        due = received + timedelta(days=rng.choice((1, 3, 5, 10, 15)))
        online = rng.random() < 0.7
        paid = fee > 0 and online and rng.random() < 0.8
        supplements = 0 if rng.random() < 0.85 else (1 if rng.random() < 0.9 else 2)
        paused = timedelta(days=rng.random() * 3) if supplements else timedelta(0)
        # Dossiers near "now" may still be open; older ones are closed.
        finish = received + (due - received) * rng.uniform(0.2, 1.15) + paused
        closed = finish if finish < now and rng.random() < 0.99 else None
        kpi_due = due + paused
        on_time = None if closed is None else supplements <= 1 and closed - paused <= due
        day = received.astimezone(VN_TZ).date()
        counters = stats[(unit, day)]
        counters["received"] += 1
        counters["received_online"] += int(online)
        counters["fee_bearing"] += int(fee > 0)
        counters["paid_online"] += int(paid)
        rating = rng.choice((None, None, 5, 4, 3, 2, 1)) if closed else None
        if closed is not None:
            closed_counters = stats[(unit, closed.astimezone(VN_TZ).date())]
            closed_counters["closed"] += 1
            closed_counters["closed_on_time"] += int(bool(on_time))
            if rating is not None:
                closed_counters["rated"] += 1
                closed_counters["rating_sum"] += rating
                closed_counters["dislikes"] += int(rating <= 2)
        status = (10 if rng.random() < 0.9 else 8) if closed else rng.choice((2, 4, 5, 6))
        rows.append(
            {
                "code": f"{unit}-{day:%y%m%d}-B{number:07d}",
                "procedure_id": procedure_id,
                "procedure_version_id": version_id,
                "unit_code": unit,
                "received_unit": "online" if online else "TTPVHCC",
                "channel": "online" if online else "desk",
                "status": status,
                "is_open": closed is None,
                "applicant_name": "Người nộp thử",
                "applicant_id_number": "079203001234",
                "applicant_phone": "0912345678",
                "form_data": {},
                "fee_vnd": fee,
                "paid_online": paid,
                "paid_at": received if paid else None,
                "submitted_at": submitted,
                "received_at": received,
                "due_at": due,
                "current_due_at": due,
                "kpi_due_at": kpi_due,
                "paused_since": received + timedelta(hours=4)
                if closed is None and status == 5
                else None,
                "supplement_count": supplements,
                "finished_at": closed,
                "closed_at": closed,
                "on_time": on_time,
                "rating": rating,
                "created_at": submitted,
                "updated_at": closed or received,
            }
        )
        if len(rows) == BATCH:
            with database.session() as session:
                session.execute(insert(Dossier), rows)
            rows = []
    if rows:
        with database.session() as session:
            session.execute(insert(Dossier), rows)
    stat_rows = [
        {
            "unit_code": unit,
            "day": day,
            **{name: counters.get(name, 0) for name in repository.STAT_COUNTERS},
        }
        for (unit, day), counters in stats.items()
    ]
    with database.session() as session:
        for offset in range(0, len(stat_rows), BATCH):
            session.execute(insert(DailyUnitStats), stat_rows[offset : offset + BATCH])
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(repeats: int, action: object) -> list[float]:
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        action()  # type: ignore[operator]
        samples.append(time.perf_counter() - began)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="", help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--queue-queries", type=int, default=500)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(os.environ['SMARTCITY_VAR_DIR']) / 'bench.db'}"
    database = Database(url)
    if not database.is_sqlite:
        _reset_postgres(database)
    prepare_database(database)
    rng = random.Random(766)
    seconds = seed(database, args.dossiers, rng)
    print(
        f"backend: {database.engine.dialect.name}; seeded {args.dossiers:,} dossiers "
        f"in {seconds:.1f} s"
    )

    today = datetime.now(VN_TZ).date()
    first_this_month = today.replace(day=1)
    last_month_end = first_this_month - timedelta(days=1)
    periods = {
        "year so far": (date(today.year, 1, 1), today),
        "last month": (last_month_end.replace(day=1), last_month_end),
        "last 2 years": (today - timedelta(days=730), today),
    }
    with database.sessionmaker() as session:
        count = session.scalar(text("SELECT count(*) FROM dossiers"))
        stat_rows = session.scalar(text("SELECT count(*) FROM dossier_daily_stats"))
        print(f"rows: dossiers {count:,}; daily unit counters {stat_rows:,}")
        for label, (start, end) in periods.items():
            result = dossiers.quality_index(session, start=start, end=end)
            samples = timed(
                5, lambda s=start, e=end: dossiers.quality_index(session, start=s, end=e)
            )
            print(
                f"766 index, {label} ({start}..{end}), {len(result.units)} units: "
                f"median {statistics.median(samples) * 1000:.0f} ms, "
                f"max {max(samples) * 1000:.0f} ms; city on-time {result.city.on_time_rate}%"
            )
        units = [str(u) for u in session.scalars(select(Ward.code))]
        queue_samples = []
        for _ in range(args.queue_queries):
            unit = rng.choice(units)
            began = time.perf_counter()
            rows = repository.queue(session, units=[unit], limit=50, offset=0)
            queue_samples.append(time.perf_counter() - began)
            assert all(r.unit_code == unit for r in rows)
        queue_samples.sort()
        p95 = queue_samples[int(len(queue_samples) * 0.95) - 1]
        print(
            f"officer queue (one ward, 50 rows), {args.queue_queries} queries: "
            f"median {statistics.median(queue_samples) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
        )
    database.dispose()


if __name__ == "__main__":
    main()
