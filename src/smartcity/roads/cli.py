"""Command-line tasks of the roads module (mounted by ``smartcity.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

console = Console()


def import_osm(
    file: Annotated[Path, typer.Argument(help="OSM file: .osm.pbf, .osm, .osm.gz or .osm.bz2")],
    synthetic: Annotated[
        bool, typer.Option(help="Label the network as synthetic (demo city).")
    ] = False,
) -> None:
    """Import a road network; the current one keeps serving until this one is complete."""
    from smartcity.core.db import get_database
    from smartcity.core.i18n import gettext
    from smartcity.roads.errors import RoadImportFailed
    from smartcity.roads.service import roads as road_service

    try:
        with console.status(f"Importing {file.name}…") as status:
            report = road_service.import_osm(
                get_database(),
                file,
                synthetic=synthetic,
                progress=lambda step: status.update(f"Importing {file.name}: {step}…"),
            )
    except RoadImportFailed as exc:
        console.print(f"[red]{gettext(exc.title, 'en')}[/red]: {exc.detail('en')}")
        console.print("The current road network is unchanged.")
        raise typer.Exit(code=1) from exc
    console.print(
        f"[green]Road network {report.version}[/green] from {report.source}: "
        f"{report.nodes:,} junctions, {report.arcs:,} arcs, {report.segments:,} segments, "
        f"{report.km:,.0f} km, {report.streets:,} named streets, {report.restrictions} turn restrictions; "
        f"{report.segments_without_ward:,} segments outside any ward."
    )
    console.print(f"Time: {report.seconds}")


def generate_city(
    out: Annotated[Path, typer.Option(help="Where to write the .osm.pbf")],
    size: Annotated[str, typer.Option(help="small (tests) or city (as large as HCMC)")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same city")] = 1,
) -> None:
    """Write a clearly labelled synthetic city as an OSM PBF."""
    from smartcity.roads.synthetic import generate_city as generate

    if size not in ("small", "city"):
        console.print("[red]--size must be small or city[/red]")
        raise typer.Exit(code=2)
    chosen: Literal["small", "city"] = "small" if size == "small" else "city"
    with console.status(f"Generating a synthetic {size} city…"):
        generate(chosen, seed, out)
    console.print(f"[green]Synthetic city written[/green] to {out}")


def download(
    dataset: Annotated[str, typer.Argument(help="Which data set: hcmc (the OSM road extract)")],
    url: Annotated[
        str | None, typer.Option(help="Extract URL (a .md5 file must sit beside it)")
    ] = None,
) -> None:
    """Fetch the public OSM extract, verify its checksum, cache it and cut it to HCMC."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from smartcity.config import get_settings
    from smartcity.roads.download import DownloadFailed, download_city

    if dataset != "hcmc":
        console.print("[red]Only the 'hcmc' data set can be downloaded.[/red]")
        raise typer.Exit(code=2)
    settings = get_settings()
    cache_dir = settings.var_dir / "cache" / "osm"
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    ) as bar:
        task = bar.add_task("Downloading", total=None)
        try:
            result = download_city(
                cache_dir,
                url=url or settings.osm_extract_url,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except DownloadFailed as exc:
            console.print(f"[red]Download failed[/red]: {exc}")
            raise typer.Exit(code=1) from exc
    state = "reused from the cache" if result.reused_cache else f"{result.bytes_downloaded:,} bytes"
    console.print(
        f"[green]Verified[/green] {result.extract.name} (md5 {result.md5}, {state}); "
        f"cut to HCMC: {result.ways_kept:,} ways → {result.city_file}"
    )
    console.print(f"Import it with: smartcity import osm {result.city_file}")
