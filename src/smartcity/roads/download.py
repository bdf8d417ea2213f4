"""``smartcity data download hcmc``: fetch a public OSM extract, verify it, cache it and
cut it to the city's bounding box.

The extract (Geofabrik's Vietnam file by default; any URL with a ``.md5`` beside it works)
is streamed to a ``.part`` file, checked against its published MD5, then renamed into the
cache; a failed or interrupted download never leaves a file that looks complete.  The cut
keeps every node inside the box, every way touching it (with all its nodes, so streets are
not chopped at the edge) and the relations that reference kept ways.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import osmium

#: Vietnam extract, updated daily, with a ``.md5`` file next to it.
DEFAULT_EXTRACT_URL = "https://download.geofabrik.de/asia/vietnam-latest.osm.pbf"
#: Today's Ho Chi Minh City (with former Bình Dương and Bà Rịa–Vũng Tàu), mainland part.
HCMC_BBOX = (106.33, 10.32, 107.62, 11.55)
_CHUNK = 1 << 20
_MD5_LINE = re.compile(r"^\s*([0-9a-fA-F]{32})\b")

Progress = Callable[[int, int | None], None]


class DownloadFailed(Exception):
    """The extract could not be fetched or did not verify."""


@dataclass(frozen=True)
class DownloadResult:
    extract: Path
    city_file: Path
    md5: str
    bytes_downloaded: int
    reused_cache: bool
    ways_kept: int


def _expected_md5(client: httpx.Client, url: str) -> str:
    try:
        response = client.get(url + ".md5")
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DownloadFailed(f"cannot fetch the checksum {url}.md5: {exc}") from exc
    match = _MD5_LINE.match(response.text)
    if not match:
        raise DownloadFailed(f"{url}.md5 does not contain an MD5 checksum")
    return match.group(1).lower()


def _file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_extract(
    url: str, cache_dir: Path, *, progress: Progress | None = None, timeout: float = 60.0
) -> tuple[Path, str, int, bool]:
    """The verified extract in the cache (downloaded only if missing or stale)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    name = url.rstrip("/").rsplit("/", 1)[-1] or "extract.osm.pbf"
    target = cache_dir / name
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        expected = _expected_md5(client, url)
        if target.exists() and _file_md5(target) == expected:
            return target, expected, 0, True
        partial = target.with_name(target.name + ".part")
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        try:
            with client.stream("GET", url) as response, partial.open("wb") as out:
                response.raise_for_status()
                total = int(response.headers.get("content-length", 0)) or None
                for chunk in response.iter_bytes(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress:
                        progress(received, total)
                out.flush()
                os.fsync(out.fileno())
        except httpx.HTTPError as exc:
            partial.unlink(missing_ok=True)
            raise DownloadFailed(f"download of {url} failed: {exc}") from exc
        if digest.hexdigest() != expected:
            partial.unlink(missing_ok=True)
            raise DownloadFailed(
                f"{name}: checksum mismatch (got {digest.hexdigest()}, expected {expected}); "
                "nothing was cached"
            )
        os.replace(partial, target)
    return target, expected, received, False


def cut_to_bbox(source: Path, target: Path, bbox: tuple[float, float, float, float]) -> int:
    """Write the part of ``source`` inside ``bbox`` to ``target``; returns the ways kept."""
    west, south, east, north = bbox
    if not (west < east and south < north):
        raise DownloadFailed(f"invalid bounding box {bbox}: min must be below max")
    partial = target.with_name(target.name + ".part.osm.pbf")
    partial.unlink(missing_ok=True)
    kept_ways: set[int] = set()

    def inside(lon: float, lat: float) -> bool:
        return west <= lon <= east and south <= lat <= north

    try:
        with osmium.BackReferenceWriter(
            str(partial), ref_src=str(source), overwrite=True
        ) as writer:
            for obj in osmium.FileProcessor(str(source)).with_locations():
                if isinstance(obj, osmium.osm.Node):
                    if obj.location.valid() and inside(obj.location.lon, obj.location.lat):
                        writer.add_node(obj)
                elif isinstance(obj, osmium.osm.Way):
                    if any(n.location.valid() and inside(n.lon, n.lat) for n in obj.nodes):
                        writer.add_way(obj)
                        kept_ways.add(obj.id)
                elif isinstance(obj, osmium.osm.Relation) and any(
                    m.type == "w" and m.ref in kept_ways for m in obj.members
                ):
                    writer.add_relation(obj)
    except RuntimeError as exc:
        partial.unlink(missing_ok=True)
        raise DownloadFailed(f"cannot cut {source.name}: {exc}") from exc
    os.replace(partial, target)
    return len(kept_ways)


def download_city(
    cache_dir: Path,
    *,
    url: str = DEFAULT_EXTRACT_URL,
    bbox: tuple[float, float, float, float] = HCMC_BBOX,
    progress: Progress | None = None,
) -> DownloadResult:
    extract, md5, received, reused = fetch_extract(url, cache_dir, progress=progress)
    city_file = cache_dir / "hcmc.osm.pbf"
    ways = cut_to_bbox(extract, city_file, bbox)
    return DownloadResult(
        extract=extract,
        city_file=city_file,
        md5=md5,
        bytes_downloaded=received,
        reused_cache=reused,
        ways_kept=ways,
    )


def cached_city_file(cache_dir: Path) -> Path | None:
    """The city extract from an earlier download, if there is one."""
    candidate = cache_dir / "hcmc.osm.pbf"
    return candidate if candidate.is_file() else None
