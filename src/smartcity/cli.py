"""Command line: `smartcity --help`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from smartcity.config import get_settings
from smartcity.core.errors import SmartCityError
from smartcity.core.models import Role
from smartcity.flood import cli as flood_cli
from smartcity.roads import cli as roads_cli
from smartcity.traffic import cli as traffic_cli

app = typer.Typer(
    help="Nền tảng thành phố thông minh TP.HCM — HCMC smart-city platform.", no_args_is_help=True
)
db_app = typer.Typer(help="Database tasks.", no_args_is_help=True)
app.add_typer(db_app, name="db")
import_app = typer.Typer(help="Load data files into the platform.", no_args_is_help=True)
app.add_typer(import_app, name="import")
users_app = typer.Typer(help="User accounts and API keys.", no_args_is_help=True)
app.add_typer(users_app, name="users")
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


def _fail(error: SmartCityError) -> NoReturn:
    console.print(f"[red]{escape(error.detail(get_settings().default_language))}[/red]")
    raise typer.Exit(1)


def _ward_codes(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("ward codes are numbers separated by commas") from None


PasswordOption = Annotated[
    str,
    typer.Option(
        prompt=True,
        confirmation_prompt=True,
        hide_input=True,
        help="Password (at least 10 characters); asked for when not given, "
        "which keeps it out of the shell history.",
    ),
]


@users_app.command("create-admin")
def users_create_admin(
    email: Annotated[str, typer.Option(help="E-mail the administrator signs in with.")],
    password: PasswordOption,
    full_name: Annotated[str, typer.Option(help="Name shown in the interface.")] = "Quản trị viên",
) -> None:
    """Create an administrator account."""
    users_create(email=email, password=password, full_name=full_name, role=Role.admin)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="E-mail the user signs in with.")],
    password: PasswordOption,
    full_name: Annotated[str, typer.Option(help="Name shown in the interface.")],
    role: Annotated[Role, typer.Option(help="What the account may do.")] = Role.citizen,
    agency: Annotated[str | None, typer.Option(help="Officers: code of their agency.")] = None,
    wards: Annotated[
        str, typer.Option(help="Officers: ward codes they act on, e.g. 26734,26737.")
    ] = "",
    hospital: Annotated[
        str | None, typer.Option(help="Clinicians: code of their hospital.")
    ] = None,
) -> None:
    """Create an account with any role (officers need --agency and --wards)."""
    from smartcity.accounts.service import accounts
    from smartcity.core.db import get_database

    try:
        with get_database().session() as session:
            user = accounts.create_user(
                session,
                email=email,
                full_name=full_name,
                password=password,
                role=role,
                agency_code=agency,
                ward_codes=_ward_codes(wards),
                hospital_code=hospital,
                actor="cli",
            )
            summary = f"{user.email} ({user.role.value}, id {user.id})"
    except SmartCityError as error:
        _fail(error)
    console.print(f"[green]Account created[/green]: {escape(summary)}")


@users_app.command("api-key")
def users_api_key(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. the sensor gateway.")],
    scopes: Annotated[
        str, typer.Option(help="Comma-separated scopes, e.g. traffic:ingest,flood:ingest.")
    ],
) -> None:
    """Create an API key and print it once (only its hash is kept)."""
    from smartcity.accounts.schemas import ApiKeyCreate
    from smartcity.accounts.service import accounts
    from smartcity.core.db import get_database

    try:
        data = ApiKeyCreate(name=name, scopes=[s.strip() for s in scopes.split(",") if s.strip()])
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None
    try:
        with get_database().session() as session:
            created = accounts.create_api_key(session, data=data, creator=None)
    except SmartCityError as error:
        _fail(error)
    console.print(
        f"API key [bold]{escape(created.name)}[/bold] (id {created.id}), scopes: "
        f"{escape(', '.join(created.scopes))}"
    )
    console.print("Store it now; it will not be shown again:")
    typer.echo(created.key)


import_app.command("osm")(roads_cli.import_osm)
import_app.command("traffic-history")(traffic_cli.import_history)
import_app.command("cameras")(traffic_cli.import_cameras)
import_app.command("flood-hotspots")(flood_cli.import_hotspots)
app.add_typer(flood_cli.flood_app, name="flood")
app.command("generate-city")(roads_cli.generate_city)
simulate_app = typer.Typer(help="Simulated city activity for demos.", no_args_is_help=True)
app.add_typer(simulate_app, name="simulate")
simulate_app.command("traffic")(traffic_cli.simulate_traffic)
simulate_app.command("flood")(flood_cli.simulate_flood)
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
        timeout_graceful_shutdown=5,  # live-update streams would otherwise hold shutdown up
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
    simulate: Annotated[
        bool,
        typer.Option(
            help="Run the traffic and flood simulators against the demo (live map, jams, storms)."
        ),
    ] = True,
    vehicles: Annotated[int, typer.Option(min=1, help="Simulated vehicles.")] = 200,
) -> None:
    """Start the whole platform on an embedded SQLite database, migrated on first start."""
    if var_dir is not None:
        os.environ["SMARTCITY_VAR_DIR"] = str(var_dir)
    if simulate:
        # the flood simulator replays storms faster than real time: fitting the points to
        # those readings would teach them a wrong response
        os.environ.setdefault("SMARTCITY_FLOOD_CALIBRATION_INTERVAL_H", "0")
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
    with console.status("Loading traffic cameras and typical traffic…"):
        for line in traffic_cli.prepare_demo():
            console.print(f"Loaded {line}")
    console.print(f"[bold green]HCMC Smart City demo[/bold green] → http://{host}:{port}/")
    simulator = None
    if simulate:
        from smartcity.traffic.simulator import start_simulator

        simulator = start_simulator(f"http://{host}:{port}", vehicles=vehicles, speedup=5.0)
        console.print(
            f"Traffic simulator: {vehicles} vehicles at 5× speed (--no-simulate to turn off)"
        )
        if flood_cli.start_demo_simulation(f"http://{host}:{port}") is not None:
            console.print("Flood simulator: real 2010–2019 storms through the public APIs → /flood")
    try:
        _run_server(host, port)
    finally:
        if simulator is not None:
            simulator.stop()


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


def main() -> None:
    """The console entry point: a command run against a database that was never migrated
    says what to do instead of showing a traceback."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        app()
    except (OperationalError, ProgrammingError):
        from smartcity.core.db import get_database
        from smartcity.core.migrate import is_current

        if is_current(get_database()):
            raise
        console.print(
            "[red]Cơ sở dữ liệu chưa được tạo hoặc chưa cập nhật — the database is not migrated."
            "[/red] Run [bold]smartcity db upgrade[/bold] first (the demo does it by itself)."
        )
        raise SystemExit(1) from None


if __name__ == "__main__":  # pragma: no cover
    main()
