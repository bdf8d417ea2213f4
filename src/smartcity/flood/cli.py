"""Flood commands: hotspot import, the storm simulator, forecast evaluation, refresh."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartcity.config import get_settings

console = Console()
flood_app = typer.Typer(
    help="Flooding: forecast evaluation and periodic refresh.", no_args_is_help=True
)


def import_hotspots(
    file: Annotated[
        Path | None, typer.Argument(help="CSV of flood-prone streets (default: shared data).")
    ] = None,
) -> None:
    """Seed flood points from the list of flood-prone streets (safe to run again)."""
    from smartcity.core.db import get_database
    from smartcity.core.errors import SmartCityError
    from smartcity.flood.service import flood

    path = file or _default_hotspots()
    try:
        with get_database().session() as session:
            report = flood.import_hotspots(session, path=path)
    except SmartCityError as error:
        console.print(f"[red]{error.detail(get_settings().default_language)}[/red]")
        raise typer.Exit(1) from error
    console.print(
        f"[green]{report.imported} flood points imported[/green], {report.updated} updated; "
        f"{report.flagged} flagged (unverified geocode), {report.without_segments} without a street nearby."
    )


def _default_hotspots() -> Path:
    data_dir = get_settings().data_dir
    path = data_dir / "flood" / "hcmc_flood_hotspots_streets.csv" if data_dir else None
    if path is None or not path.is_file():
        raise typer.BadParameter(
            "give the CSV file (shared/data/flood/hcmc_flood_hotspots_streets.csv)"
        )
    return path


def _api_key() -> str:
    from smartcity.accounts.schemas import ApiKeyCreate
    from smartcity.accounts.service import accounts
    from smartcity.core.db import get_database

    with get_database().session() as session:
        return accounts.create_api_key(
            session,
            data=ApiKeyCreate(name="flood simulator", scopes=["flood:ingest"]),
            creator=None,
        ).key


def simulate_flood(
    base_url: Annotated[str, typer.Option(help="The running platform.")] = "http://127.0.0.1:8000",
    api_key: Annotated[
        str | None, typer.Option(help="flood:ingest key (default: create one locally).")
    ] = None,
    day: Annotated[
        str | None, typer.Option(help="Storm day YYYY-MM-DD (default: the wettest).")
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between 15-minute steps.")] = 1.0,
) -> None:
    """Play a real storm day (2010–2019) with the tide through the public APIs."""
    import httpx

    from smartcity.flood import simulator

    data_dir = get_settings().data_dir
    if data_dir is None:
        raise typer.BadParameter("the climate data is needed: set SMARTCITY_DATA_DIR")
    wet = simulator.storms(data_dir)
    storm = next((s for s in wet if day and s.day == date.fromisoformat(day)), wet[0])
    key = api_key or _api_key()
    with httpx.Client(base_url=base_url, timeout=60) as client:
        simulator.run(client, {"X-API-Key": key}, storm=storm, interval=interval, log=console.print)


def start_demo_simulation(base_url: str, *, interval: float = 2.0) -> threading.Thread | None:
    """For `smartcity demo`: once the server answers, import hotspots and play storms."""
    if get_settings().data_dir is None:
        return None

    def play() -> None:
        import httpx

        from smartcity.flood import simulator

        data_dir = get_settings().data_dir
        assert data_dir is not None
        with httpx.Client(base_url=base_url, timeout=60) as client:
            for _ in range(300):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            import_hotspots(None)
            key = _api_key()
            for storm in simulator.storms(data_dir)[:5]:
                simulator.run(
                    client, {"X-API-Key": key}, storm=storm, interval=interval, log=lambda _m: None
                )

    thread = threading.Thread(target=play, name="flood-simulator", daemon=True)
    thread.start()
    return thread


@flood_app.command("evaluate")
def evaluate(
    points: Annotated[int, typer.Option(help="Hotspots simulated per storm.")] = 30,
    min_mm: Annotated[float, typer.Option(help="Storm days with at least this daily rain.")] = 30.0,
) -> None:
    """Hit rate and false alarms of the 1/3/6 h forecast on simulated storms with known truth."""
    from smartcity.flood import simulator

    data_dir = get_settings().data_dir
    if data_dir is None:
        raise typer.BadParameter("the climate data is needed: set SMARTCITY_DATA_DIR")
    console.print(
        simulator.evaluation_table(simulator.evaluate(data_dir, points=points, min_mm=min_mm))
    )


@flood_app.command("calibrate")
def calibrate(
    days: Annotated[
        float | None,
        typer.Option(min=1, help="Days of sensor history to fit (default: the setting)."),
    ] = None,
) -> None:
    """Fit each sensor-equipped flood point's rain and tide response to its own readings
    now (the server also does it daily, SMARTCITY_FLOOD_CALIBRATION_INTERVAL_H; points
    without a flood in the period keep their parameters)."""
    from smartcity.core.db import get_database
    from smartcity.flood.tasks import calibrate as run_calibration

    fitted = run_calibration(get_database(), days=days)
    for name, response in fitted.items():
        console.print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in response.items()))
    console.print(f"[green]{len(fitted)} flood points calibrated[/green]")


@flood_app.command("tick")
def tick() -> None:
    """Refresh fused states (reports fade), forecast segments and the tide alert once."""
    from smartcity.flood.tasks import tick as run_tick

    run_tick()
    console.print("[green]Flood state refreshed[/green]")
