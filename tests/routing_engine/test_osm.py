"""Decoding OSM files: content, formats, and clear errors for broken input."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import osmium
import osmium.osm.mutable
import pytest

from smartcity.routing_engine.osm import OsmDecodeError, decode_osm

SMALL_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
 <node id="1" lat="10.7800" lon="106.7000"/>
 <node id="2" lat="10.7810" lon="106.7000"/>
 <node id="3" lat="10.7820" lon="106.7000"/>
 <node id="4" lat="10.7810" lon="106.7010"/>
 <node id="5" lat="10.7790" lon="106.6990"><tag k="amenity" v="hospital"/><tag k="name" v="Bệnh viện A"/></node>
 <node id="6" lat="10.7700" lon="106.6900"/>
 <node id="7" lat="10.7700" lon="106.7100"/>
 <node id="8" lat="10.7900" lon="106.7100"/>
 <node id="9" lat="10.7900" lon="106.6900"/>
 <node id="20" lat="10.7850" lon="106.7050"/>
 <node id="21" lat="10.7850" lon="106.7060"/>
 <node id="22" lat="10.7860" lon="106.7060"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="name" v="Đường Một"/></way>
 <way id="11"><nd ref="2"/><nd ref="4"/><tag k="highway" v="residential"/></way>
 <way id="12"><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="9"/><nd ref="6"/></way>
 <way id="13"><nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="20"/><tag k="amenity" v="school"/></way>
 <relation id="30"><member type="way" ref="10" role="from"/><member type="node" ref="2" role="via"/>
  <member type="way" ref="11" role="to"/><tag k="type" v="restriction"/><tag k="restriction" v="no_right_turn"/></relation>
 <relation id="31"><member type="way" ref="12" role="outer"/><tag k="type" v="boundary"/>
  <tag k="boundary" v="administrative"/><tag k="admin_level" v="6"/><tag k="name" v="Phường Thử"/></relation>
</osm>
"""

MISSING_NODE_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
 <node id="1" lat="10.78" lon="106.70"/>
 <node id="2" lat="10.79" lon="106.70"/>
 <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
 <way id="11"><nd ref="2"/><nd ref="99"/><tag k="highway" v="residential"/></way>
</osm>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_decodes_ways_restrictions_pois_and_boundaries(tmp_path: Path) -> None:
    decoded = decode_osm(
        write(tmp_path / "small.osm", SMALL_OSM), with_pois=True, admin_levels=(6,)
    )
    ways = decoded.ways
    assert ways.way_id.tolist() == [10, 11]
    assert ways.tags[0] == {"highway": "primary", "name": "Đường Một"}
    assert ways.node_ids_of(0).tolist() == [1, 2, 3]
    assert ways.node_lat[:3].tolist() == pytest.approx([10.78, 10.781, 10.782])
    assert [r.relation_id for r in decoded.restrictions] == [30]
    assert decoded.restrictions[0].member_refs("n", "via") == [2]
    pois = {(p.kind, p.osm_type, p.osm_id) for p in decoded.pois}
    assert pois == {("hospital", "n", 5), ("school", "w", 13)}
    school = next(p for p in decoded.pois if p.kind == "school")
    assert school.lon == pytest.approx((106.705 + 106.706 + 106.706) / 3)
    (boundary,) = decoded.boundaries
    assert (boundary.name, boundary.osm_type, boundary.osm_id) == ("Phường Thử", "r", 31)
    outer, inners = boundary.polygons[0]
    assert outer.shape == (5, 2)
    assert inners == ()
    assert decoded.stats.highway_ways == 2


def test_boundaries_and_pois_are_opt_in(tmp_path: Path) -> None:
    decoded = decode_osm(write(tmp_path / "small.osm", SMALL_OSM))
    assert decoded.pois == []
    assert decoded.boundaries == []


@pytest.mark.parametrize("suffix", [".osm.gz", ".osm.bz2", ".osm.pbf"])
def test_reads_compressed_and_pbf(tmp_path: Path, suffix: str) -> None:
    source = write(tmp_path / "small.osm", SMALL_OSM)
    target = tmp_path / f"copy{suffix}"
    if suffix == ".osm.gz":
        target.write_bytes(gzip.compress(source.read_bytes()))
    elif suffix == ".osm.bz2":
        target.write_bytes(bz2.compress(source.read_bytes()))
    else:
        with osmium.SimpleWriter(str(target)) as writer:
            for entity in osmium.FileProcessor(str(source)):
                writer.add(entity)
    assert decode_osm(target).ways.way_id.tolist() == [10, 11]


def test_missing_nodes_fail_with_counts(tmp_path: Path) -> None:
    path = write(tmp_path / "missing.osm", MISSING_NODE_OSM)
    with pytest.raises(OsmDecodeError, match=r"1 highway ways refer to 1 nodes missing.*way 11"):
        decode_osm(path)


def test_missing_nodes_can_be_skipped_and_counted(tmp_path: Path) -> None:
    decoded = decode_osm(
        write(tmp_path / "missing.osm", MISSING_NODE_OSM), allow_missing_nodes=True
    )
    assert decoded.ways.way_id.tolist() == [10]
    assert decoded.stats.ways_missing_nodes == 1
    assert decoded.stats.missing_node_refs == 1


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(OsmDecodeError, match="empty"):
        decode_osm(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(OsmDecodeError, match="not found"):
        decode_osm(tmp_path / "nowhere.osm.pbf")


def test_truncated_pbf(tmp_path: Path) -> None:
    complete = tmp_path / "complete.osm.pbf"
    with osmium.SimpleWriter(str(complete)) as writer:
        for node_id in range(1, 2001):
            writer.add_node(
                osmium.osm.mutable.Node(id=node_id, location=(106.7 + node_id * 1e-5, 10.78))
            )
        writer.add_way(
            osmium.osm.mutable.Way(id=1, nodes=list(range(1, 2001)), tags={"highway": "primary"})
        )
    assert decode_osm(complete).ways.way_count == 1
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(complete.read_bytes()[: complete.stat().st_size * 2 // 3])
    with pytest.raises(OsmDecodeError, match="corrupt or truncated"):
        decode_osm(truncated)


def test_garbage_and_broken_xml(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"not a pbf " * 100)
    with pytest.raises(OsmDecodeError, match="corrupt or truncated"):
        decode_osm(garbage)
    broken = write(tmp_path / "broken.osm", SMALL_OSM[: len(SMALL_OSM) // 2])
    with pytest.raises(OsmDecodeError, match="corrupt or truncated"):
        decode_osm(broken)


@pytest.mark.needs_data
def test_real_hcmc_extract(data_dir: Path) -> None:
    decoded = decode_osm(
        data_dir / "roads" / "hcmc_osm_2018-01-01.osm.pbf", with_pois=True, admin_levels=(6,)
    )
    # SOURCES.md: 33,044 ways with highway=*, complete (no missing node locations)
    assert decoded.stats.highway_ways == 33_044
    assert decoded.stats.ways_missing_nodes == 0
    assert len(decoded.restrictions) > 50
    assert any(p.kind == "hospital" for p in decoded.pois)
    assert any(b.name.startswith("Quận") for b in decoded.boundaries)
