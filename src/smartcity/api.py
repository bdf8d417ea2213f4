"""Every module's routers, in one place."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from smartcity.accounts.endpoints import router as accounts_api_router
from smartcity.accounts.views import router as accounts_pages_router
from smartcity.core.db import Database
from smartcity.core.files import router as files_router
from smartcity.core.health import router as health_router
from smartcity.core.tiles_endpoints import router as tiles_router
from smartcity.dossiers.endpoints import router as dossiers_api_router
from smartcity.dossiers.views import router as dossiers_pages_router
from smartcity.flood.endpoints import router as flood_api_router
from smartcity.flood.sensorthings import router as flood_sta_router
from smartcity.flood.views import router as flood_pages_router
from smartcity.places.endpoints import router as places_router
from smartcity.reports.endpoints import router as reports_api_router
from smartcity.reports.open311 import router as open311_router
from smartcity.reports.views import router as reports_pages_router
from smartcity.roads.endpoints import router as roads_router
from smartcity.routing.endpoints import router as routing_api_router
from smartcity.routing.views import router as routing_pages_router
from smartcity.traffic.endpoints import router as traffic_router
from smartcity.traffic.views import router as traffic_pages_router
from smartcity.web.views import router as web_router


def routers() -> list[APIRouter]:
    """JSON API and HTML routers of every module, in mounting order."""
    return [
        health_router,
        files_router,
        tiles_router,
        web_router,
        places_router,
        accounts_api_router,
        accounts_pages_router,
        roads_router,
        traffic_router,
        routing_api_router,
        routing_pages_router,
        reports_api_router,
        open311_router,
        reports_pages_router,
        flood_api_router,
        flood_sta_router,
        flood_pages_router,
        dossiers_api_router,
        dossiers_pages_router,
        traffic_pages_router,
    ]


def register_tile_layers() -> None:
    """Map layers served as vector tiles under /tiles/{layer}/…"""
    from smartcity.core.tiles import register_layer
    from smartcity.flood.tiles import FloodLayer
    from smartcity.places.tiles import WardsLayer
    from smartcity.roads.tiles import RoadsLayer
    from smartcity.traffic.tiles import TrafficLayer

    register_layer(RoadsLayer())
    register_layer(WardsLayer())
    register_layer(TrafficLayer())
    register_layer(FloodLayer())


def register_notices() -> None:
    """Banners every page shows while they apply."""
    from smartcity.roads.service import roads
    from smartcity.web.notices import register_notice

    register_notice("synthetic-roads", roads.synthetic_notice)


def register_subscribers() -> None:
    """Modules listening to domain events (docs/events.md); safe to call more than once."""
    from smartcity.core.events import get_bus
    from smartcity.flood.flows import register_with_routing as flood_to_routing
    from smartcity.flood.tasks import register as register_flood
    from smartcity.routing.service import routing
    from smartcity.traffic.flows import register_with_routing as traffic_to_routing

    routing.subscribe(get_bus())
    register_flood()
    flood_to_routing()
    traffic_to_routing()


#: The view the city maps open on (lon/lat box) and its zooms: their tiles are kept warm.
CITY_VIEW = (106.58, 10.68, 106.82, 10.88)
CITY_ZOOMS = (10, 11, 12, 13)
#: Layers that change only with the road network (traffic changes every few seconds).
STATIC_LAYERS = ("roads", "wards")


def housekeeping(database: Database) -> None:
    """Hourly and at start: forget what no one can use any more (Idempotency-Key replays past
    their TTL), and render the city-zoom tiles of the static layers not cached yet."""
    from smartcity.core import tiles
    from smartcity.core.http import purge_idempotency_records

    with database.session() as session:
        purge_idempotency_records(session)
    with database.session() as session:
        tiles.warm(session, STATIC_LAYERS, CITY_VIEW, CITY_ZOOMS)


def start_background(database: Database) -> Callable[[], None]:
    """Start the modules' background work (threads, event handlers); returns its stop."""
    from smartcity.config import get_settings
    from smartcity.core.periodic import Periodic
    from smartcity.flood.tasks import calibrate as flood_calibrate
    from smartcity.flood.tasks import refresh as flood_refresh
    from smartcity.reports.tasks import outbox_worker
    from smartcity.traffic.tasks import background as traffic_background

    settings = get_settings()
    traffic_background.start(database)
    outbox_worker.start(database)
    cleaner = Periodic("housekeeping", housekeeping, interval_s=3600.0)
    jobs = [
        Periodic("flood-refresh", flood_refresh, interval_s=settings.flood_refresh_interval_s),
        cleaner,
    ]
    if settings.flood_calibration_interval_h > 0:
        interval_s = settings.flood_calibration_interval_h * 3600.0
        jobs.append(Periodic("flood-calibration", flood_calibrate, interval_s=interval_s))
    for job in jobs:
        job.start(database)
    cleaner.wake()  # once at start, then hourly

    def stop() -> None:
        traffic_background.stop()
        outbox_worker.stop()
        for job in jobs:
            job.stop()

    return stop
