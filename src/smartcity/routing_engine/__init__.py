"""Pure routing compute core: OSM decoding, graph build, artefacts, CCH customisation and
queries.

Imports numpy, numba, scipy, osmium and the standard library only — never FastAPI,
SQLAlchemy or another ``smartcity`` package — so workers can memory-map the same
artefacts and tests run without a database.

Pipeline (RoutingKit/OSRM style: build once per map release, customise per weight set,
query many times):

* ``osm.decode_osm(path)`` reads highway ways, restrictions, POIs, boundaries;
* ``profiles.ProfileSet`` interprets tags for cars and motorbikes;
* ``build.build_graph(decoded, profiles)`` splits ways at junctions into a
  ``graph.RoadGraph`` (CSR arcs, one array per attribute, dense node ids);
* ``artefact.save_graph`` / ``load_graph`` write and memory-map versioned artefacts;
* ``engine.Engine`` orders and contracts the graph once (``order``, ``cch``, ``turns``),
  customises it with a metric (``customize``, fully or partially for live updates) and
  answers queries on the elimination tree (``query``).
"""
