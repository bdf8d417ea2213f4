"""`smartcity data download hcmc` against a local HTTP server: verify, cache, cut."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from smartcity.roads.download import DownloadFailed, cut_to_bbox, download_city
from smartcity.roads.synthetic import generate_city
from smartcity.routing_engine.osm import decode_osm


@pytest.fixture
def extract_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    extract = root / "vietnam-latest.osm.pbf"
    generate_city("small", 3, extract)
    digest = hashlib.md5(extract.read_bytes(), usedforsecurity=False).hexdigest()
    (root / "vietnam-latest.osm.pbf.md5").write_text(f"{digest}  vietnam-latest.osm.pbf\n")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/vietnam-latest.osm.pbf", root
    server.shutdown()


def test_download_verifies_caches_and_cuts(
    extract_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, _root = extract_server
    cache = tmp_path / "cache"
    full = decode_osm(extract_server[1] / "vietnam-latest.osm.pbf")
    west, south, east, north = (
        full.ways.node_lon.min(),
        full.ways.node_lat.min(),
        full.ways.node_lon.max(),
        full.ways.node_lat.max(),
    )
    half = (float(west), float(south), float((west + east) / 2), float(north))
    first = download_city(cache, url=url, bbox=half)
    assert not first.reused_cache
    assert first.bytes_downloaded > 0
    cut = decode_osm(first.city_file)
    assert 0 < cut.ways.way_count < full.ways.way_count
    second = download_city(cache, url=url, bbox=half)
    assert second.reused_cache
    assert second.bytes_downloaded == 0


def test_checksum_mismatch_caches_nothing(extract_server: tuple[str, Path], tmp_path: Path) -> None:
    url, root = extract_server
    (root / "vietnam-latest.osm.pbf.md5").write_text("0" * 32 + "  vietnam-latest.osm.pbf\n")
    cache = tmp_path / "cache"
    with pytest.raises(DownloadFailed, match="checksum mismatch"):
        download_city(cache, url=url)
    assert list(cache.iterdir()) == []


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadFailed, match="checksum"):
        download_city(tmp_path, url="http://127.0.0.1:9/vietnam-latest.osm.pbf")


def test_bbox_with_min_above_max_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "small.osm.pbf"
    generate_city("small", 3, source)
    with pytest.raises(DownloadFailed, match="invalid bounding box"):
        cut_to_bbox(source, tmp_path / "out.osm.pbf", (106.8, 10.7, 106.6, 10.8))
