"""Command line: `smartcity --help`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartcity.config import get_settings
from smartcity.roads import cli as roads_cli

app = typer.Typer(
    help="Nền tảng thành phố thông minh TP.HCM — HCMC smart-city platform.", no_args_is_help=True
)
db_app = typer.Typer(help="Database tasks.", no_args_is_help=True)
app.add_typer(db_app, name="db")
import_app = typer.Typer(help="Load data files into the platform.", no_args_is_help=True)
app.add_typer(import_app, name="import")
console = Console()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration and load reference data (safe to run again)."""
    from smartcity.bootstrap import prepare_database
    from smartcity.core.db import get_database

    database = get_database()
    with console.status("Migrating the database…"):
        prepare_database(database)
    where = database.engine.url.render_as_string(hide_password=True)
    console.print(f"[green]Database ready[/green] ({where})")


@import_app.command("wards")
def import_wards(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection.")
    ],
    source: Annotated[
        str | None, typer.Option(help="Where the boundaries come from (default: file name).")
    ] = None,
) -> None:
    """Attach ward boundary polygons, matched by code or name (all or nothing)."""
    from smartcity.core.db import get_database
    from smartcity.core.i18n import gettext
    from smartcity.places.errors import BoundaryImportFailed
    from smartcity.places.service import places as places_service

    language = get_settings().default_language
    try:
        with (
            console.status(f"Importing ward boundaries from {file.name}…"),
            get_database().session() as session,
        ):
            report = places_service.import_boundaries(session, path=file, source=source)
    except BoundaryImportFailed as exc:
        console.print(f"[red]{gettext(exc.title, language)}[/red]: {exc.detail(language)}")
        console.print("Nothing was changed.")
        raise typer.Exit(code=1) from exc
    console.print(
        f"[green]{report.wards_updated} wards updated[/green] from {report.matched_features} "
        f"of {report.features} features (source: {report.source}); "
        f"{report.skipped} skipped (city outline), {len(report.unmatched)} unmatched."
    )
    for name in report.unmatched:
        console.print(f"  unmatched: {name}")


import_app.command("osm")(roads_cli.import_osm)
app.command("generate-city")(roads_cli.generate_city)
data_app = typer.Typer(help="Public data sets the platform can fetch.", no_args_is_help=True)
app.add_typer(data_app, name="data")
data_app.command("download")(roads_cli.download)


def _run_server(host: str, port: int, reload: bool = False) -> None:
    import uvicorn

    uvicorn.run(
        "smartcity.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        proxy_headers=True,
        log_level="info",
    )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the platform (the database must already be migrated: `smartcity db upgrade`)."""
    settings = get_settings()
    _run_server(host or settings.host, port or settings.port)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    var_dir: Annotated[
        Path | None, typer.Option(help="Folder for the demo database and files.")
    ] = None,
    osm: Annotated[
        Path | None,
        typer.Option(
            help="OSM extract to use (default: SMARTCITY_OSM_FILE, a downloaded or shared extract, else a synthetic city)."
        ),
    ] = None,
) -> None:
    """Start the whole platform on an embedded SQLite database, migrated on first start."""
    if var_dir is not None:
        os.environ["SMARTCITY_VAR_DIR"] = str(var_dir)
        get_settings.cache_clear()
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    from smartcity.bootstrap import prepare_database
    from smartcity.core.db import get_database

    database = get_database()
    with console.status("Preparing the demo database…"):
        prepare_database(database)
    from smartcity.roads.service import roads as road_service

    with console.status("Loading the road network…") as status:
        report = road_service.ensure_network(
            database, osm, progress=lambda step: status.update(f"Road network: {step}…")
        )
    if report is not None:
        kind = "SYNTHETIC city" if report.synthetic else report.source
        console.print(
            f"Road network from {kind}: {report.segments:,} segments, {report.km:,.0f} km "
            f"({report.seconds.get('total', 0)} s)"
        )
    console.print(f"[bold green]HCMC Smart City demo[/bold green] → http://{host}:{port}/")
    _run_server(host, port)


audit_app = typer.Typer(help="Audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain: exits 1 and lists problems if any entry was edited or removed."""
    from smartcity.core import audit
    from smartcity.core.db import get_database

    with get_database().session() as session, console.status("Verifying the audit chain…"):
        report = audit.verify(session)
    if report.ok:
        console.print(f"[green]Audit log intact[/green]: {report.checked} entries verified.")
        return
    console.print(
        f"[red]Audit log tampered[/red]: {len(report.problems)} problem(s) in {report.checked} entries"
    )
    for problem in report.problems:
        console.print(f"  • {problem}")
    raise typer.Exit(code=1)


def main() -> None:  # pragma: no cover - console entry point
    app()
