"""Versioned on-disk RoadGraph artefacts: one ``.npy`` per array plus ``manifest.json``.

Layout: ``<directory>`` is a symlink to a sibling ``.<name>.<stamp>`` directory
holding ``manifest.json`` and ``<field>.npy`` files (strings as a UTF-8 blob
plus offsets), so workers can ``np.load(..., mmap_mode="r")`` and share pages.

Saving is atomic: the new version is written and fsync'ed in its own sibling
directory, then a fresh symlink is renamed over ``<directory>`` (``rename(2)``
is atomic). Until that rename, readers see the previous artefact; a save that
fails leaves it untouched and removes its partial directory. The replaced
version's directory is deleted afterwards (open memory maps stay valid: POSIX
keeps unlinked files alive while they are mapped).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np

from smartcity.routing_engine.graph import GraphValidationError, RoadGraph
from smartcity.routing_engine.profiles import PROFILE_VERSION

FORMAT_NAME: Final = "smartcity-road-graph"
FORMAT_VERSION: Final = 1
MANIFEST_NAME: Final = "manifest.json"
_STRING_FIELDS: Final = ("segment_name", "segment_ref")


class ArtefactError(Exception):
    """An artefact is missing, of another format version, or inconsistent."""


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def _encode_strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.asarray([len(e) for e in encoded], dtype=np.int64), out=offsets[1:])
    blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return blob, offsets


def _decode_strings(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    data = bytes(blob)
    bounds = offsets.tolist()
    return [data[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(len(bounds) - 1)]


def _graph_arrays(graph: RoadGraph) -> dict[str, np.ndarray]:
    arrays = graph.array_fields()
    for name in _STRING_FIELDS:
        blob, offsets = _encode_strings(getattr(graph, name))
        arrays[f"{name}_utf8"] = blob
        arrays[f"{name}_offsets"] = offsets
    return arrays


def _write_array(directory: Path, name: str, array: np.ndarray) -> None:
    path = directory / f"{name}.npy"
    with path.open("wb") as stream:
        np.save(stream, np.ascontiguousarray(array), allow_pickle=False)
        stream.flush()
        os.fsync(stream.fileno())


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def save_graph(
    graph: RoadGraph,
    directory: Path,
    *,
    source_path: Path | None = None,
    source_sha256: str | None = None,
    extra_manifest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the graph atomically as a new version of the artefact at ``directory``.

    Returns the manifest written. ``directory`` must not exist, be an empty
    directory, or be a symlink made by an earlier save.
    """
    graph.validate()
    directory = Path(directory)
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    if directory.exists() and not directory.is_symlink():
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
        else:
            raise ArtefactError(
                f"{directory} exists and is not an artefact link; remove it or choose another path"
            )
    created_at = datetime.now(UTC)
    stamp = created_at.strftime("%Y%m%dT%H%M%S%fZ")
    version_dir = parent / f".{directory.name}.{stamp}-{os.getpid()}"
    version_dir.mkdir()
    try:
        arrays = _graph_arrays(graph)
        for name, array in arrays.items():
            _write_array(version_dir, name, array)
        manifest: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "profile_version": PROFILE_VERSION,
            "source": {
                "file_name": source_path.name if source_path is not None else None,
                "sha256": source_sha256,
            },
            "counts": {
                "nodes": graph.node_count,
                "arcs": graph.arc_count,
                "segments": graph.segment_count,
                "segment_coords": int(graph.segment_coords.shape[0]),
                "restrictions": graph.restriction_count,
            },
            "arrays": {
                name: {"dtype": array.dtype.str, "shape": list(array.shape)}
                for name, array in arrays.items()
            },
            "extra": extra_manifest or {},
        }
        manifest_path = version_dir / MANIFEST_NAME
        with manifest_path.open("w", encoding="utf-8") as stream:
            json.dump(manifest, stream, ensure_ascii=False, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        _fsync_directory(version_dir)
        previous = directory.resolve() if directory.is_symlink() else None
        temporary_link = parent / f".{directory.name}.link-{stamp}-{os.getpid()}"
        temporary_link.symlink_to(version_dir.name)
        os.replace(temporary_link, directory)
        _fsync_directory(parent)
    except BaseException:
        shutil.rmtree(version_dir, ignore_errors=True)
        raise
    if previous is not None and previous != version_dir.resolve() and previous.parent == parent:
        shutil.rmtree(previous, ignore_errors=True)
    return manifest


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of the artefact at ``directory``, format checked."""
    manifest_path = Path(directory) / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ArtefactError(f"no road graph artefact at {directory} ({MANIFEST_NAME} missing)")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArtefactError(f"{manifest_path} is not valid JSON: {error}") from error
    if manifest.get("format") != FORMAT_NAME:
        raise ArtefactError(f"{manifest_path} is not a {FORMAT_NAME} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(
            f"{directory} has format version {manifest.get('format_version')}, this code reads "
            f"version {FORMAT_VERSION}: rebuild the graph"
        )
    return manifest


def load_graph(directory: Path, *, mmap: bool = True) -> RoadGraph:
    """Load (memory-map by default) the artefact at ``directory`` and validate it."""
    # Resolve the link once so a concurrent save cannot mix two versions.
    real_directory = Path(directory).resolve()
    manifest = read_manifest(real_directory)
    arrays: dict[str, np.ndarray] = {}
    for name, spec in manifest["arrays"].items():
        path = real_directory / f"{name}.npy"
        if not path.is_file():
            raise ArtefactError(f"{directory}: array file {path.name} is missing")
        try:
            array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (ValueError, OSError) as error:
            raise ArtefactError(f"{directory}: cannot read {path.name}: {error}") from error
        if array.dtype.str != spec["dtype"] or list(array.shape) != spec["shape"]:
            raise ArtefactError(
                f"{directory}: {name} is {array.dtype.str}{list(array.shape)}, the manifest "
                f"says {spec['dtype']}{spec['shape']}"
            )
        # A plain ndarray view of the mapping: the pages are still shared between workers,
        # but indexing no longer builds a numpy.memmap object each time (10× slower).
        arrays[name] = np.asarray(array)
    try:
        strings = {
            name: _decode_strings(arrays.pop(f"{name}_utf8"), arrays.pop(f"{name}_offsets"))
            for name in _STRING_FIELDS
        }
        fields: dict[str, Any] = {**arrays, **strings}
        graph = RoadGraph(**fields)
        graph.validate()
    except (KeyError, TypeError, GraphValidationError) as error:
        raise ArtefactError(f"{directory}: inconsistent road graph: {error}") from error
    return graph
