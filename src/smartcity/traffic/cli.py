"""Traffic commands: `smartcity import traffic-history`, `smartcity import cameras`,
`smartcity simulate traffic`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartcity.config import get_settings
from smartcity.traffic.forecast import Evaluation

console = Console()


def _data_file(*parts: str) -> Path:
    data_dir = get_settings().data_dir
    if data_dir is None:
        raise typer.BadParameter("no data dir: set SMARTCITY_DATA_DIR or pass a path")
    return data_dir.joinpath(*parts)


def import_history(
    folder: Annotated[
        Path | None, typer.Argument(help="Folder with hcmc_2020_*.csv (default: data dir).")
    ] = None,
    train_until: Annotated[
        str, typer.Option(help="Time split: fit on reports before this date (UTC).")
    ] = "2020-12-15",
) -> None:
    """Learn typical speed profiles and the forecast from the 2020 HCMC history."""
    from smartcity.core.db import get_database
    from smartcity.traffic.service import traffic

    source = folder or _data_file("traffic")
    split = datetime.fromisoformat(train_until).replace(tzinfo=UTC)
    with console.status("Learning typical traffic…"), get_database().session() as session:
        total, joined, evaluations = traffic.import_history(
            session, folder=source, train_until=split
        )
    console.print(f"[green]{joined} road segments[/green] got a profile ({total} in the history).")
    print_forecast(evaluations, train_until)


def print_forecast(evaluations: list[Evaluation], train_until: str) -> None:
    """The forecast's accuracy against persistence and the typical profile."""
    table = Table(title=f"Forecast accuracy, walked forward over the days from {train_until}")
    for column in ("horizon", "predictor", "test pairs", "MAE km/h", "RMSE km/h", "LOS acc."):
        table.add_column(column)
    for e in evaluations:
        for name in ("persistence", "typical", "forecast"):
            table.add_row(
                f"{e.horizon_min} min", name, str(e.pairs_test), f"{e.mae_kmh[name]:.3f}",
                f"{e.rmse_kmh[name]:.3f}", f"{e.los_accuracy[name]:.4f}",
            )  # fmt: skip
    console.print(table)
    for e in evaluations:
        low, high = e.gain_vs_persistence_kmh
        console.print(
            f"{e.horizon_min} min: MAE gain over persistence {low:+.3f} … {high:+.3f} km/h "
            f"(95 %, segments resampled); weight towards the typical profile "
            f"{e.daily_weights[0]:.2f}–{e.daily_weights[1]:.2f} walking forward, "
            f"{e.weight:.2f} live"
        )


def prepare_demo() -> list[str]:
    """For `smartcity demo`: the real camera register and the 2020 traffic history, when the
    data are there and not loaded yet (the history only on the real HCMC network: its
    segments join by OSM node ids).  Returns what it did, to print."""
    from smartcity.core.db import get_database
    from smartcity.roads.service import roads
    from smartcity.traffic import repository
    from smartcity.traffic.service import traffic

    data_dir = get_settings().data_dir
    folder = data_dir / "traffic" if data_dir is not None else None
    if folder is None or not folder.is_dir():
        return []
    done = []
    register = folder / "hcmc_traffic_cameras_2017.geojson"
    with get_database().session() as session:
        if register.is_file() and not repository.cameras(session):
            added, _ = traffic.import_cameras(session, path=register)
            done.append(f"{added} traffic cameras from the 2017 register")
        real = roads.active_version(session) is not None and roads.synthetic_notice(session) is None
        history = folder / "hcmc_2020_segment_velocity_reports.csv"
        # once imported, the history joins itself to each new network
        if real and history.is_file() and not repository.history_segments(session):
            _total, joined, _ = traffic.import_history(
                session, folder=folder, train_until=datetime(2020, 12, 15, tzinfo=UTC)
            )
            done.append(f"typical traffic for {joined} road segments from the 2020 history")
    return done


def import_cameras(
    file: Annotated[
        Path | None, typer.Argument(help="Camera GeoJSON (default: the 2017 register).")
    ] = None,
) -> None:
    """Load the city's camera register (idempotent: updates cameras by code)."""
    from smartcity.core.db import get_database
    from smartcity.traffic.service import traffic

    source = file or _data_file("traffic", "hcmc_traffic_cameras_2017.geojson")
    with get_database().session() as session:
        added, updated = traffic.import_cameras(session, path=source)
    console.print(f"[green]{added} cameras added[/green], {updated} updated.")


def simulate_traffic(
    vehicles: Annotated[int, typer.Option(min=1, max=20000, help="Vehicles on the road.")] = 200,
    speedup: Annotated[
        float, typer.Option(min=1.0, max=60.0, help="Simulated seconds per real second.")
    ] = 5.0,
    minutes: Annotated[
        float | None, typer.Option(min=0.1, help="Stop after this many real minutes.")
    ] = None,
    base_url: Annotated[
        str, typer.Option(help="The running platform to post probes to.")
    ] = "http://127.0.0.1:8000",
    incidents: Annotated[bool, typer.Option(help="Post random incidents.")] = True,
    seed: Annotated[int | None, typer.Option(help="Random seed (repeatable runs).")] = None,
) -> None:
    """Drive a simulated fleet (buses on the real 2015 routes, cars on routed trips) and
    post its GPS probes and random incidents through the traffic API."""
    import time

    from smartcity.traffic.simulator import start_simulator

    thread = start_simulator(
        base_url, vehicles=vehicles, speedup=speedup, minutes=minutes, seed=seed,
        incidents=incidents,
    )  # fmt: skip
    stats = thread.simulator.stats
    try:
        while thread.is_alive():
            time.sleep(5)
            console.print(
                f"{stats.trips} trips ({stats.bus_trips} by bus), {stats.posted:,} fixes posted, "
                f"{stats.accepted:,} accepted, {stats.matched:,} matched, "
                f"{stats.incidents} incidents, {stats.errors} errors"
            )
    except KeyboardInterrupt:
        console.print("Stopping…")
    thread.stop()
    if thread.error is not None:
        console.print(f"[red]Simulator stopped: {thread.error}[/red]")
        raise typer.Exit(1)
    if stats.last_error:
        console.print(f"[yellow]Last error[/yellow]: {stats.last_error}")
