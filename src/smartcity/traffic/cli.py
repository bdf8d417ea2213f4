"""Traffic commands: `smartcity import traffic-history`, `smartcity import cameras`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartcity.config import get_settings

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
    table = Table(title=f"Forecast accuracy (train < {train_until} ≤ test)")
    for column in (
        "horizon",
        "φ",
        "test pairs",
        "MAE persistence",
        "MAE typical",
        "MAE forecast",
        "LOS acc. persistence",
        "LOS acc. typical",
        "LOS acc. forecast",
    ):
        table.add_column(column)
    for e in evaluations:
        table.add_row(
            f"{e.horizon_min} min", str(e.persistence), str(e.pairs_test),
            *(f"{e.mae_kmh[k]:.2f}" for k in ("persistence", "typical", "forecast")),
            *(f"{e.los_accuracy[k]:.3f}" for k in ("persistence", "typical", "forecast")),
        )  # fmt: skip
    console.print(table)


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
