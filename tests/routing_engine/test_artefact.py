"""Artefacts: round trip, memory mapping, atomic replacement, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from smartcity.roads.synthetic import generate_city
from smartcity.routing_engine import artefact
from smartcity.routing_engine.artefact import (
    FORMAT_VERSION,
    ArtefactError,
    load_graph,
    read_manifest,
    save_graph,
    sha256_file,
)
from smartcity.routing_engine.build import build_graph
from smartcity.routing_engine.graph import RoadGraph
from smartcity.routing_engine.osm import decode_osm


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[RoadGraph, Path]:
    source = generate_city("small", 3, tmp_path_factory.mktemp("city") / "city.osm.pbf")
    return build_graph(decode_osm(source)), source


def assert_same_graph(left: RoadGraph, right: RoadGraph) -> None:
    for name, array in left.array_fields().items():
        other = getattr(right, name)
        assert other.dtype == array.dtype, name
        assert np.array_equal(other, array), name
    assert left.segment_name == right.segment_name
    assert left.segment_ref == right.segment_ref


def test_round_trip_with_memory_map(city: tuple[RoadGraph, Path], tmp_path: Path) -> None:
    graph, source = city
    target = tmp_path / "graph"
    manifest = save_graph(
        graph,
        target,
        source_path=source,
        source_sha256=sha256_file(source),
        extra_manifest={"build": "test"},
    )
    loaded = load_graph(target)
    assert_same_graph(graph, loaded)
    assert isinstance(loaded.head.base, np.memmap)  # a plain view of the shared mapping
    assert not isinstance(load_graph(target, mmap=False).head.base, np.memmap)
    assert any("Tổng Hợp" in name for name in loaded.segment_name)
    on_disk = read_manifest(target)
    assert on_disk == manifest
    assert on_disk["format_version"] == FORMAT_VERSION
    assert on_disk["source"] == {"file_name": source.name, "sha256": sha256_file(source)}
    assert on_disk["counts"]["arcs"] == graph.arc_count
    assert on_disk["extra"] == {"build": "test"}


def test_failed_save_keeps_the_previous_artefact(
    city: tuple[RoadGraph, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph, _ = city
    target = tmp_path / "graph"
    save_graph(graph, target)
    before = sorted(p.name for p in tmp_path.iterdir())
    original_write = artefact._write_array
    written: list[str] = []

    def failing_write(directory: Path, name: str, array: np.ndarray) -> None:
        if len(written) == 5:
            raise OSError("disk full")
        written.append(name)
        original_write(directory, name, array)

    monkeypatch.setattr(artefact, "_write_array", failing_write)
    with pytest.raises(OSError, match="disk full"):
        save_graph(graph, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no partial version left
    assert_same_graph(graph, load_graph(target))


def test_save_replaces_the_previous_version(city: tuple[RoadGraph, Path], tmp_path: Path) -> None:
    graph, _ = city
    target = tmp_path / "graph"
    save_graph(graph, target, extra_manifest={"n": 1})
    first_version = target.resolve()
    save_graph(graph, target, extra_manifest={"n": 2})
    assert read_manifest(target)["extra"] == {"n": 2}
    assert target.resolve() != first_version
    assert not first_version.exists()  # the replaced version is cleaned up
    assert len(list(tmp_path.iterdir())) == 2  # the link and one version


def test_refuses_to_replace_a_foreign_directory(
    city: tuple[RoadGraph, Path], tmp_path: Path
) -> None:
    graph, _ = city
    foreign = tmp_path / "graph"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ArtefactError, match="not an artefact link"):
        save_graph(graph, foreign)


def test_load_errors_are_clear(city: tuple[RoadGraph, Path], tmp_path: Path) -> None:
    graph, _ = city
    with pytest.raises(ArtefactError, match=r"manifest\.json missing"):
        load_graph(tmp_path / "nothing")
    target = tmp_path / "graph"
    save_graph(graph, target)
    manifest_path = target / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))

    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtefactError, match="format version 2"):
        load_graph(target)

    manifest["format_version"] = FORMAT_VERSION
    manifest["arrays"]["head"]["shape"] = [1]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtefactError, match=r"head is .* the manifest says"):
        load_graph(target)

    manifest["arrays"]["head"]["shape"] = [graph.arc_count]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    np.save(target / "head.npy", np.zeros(graph.arc_count, dtype=np.int32))
    with pytest.raises(ArtefactError, match="inconsistent road graph"):
        load_graph(target)

    (target / "tail.npy").unlink()
    with pytest.raises(ArtefactError, match=r"tail\.npy is missing"):
        load_graph(target)
